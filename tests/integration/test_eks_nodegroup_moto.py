"""triptrip.platform.eks_nodegroup through ansible-playbook against the patched moto server (localenv/moto_server.py).

One moto server on 127.0.0.1:15100 for the module, stopped in the fixture's teardown whatever happens. The tests run in
order on one node group: create, idempotent rerun, check mode, converge, refusal of an immutable change, delete.
What moto does not implement (UpdateNodegroupVersion, update waits, throttling) is in the unit tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError

from localplatform import start_moto

PORT = 15100
ENDPOINT = f"http://127.0.0.1:{PORT}"
REGION = "ap-northeast-1"
CLUSTER = "triptrip-moto"
NAME = "general-a"
NODE_ROLE = "arn:aws:iam::123456789012:role/triptrip-moto-node"
TEMPLATE = "triptrip-moto-general"


@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    """The patched moto server, on 127.0.0.1:{PORT}; always stopped at teardown."""
    yield from start_moto(root, tool_env, tmp_path_factory, PORT, "nodegroup")


def aws(service):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def cluster(moto):
    """A cluster with subnets in three zones and a launch template for the node group."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")
               ["Subnet"]["SubnetId"] for i, zone in enumerate("acd")]
    template = ec2.create_launch_template(LaunchTemplateName=TEMPLATE, LaunchTemplateData={
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}})["LaunchTemplate"]
    aws("eks").create_cluster(name=CLUSTER, version="1.35", roleArn="arn:aws:iam::123456789012:role/triptrip-moto-cluster",
                              resourcesVpcConfig={"subnetIds": subnets})
    return {"subnets": subnets, "template_id": template["LaunchTemplateId"]}


