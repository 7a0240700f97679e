"""The production inventory in the second egress mode, `platform_network_egress: endpoints` (a fully private VPC:
interface endpoints with private DNS and the S3 gateway endpoint, no internet gateway, no NAT), against its own
moto server: it converges, the EKS readiness rules (readiness.py) hold, a rerun changes nothing, and destroy
removes the endpoints and their security group with the VPC. The only other difference from production is the
load balancer's scheme: internal, as the preflight requires in this mode (test_aws_production, test_08)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
import readiness
from awsmoto import Moto, changed_items, create_app_secrets, run_playbook
from summary import record

CLUSTER = "triptrip-production"
REGION = "ap-northeast-1"
# An internal ALB: with no public subnets an internet-facing one has nowhere to go (preflight says so).
INGRESS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/addon_aws_load_balancer_controller/defaults/main.yml")
                         .read_text())["addon_aws_load_balancer_controller_ingress"]
ENDPOINTS_MODE = ["-e", json.dumps({"platform_network_egress": "endpoints",
                                    "addon_aws_load_balancer_controller_ingress": {**INGRESS, "scheme": "internal"}})]

_MOTO = Moto("aws_endpoints")
aws = _MOTO.client


@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    env = _MOTO.start(root, tool_env, tmp_path_factory.mktemp("localenv-aws-endpoints"))
    try:
        yield env
    finally:
        Moto.stop(root, env)


def playbook(root, env, name, *args):
    return run_playbook(root, env, "production", CLUSTER, name, *ENDPOINTS_MODE, *args)


def vpc_of_cluster():
    subnet = aws("eks").describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]["subnetIds"][0]
    return aws("ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]


def test_01_converge_builds_a_private_vpc_with_endpoints_and_the_readiness_rules_hold(root, moto):
    create_app_secrets(aws("secretsmanager"))
    _MOTO.start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    requests = _MOTO.recorded_requests()
    assert recap["failed"] == 0, res.stdout[-4000:]
    ec2, vpc = aws("ec2"), vpc_of_cluster()
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    assert ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"] == []
    assert [n for n in ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"] if n["State"] != "deleted"] == []
    endpoints = ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]
    services = sorted(e["ServiceName"].removeprefix(f"com.amazonaws.{REGION}.") for e in endpoints)
    assert services == sorted(["ecr.api", "ecr.dkr", "ec2", "sts", "logs", "elasticloadbalancing", "autoscaling",
                               "sqs", "secretsmanager", "eks-auth", "s3"])
    dr = readiness.secrets_state(root, moto, "dr", lambda region: aws("secretsmanager", region))
    plugin = readiness.device_plugin_release(root, moto, "production")
    results = readiness.check(readiness.gather(aws, CLUSTER, requests, "internal", dr, plugin))
    for name, document, held, evidence in results:
        record("EKS readiness (AWS, production, egress endpoints)", name, document, held, evidence)
    assert [(name, evidence) for name, _document, held, evidence in results if not held] == []


def test_02_a_rerun_changes_nothing(root, moto):
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap == {"changed": 0, "failed": 0}, (changed_items(res.stdout), res.stdout[-4000:])


def test_03_destroy_removes_the_endpoints_with_the_vpc(root, moto):
    vpc = vpc_of_cluster()
    res, recap = playbook(root, moto, "playbooks/destroy.yml", "-e", f"confirm_destroy={CLUSTER}",
                          "-e", "destroy_skip_kubernetes=true")
    assert recap["failed"] == 0, [line for line in res.stdout.splitlines() if line.startswith("fatal:")] or res.stdout[-4000:]
    ec2 = aws("ec2")
    assert [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"] == []
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"] == []
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"] if g.get("VpcId") == vpc] == []
    res, recap = playbook(root, moto, "playbooks/destroy.yml", "-e", f"confirm_destroy={CLUSTER}",
                          "-e", "destroy_skip_kubernetes=true")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-4000:]
