"""The AWS layer's batched reads (production inventory, moto): a no-op rerun reads roles, network, key, security
group and launch templates in a few calls and runs each converge module only for what differs. Drift made by hand
in every family those reads cover must still reach its module (reported by --check, repaired by the run), the
no-op makes at most one AWS call per resource, and platform_aws_read_first=false still converges to no change.

A module of its own, with its own moto: the drift leaves a launch template with three versions, and moto has no
DeleteLaunchTemplateVersions, so the destroy test of test_aws_production.py could not run after it.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from awsmoto import Moto, changed_items, run_playbook
from summary import record

CLUSTER = "triptrip-production"
MOTO = Moto("aws_reads")


@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    env = MOTO.start(root, tool_env, tmp_path_factory.mktemp("localenv-aws-reads"))
    try:
        yield env
    finally:
        Moto.stop(root, env)


def playbook(root, env, name, *args):
    return run_playbook(root, env, "production", CLUSTER, name, *args)


def test_00_a_zone_the_region_does_not_offer_stops_the_network_before_any_change(root, moto):
    """ap-northeast-1b is a name preflight accepts (a region and a letter), but AWS gives accounts made since 2012
    only 1a, 1c and 1d (moto answers DescribeAvailabilityZones the same): the network role reads the zones before
    it creates anything, and stops naming the zone and the ones offered."""
    zones = {"platform_private_subnets": [{"az": f"ap-northeast-1{z}", "cidr": c} for z, c in
                                          (("a", "10.0.0.0/19"), ("b", "10.0.32.0/19"), ("d", "10.0.64.0/19"))],
             "platform_public_subnets": [{"az": f"ap-northeast-1{z}", "cidr": c} for z, c in
                                         (("a", "10.0.96.0/22"), ("b", "10.0.100.0/22"), ("d", "10.0.104.0/22"))]}
    res, recap = playbook(root, moto, "playbooks/aws.yml", "-e", json.dumps(zones))
    assert recap["failed"] == 1 and recap["changed"] == 0, res.stdout[-4000:]
    fatal = next(line for line in res.stdout.splitlines() if line.startswith("fatal: "))
    assert "Check that the region offers every subnet's zone" in res.stdout.split(fatal)[0].rsplit("TASK [", 1)[1]
    assert "ap-northeast-1b, which ap-northeast-1 does not offer" in fatal, fatal
    assert "ap-northeast-1a, ap-northeast-1c, ap-northeast-1d" in fatal, fatal
    assert MOTO.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"] == []


def test_01_converge_then_a_no_op(root, moto):
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap["failed"] == 0, res.stdout[-4000:]
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-4000:]


def resource_count():
    """The AWS resources the layer checks, as the benchmark counts them (bench/bench.py aws_resources)."""
    iam, ec2, logs, eks = MOTO.client("iam"), MOTO.client("ec2"), MOTO.client("logs"), MOTO.client("eks")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")]
    return (len(ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"])
            + len([s for s in ec2.describe_subnets()["Subnets"] if not s.get("DefaultForAz")])
            + len([r for r in ec2.describe_route_tables()["RouteTables"]
                   if not any(a.get("Main") for a in r.get("Associations", []))])
            + len(ec2.describe_internet_gateways()["InternetGateways"])
            + len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"])
            + len([e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"])
            + len([g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"])
            + len(ec2.describe_launch_templates()["LaunchTemplates"]) + len(roles)
            + sum(len(iam.list_role_policies(RoleName=r)["PolicyNames"]) for r in roles)
            + len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) + 2  # the key and its alias
            + 1 + len(eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"])  # the cluster and its groups
            + len(eks.list_addons(clusterName=CLUSTER)["addons"])
            + len(eks.list_access_entries(clusterName=CLUSTER)["accessEntries"])  # the runner's and the admin's
            + len(eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"])  # one per controller
            + len(logs.describe_log_groups(logGroupNamePrefix="/aws/eks/")["logGroups"]))


def test_02_the_batched_reads_find_drift_in_every_resource_they_cover_and_the_run_repairs_it(root, moto):
    """The no-op reads roles, network, key, security group and launch templates in batches and skips the modules
    for what is in sync. Drift in each of them must still reach its module: --check reports exactly those tasks,
    the run repairs them, and the no-op after it makes at most one AWS call per resource."""
    iam, ec2, kms = MOTO.client("iam"), MOTO.client("ec2"), MOTO.client("kms")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [CLUSTER]}])["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{CLUSTER}-cluster"]}])
    key = kms.describe_key(KeyId=f"alias/{CLUSTER}-eks-secrets")["KeyMetadata"]["KeyId"]
    iam.untag_role(RoleName=f"{CLUSTER}-cluster", TagKeys=["Environment"])
    iam.detach_role_policy(RoleName=f"{CLUSTER}-node",
                           PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
    iam.put_role_policy(RoleName=f"{CLUSTER}-keda", PolicyName="keda", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "Environment"}])
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    ec2.create_tags(Resources=[group["SecurityGroups"][0]["GroupId"]], Tags=[{"Key": "extra", "Value": "by-hand"}])
    kms.disable_key_rotation(KeyId=key)
    data = ec2.describe_launch_template_versions(LaunchTemplateName=f"{CLUSTER}-spot",
                                                 Versions=["$Latest"])["LaunchTemplateVersions"][0]
    data = {**data["LaunchTemplateData"], "MetadataOptions": {**data["LaunchTemplateData"]["MetadataOptions"],
                                                              "HttpPutResponseHopLimit": 2}}
    ec2.create_launch_template_version(LaunchTemplateName=f"{CLUSTER}-spot", LaunchTemplateData=data,
                                       VersionDescription="triptrip-platform")
    # The egress (nat mode): a tag off the internet gateway and one NAT gateway, the private route of the first zone
    # deleted, a route added by hand to the public table (the module purges it).
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"][0]
    nat = sorted(ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"], key=lambda n: n["NatGatewayId"])[0]
    tables = {next((x["Value"] for x in t.get("Tags", []) if x["Key"] == "Name"), t["RouteTableId"]): t["RouteTableId"]
              for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]}
    ec2.delete_tags(Resources=[igw["InternetGatewayId"], nat["NatGatewayId"]], Tags=[{"Key": "Environment"}])
    ec2.delete_route(RouteTableId=tables[f"{CLUSTER}-private-ap-northeast-1a"], DestinationCidrBlock="0.0.0.0/0")
    ec2.create_route(RouteTableId=tables[f"{CLUSTER}-public"], DestinationCidrBlock="192.0.2.0/24",
                     GatewayId=igw["InternetGatewayId"])
    drifted = {"Create the EKS cluster role": 1, "Create the EKS node role": 1,
               "Attach the IRSA roles' own policies": 1, "create | Create the VPC": 1,
               "create | Create the private subnets, one per availability zone": 1,
               "egress_nat | Create the internet gateway": 1,
               "egress_nat | Create the NAT gateways (one per zone, or fewer shared)": 1,
               "egress_nat | Route the public subnets to the internet gateway": 1,
               "egress_nat | Route each private subnet to a NAT gateway (its zone's, or a shared one)": 1,
               "Create the additional cluster security group": 1, "Create the secrets encryption key": 1,
               "Create the node groups' launch templates": 1,
               # the spot group then rolls to the repaired template's new version
               "Create or converge the managed node groups": 1}
    res, recap = playbook(root, moto, "playbooks/aws.yml", "--check")
    assert recap["failed"] == 0, res.stdout[-4000:]
    planned = changed_items(res.stdout)
    assert {k: v for k, v in planned.items() if k != "Create or converge the managed node groups"} == {
        k: v for k, v in drifted.items() if k != "Create or converge the managed node groups"}, planned
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap["failed"] == 0, res.stdout[-4000:]
    assert changed_items(res.stdout) == drifted, changed_items(res.stdout)
    assert "Environment" in {t["Key"] for t in iam.list_role_tags(RoleName=f"{CLUSTER}-cluster")["Tags"]}
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["MapPublicIpOnLaunch"] is False
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    routes = {t["RouteTableId"]: {r.get("DestinationCidrBlock") for r in t["Routes"]}
              for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]}
    assert "0.0.0.0/0" in routes[tables[f"{CLUSTER}-private-ap-northeast-1a"]]
    assert "192.0.2.0/24" not in routes[tables[f"{CLUSTER}-public"]]
    assert "Environment" in {t["Key"] for t in ec2.describe_nat_gateways(
        NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["Tags"]}
    assert "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" in [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=f"{CLUSTER}-node")["AttachedPolicies"]]
    MOTO.start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-4000:]
    calls, resources = MOTO.recorded_operations(), resource_count()
    record("aws", "no-op after repairing drift: AWS calls at most the resources", "production inventory",
           len(calls) <= resources, f"{len(calls)} calls, {resources} resources")
    assert len(calls) <= resources, ", ".join(f"{op} {n}" for op, n in sorted(Counter(calls).items()))


def test_03_without_batched_reads_every_module_reads_for_itself_and_changes_nothing(root, moto):
    res, recap = playbook(root, moto, "playbooks/aws.yml", "-e", "platform_aws_read_first=false")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-4000:]
    assert "Read the cluster and node roles" in res.stdout
    assert changed_items(res.stdout) == {}
    ran = res.stdout.split("TASK [triptrip.platform.aws_iam : Create the EKS node role]")[1].split("TASK [")[0]
    assert "ok: [triptrip-production]" in ran, ran