@pytest.fixture(scope="module")
def playbook(root, tool_env, moto, cluster):
    """playbook(args, *flags) -> (task result, play stats) of one eks_nodegroup task run by ansible-playbook."""
    env = {
        **{k: v for k, v in tool_env.items() if not k.startswith("AWS_")},
        "ANSIBLE_CONFIG": str(root / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "AWS_ENDPOINT_URL": ENDPOINT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    runs = moto["logs"] / "plays"
    runs.mkdir()
    inventory = runs / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    count = iter(range(1000))

    def run(args, *flags):
        path = runs / f"play-{next(count)}.yml"
        task = {"name": "Node group", "triptrip.platform.eks_nodegroup": {"cluster_name": CLUSTER, "name": NAME, **args}}
        path.write_text(json.dumps([{"name": "eks_nodegroup against moto", "hosts": "localhost", "connection": "local",
                                     "gather_facts": False, "tasks": [task]}], indent=1))
        done = subprocess.run(  # noqa: S603
            ["ansible-playbook", "-i", str(inventory), str(path), *flags],
            cwd=root, env=env, capture_output=True, text=True, check=False, timeout=300,
        )
        # The JSON document, without what ansible.cfg's profile_tasks / profile_roles print around it.
        start = done.stdout.find("\n{") + 1 if not done.stdout.startswith("{") else 0
        try:
            output, _end = json.JSONDecoder().raw_decode(done.stdout, start)
        except json.JSONDecodeError as err:
            raise AssertionError(f"not JSON ({err}):\n{done.stdout}\n{done.stderr}") from err
        result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
        return result, output["stats"]["localhost"]

    return run


def describe():
    try:
        return aws("eks").describe_nodegroup(clusterName=CLUSTER, nodegroupName=NAME)["nodegroup"]
    except ClientError as err:
        if err.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def base_args(cluster):
    return {
        "node_role_arn": NODE_ROLE,
        "subnets": cluster["subnets"],
        "instance_types": ["t3.large", "t3a.large"],
        "ami_type": "AL2023_x86_64_STANDARD",
        "launch_template": {"name": TEMPLATE, "version": "1"},
        "scaling": {"min_size": 2, "max_size": 6, "desired_size": 3},
        "update_config": {"max_unavailable": 1},
        "labels": {"triptrip.io/pool": "general", "tier": "app"},
        "taints": [{"key": "dedicated", "value": "general", "effect": "NoSchedule"}],
        "tags": {"Environment": "moto", "Owner": "platform"},
    }


def changed_args(cluster):
    return {
        **base_args(cluster),
        "scaling": {"min_size": 4, "max_size": 8},
        "update_config": {"max_unavailable_percentage": 25},
        "labels": {"triptrip.io/pool": "general", "tier": "web"},
        "taints": [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}],
        "tags": {"Environment": "moto"},
    }


def test_create(playbook, cluster):
    result, stats = playbook(base_args(cluster))
    assert not result.get("failed"), result
    assert result["changed"] and stats["changed"] == 1
    found = describe()
    assert found["status"] == "ACTIVE"
    assert found["scalingConfig"] == {"minSize": 2, "maxSize": 6, "desiredSize": 3}
    assert found["labels"] == {"triptrip.io/pool": "general", "tier": "app"}
    assert found["taints"] == [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]
    assert found["updateConfig"] == {"maxUnavailable": 1}
    assert found["launchTemplate"] == {"name": TEMPLATE, "version": "1", "id": cluster["template_id"]}
    assert found["instanceTypes"] == ["t3.large", "t3a.large"] and found["amiType"] == "AL2023_x86_64_STANDARD"
    assert found["version"] == "1.35"
    assert found["tags"] == {"Environment": "moto", "Owner": "platform"}
    assert result["nodegroup"]["nodegroup_name"] == NAME
    assert result["nodegroup"]["labels"] == {"triptrip.io/pool": "general", "tier": "app"}


def test_second_run_changes_nothing(playbook, cluster):
    before = describe()
    result, stats = playbook(base_args(cluster))
    assert not result.get("failed"), result
    assert result["changed"] is False and stats["changed"] == 0, result
    assert result["updates"] == []
    assert describe()["modifiedAt"] == before["modifiedAt"]


def test_check_mode_reports_the_change_and_leaves_moto_alone(playbook, cluster):
    before = describe()
    result, stats = playbook(changed_args(cluster), "--check", "--diff")
    assert not result.get("failed"), result
    assert result["changed"] and stats["changed"] == 1
    assert [u["call"] for u in result["updates"]] == ["update_nodegroup_config", "untag_resource"]
    assert result["updates"][0]["what"] == ["labels", "taints", "scaling", "update_config"]
    diff = result["diff"]
    assert diff["before"]["labels"]["tier"] == "app" and diff["after"]["labels"]["tier"] == "web"
    assert diff["after"]["taints"] == [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]
    assert diff["after"]["scaling"] == {"min_size": 4, "max_size": 8, "desired_size": 4}
    assert diff["after"]["tags"] == {"Environment": "moto"}
    assert describe() == before


def test_label_taint_scaling_and_tag_changes_are_applied(playbook, cluster):
    result, stats = playbook(changed_args(cluster), "--diff")
    assert not result.get("failed"), result
    assert result["changed"] and stats["changed"] == 1
    assert result["updates"][0]["status"] == "Successful" and result["updates"][0]["id"]
    found = describe()
    assert found["labels"] == {"triptrip.io/pool": "general", "tier": "web"}
    assert found["taints"] == [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]
    # desired 3 fell below the new min 4: clamped to it
    assert found["scalingConfig"] == {"minSize": 4, "maxSize": 8, "desiredSize": 4}
    assert found["updateConfig"] == {"maxUnavailablePercentage": 25}
    assert found["tags"] == {"Environment": "moto"}
    again, stats = playbook(changed_args(cluster))
    assert again["changed"] is False and stats["changed"] == 0, again


def test_desired_size_set_outside_is_left_to_the_autoscaler(playbook, cluster):
    aws("eks").update_nodegroup_config(clusterName=CLUSTER, nodegroupName=NAME, scalingConfig={"desiredSize": 7})
    result, _stats = playbook(changed_args(cluster))
    assert result["changed"] is False, result
    assert describe()["scalingConfig"]["desiredSize"] == 7
    result, _stats = playbook({**changed_args(cluster), "scaling": {"min_size": 4, "max_size": 8, "desired_size": 5}})
    assert result["changed"] is False, result
    result, _stats = playbook({**changed_args(cluster), "scaling": {"min_size": 4, "max_size": 8, "desired_size": 5},
                               "desired_size_policy": "enforce"})
    assert result["changed"] is True, result
    assert describe()["scalingConfig"] == {"minSize": 4, "maxSize": 8, "desiredSize": 5}


def test_immutable_change_fails_and_changes_nothing(playbook, cluster):
    before = describe()
    result, stats = playbook({**changed_args(cluster), "instance_types": ["m7i.large"], "labels": {"other": "x"}})
    assert result.get("failed") and stats["failures"] == 1
    assert "instance_types cannot change" in result["msg"] and "must be replaced" in result["msg"]
    assert describe() == before


def test_absent_deletes_then_is_a_no_op(playbook):
    result, stats = playbook({"state": "absent"})
    assert not result.get("failed"), result
    assert result["changed"] and stats["changed"] == 1
    assert describe() is None
    result, stats = playbook({"state": "absent"})
    assert result["changed"] is False and stats["changed"] == 0
