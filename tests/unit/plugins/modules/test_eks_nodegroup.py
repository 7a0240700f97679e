"""triptrip.platform.eks_nodegroup against botocore's Stubber: the exact requests it sends, and none when nothing
differs. Each case below is one community.aws.eks_nodegroup got wrong, or one moto cannot show (update waits,
version updates, throttling)."""

from __future__ import annotations

import copy
import time

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.module_utils.waiters import POLL_SECONDS
from ansible_collections.triptrip.platform.plugins.modules import eks_nodegroup

CLUSTER = "triptrip-production"
NAME = "general-a"
ROLE = "arn:aws:iam::123456789012:role/triptrip-production-node"
ARN = f"arn:aws:eks:ap-northeast-1:123456789012:nodegroup/{CLUSTER}/{NAME}/0ec4d1a2-0000-1111-2222-333344445555"
KEY = {"clusterName": CLUSTER, "nodegroupName": NAME}
ARGS = {
    "cluster_name": CLUSTER, "name": NAME, "node_role_arn": ROLE,
    "subnets": ["subnet-c", "subnet-a", "subnet-d"], "instance_types": ["m7i.large", "m6i.large"],
    "capacity_type": "ON_DEMAND", "ami_type": "AL2023_x86_64_STANDARD",
    "scaling": {"min_size": 3, "max_size": 12, "desired_size": 3},
    "labels": {"triptrip.io/pool": "general", "tier": "app"},
    "taints": [{"key": "dedicated", "value": "general", "effect": "NoSchedule"}],
    "update_config": {"max_unavailable_percentage": 33},
    "launch_template": {"name": "triptrip-production-general", "version": "3"},
    "version": "1.35",
    "tags": {"Environment": "production"},
}
ACTIVE = {
    "nodegroupName": NAME, "nodegroupArn": ARN, "clusterName": CLUSTER, "version": "1.35",
    "releaseVersion": "1.35.0-20260115", "status": "ACTIVE", "capacityType": "ON_DEMAND",
    "scalingConfig": {"minSize": 3, "maxSize": 12, "desiredSize": 5},
    "instanceTypes": ["m7i.large", "m6i.large"], "subnets": ["subnet-a", "subnet-c", "subnet-d"],
    "amiType": "AL2023_x86_64_STANDARD", "nodeRole": ROLE,
    "labels": {"triptrip.io/pool": "general", "tier": "app"},
    "taints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}],
    "resources": {"autoScalingGroups": [{"name": "eks-general-a-0ec4d1a2"}]},
    "health": {"issues": []},
    "updateConfig": {"maxUnavailablePercentage": 33},
    "launchTemplate": {"name": "triptrip-production-general", "version": "3", "id": "lt-0123456789abcdef0"},
    "tags": {"Environment": "production"},
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


def nodegroup(**changes):
    """ACTIVE with changes; a change to None drops the key."""
    found = copy.deepcopy(ACTIVE)
    found.update(changes)
    return {"nodegroup": {k: v for k, v in found.items() if v is not None}}


def describe(stubber, response=None):
    if response is None:
        stubber.add_client_error("describe_nodegroup", service_error_code="ResourceNotFoundException",
                                 http_status_code=404, expected_params=KEY)
    else:
        stubber.add_response("describe_nodegroup", response, KEY)


def config_update(stubber, request, update_id="u-1", status="Successful"):
    stubber.add_response("update_nodegroup_config",
                         {"update": {"id": update_id, "status": status, "type": "ConfigUpdate"}}, {**KEY, **request})


def run(run_module, eks, args=None, check=False, drop=()):
    client, _stubber = eks
    merged = {**copy.deepcopy(ARGS), **(args or {})}
    for key in drop:
        merged.pop(key)
    if check:
        merged["_ansible_check_mode"] = True
    return run_module(eks_nodegroup, merged, client, EKS_RETRY)


def changed_settings(result):
    before, after = result["diff"]["before"], result["diff"]["after"]
    return {k for k in after if before.get(k) != after[k]}


def test_create_sends_exactly_the_given_fields_and_waits_for_active(run_module, eks, no_sleep):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_nodegroup", nodegroup(status="CREATING"), {
        **KEY, "nodeRole": ROLE, "subnets": ["subnet-c", "subnet-a", "subnet-d"], "capacityType": "ON_DEMAND",
        "scalingConfig": {"minSize": 3, "maxSize": 12, "desiredSize": 3},
        "instanceTypes": ["m7i.large", "m6i.large"], "amiType": "AL2023_x86_64_STANDARD",
        "labels": {"triptrip.io/pool": "general", "tier": "app"},
        "taints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}],
        "updateConfig": {"maxUnavailablePercentage": 33},
        "launchTemplate": {"name": "triptrip-production-general", "version": "3"},
        "version": "1.35", "releaseVersion": "1.35.0-20260115",
        "tags": {"Environment": "production"},
    })
    describe(stubber, nodegroup(status="CREATING"))
    describe(stubber, nodegroup(scalingConfig={"minSize": 3, "maxSize": 12, "desiredSize": 3}))
    result, failed = run(run_module, eks, {"release_version": "1.35.0-20260115"})
    assert not failed, result
    assert result["changed"] and result["updates"] == [{"call": "create_nodegroup", "what": ["nodegroup"]}]
    assert no_sleep == [POLL_SECONDS]
    assert result["nodegroup"]["status"] == "ACTIVE"
    assert result["nodegroup"]["labels"] == {"triptrip.io/pool": "general", "tier": "app"}
    assert result["nodegroup"]["scaling_config"] == {"min_size": 3, "max_size": 12, "desired_size": 3}
    after = result["diff"]["after"]
    assert result["diff"]["before"] == {}
    assert after["taints"] == [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]
    assert after["scaling"] == {"min_size": 3, "max_size": 12, "desired_size": 3}


def test_minimal_create_omits_everything_unset(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_nodegroup", nodegroup(status="CREATING"), {
        **KEY, "nodeRole": ROLE, "subnets": ["subnet-a"], "capacityType": "SPOT"})
    result, failed = run_module(eks_nodegroup, {
        "cluster_name": CLUSTER, "name": NAME, "node_role_arn": ROLE, "subnets": ["subnet-a"],
        "capacity_type": "SPOT", "wait": False}, eks[0], EKS_RETRY)
    assert not failed and result["changed"], result


def test_create_fails_on_create_failed_with_the_health_issues(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_nodegroup", nodegroup(status="CREATING"))
    describe(stubber, nodegroup(status="CREATE_FAILED", health={"issues": [
        {"code": "Ec2SubnetInvalidConfiguration", "message": "no public IP", "resourceIds": ["subnet-a"]}]}))
    result, failed = run(run_module, eks)
    assert failed and "CREATE_FAILED" in result["msg"]
    assert "Ec2SubnetInvalidConfiguration: no public IP (subnet-a)" in result["msg"]


def test_create_ending_degraded_fails_with_the_health_issues(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_nodegroup", nodegroup(status="CREATING"))
    describe(stubber, nodegroup(status="DEGRADED", health={"issues": [
        {"code": "AsgInstanceLaunchFailures", "message": "InsufficientInstanceCapacity"}]}))
    result, failed = run(run_module, eks)
    assert failed and "is DEGRADED: AsgInstanceLaunchFailures: InsufficientInstanceCapacity" in result["msg"], result


def test_an_update_in_progress_is_waited_for_before_converging(run_module, eks, no_sleep):
    _client, stubber = eks
    describe(stubber, nodegroup(status="UPDATING", labels={}))
    describe(stubber, nodegroup(status="UPDATING", labels={}))
    describe(stubber, nodegroup(labels={}))
    config_update(stubber, {"labels": {"addOrUpdateLabels": {"triptrip.io/pool": "general", "tier": "app"}}})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed and result["changed"], result
    assert len(no_sleep) == 1


def test_create_without_role_or_subnets_fails_naming_them(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    result, failed = run(run_module, eks, drop=("node_role_arn", "subnets"))
    assert failed and "node_role_arn and subnets" in result["msg"], result


def test_rerun_without_difference_makes_only_the_describe_call(run_module, eks):
    # desired 5 (the autoscaler's) differs from the task's 3: under desired_size_policy=create that is no change.
    _client, stubber = eks
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is False and result["updates"] == [] and result["diff"] == {}
    assert result["nodegroup"]["nodegroup_arn"] == ARN


def test_label_value_change_is_sent_as_add_or_update(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(labels={"triptrip.io/pool": "general", "tier": "web", "stale": "x"}))
    config_update(stubber, {"labels": {"addOrUpdateLabels": {"tier": "app"}, "removeLabels": ["stale"]}})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"] == [{"call": "update_nodegroup_config", "what": ["labels"], "id": "u-1",
                                  "type": "ConfigUpdate", "status": "Successful"}]
    assert changed_settings(result) == {"labels"}


def test_taint_value_change_updates_in_place(run_module, eks):
    # The community.aws crash case: same key and effect, another value.
    _client, stubber = eks
    describe(stubber, nodegroup(taints=[{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]))
    config_update(stubber, {"taints": {"addOrUpdateTaints": [
        {"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]}})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"][0]["what"] == ["taints"]
    assert result["diff"]["before"]["taints"] == [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]
    assert result["diff"]["after"]["taints"] == [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]


def test_taint_effect_change_removes_the_old_and_adds_the_new(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    config_update(stubber, {"taints": {
        "addOrUpdateTaints": [{"key": "dedicated", "value": "general", "effect": "NO_EXECUTE"}],
        "removeTaints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]}})
    describe(stubber, nodegroup(taints=[{"key": "dedicated", "value": "general", "effect": "NO_EXECUTE"}]))
    result, failed = run(run_module, eks, {"taints": [{"key": "dedicated", "value": "general", "effect": "NO_EXECUTE"}]})
    assert not failed, result


def test_all_taints_are_removed_when_none_are_left(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(taints=[{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"},
                                        {"key": "gpu", "effect": "NO_EXECUTE"}]))
    config_update(stubber, {"taints": {"removeTaints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"},
                                                        {"key": "gpu", "effect": "NO_EXECUTE"}]}})
    describe(stubber, nodegroup(taints=[]))
    result, failed = run(run_module, eks, {"taints": []})
    assert not failed, result
    assert result["diff"]["after"]["taints"] == []


def test_unset_labels_and_taints_are_not_managed(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(labels={"other": "x"}, taints=[{"key": "gpu", "effect": "NO_EXECUTE"}]))
    result, failed = run(run_module, eks, drop=("labels", "taints"))
    assert not failed and result["changed"] is False, result


def test_scaling_change_without_desired_leaves_desired_alone(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    config_update(stubber, {"scalingConfig": {"maxSize": 20}})
    describe(stubber, nodegroup(scalingConfig={"minSize": 3, "maxSize": 20, "desiredSize": 5}))
    result, failed = run(run_module, eks, {"scaling": {"min_size": 3, "max_size": 20}})
    assert not failed, result
    assert result["diff"]["after"]["scaling"] == {"min_size": 3, "max_size": 20, "desired_size": 5}


def test_desired_given_but_policy_create_is_left_to_the_autoscaler(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    config_update(stubber, {"scalingConfig": {"maxSize": 20}})
    describe(stubber, nodegroup(scalingConfig={"minSize": 3, "maxSize": 20, "desiredSize": 5}))
    result, failed = run(run_module, eks, {"scaling": {"min_size": 3, "max_size": 20, "desired_size": 3}})
    assert not failed, result


@pytest.mark.parametrize(("scaling", "sent"), [
    ({"min_size": 6, "max_size": 12}, {"minSize": 6, "desiredSize": 6}),
    ({"min_size": 1, "max_size": 4}, {"minSize": 1, "maxSize": 4, "desiredSize": 4}),
])
def test_desired_outside_the_new_range_is_clamped(run_module, eks, scaling, sent):
    _client, stubber = eks
    describe(stubber, nodegroup())
    config_update(stubber, {"scalingConfig": sent})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks, {"scaling": scaling})
    assert not failed, result
    assert result["diff"]["after"]["scaling"]["desired_size"] == sent["desiredSize"]


def test_enforce_sends_the_desired_size(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    config_update(stubber, {"scalingConfig": {"desiredSize": 3}})
    describe(stubber, nodegroup(scalingConfig={"minSize": 3, "maxSize": 12, "desiredSize": 3}))
    result, failed = run(run_module, eks, {"desired_size_policy": "enforce"})
    assert not failed, result
    assert changed_settings(result) == {"scaling"}


def test_min_size_alone_above_the_current_max_fails_before_any_write(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks, {"scaling": {"min_size": 13}})
    assert failed and "scaling.min_size" in result["msg"] and "max_size 12" in result["msg"], result


def test_update_config_change(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(updateConfig={"maxUnavailable": 1}))
    config_update(stubber, {"updateConfig": {"maxUnavailablePercentage": 33}})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["diff"]["before"]["update_config"] == {"max_unavailable": 1}
    assert result["diff"]["after"]["update_config"] == {"max_unavailable_percentage": 33}


def test_every_differing_part_goes_in_one_config_update(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(labels={}, taints=[], updateConfig={"maxUnavailable": 1},
                                scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2}))
    config_update(stubber, {
        "labels": {"addOrUpdateLabels": {"triptrip.io/pool": "general", "tier": "app"}},
        "taints": {"addOrUpdateTaints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]},
        "scalingConfig": {"minSize": 3, "maxSize": 12, "desiredSize": 3},
        "updateConfig": {"maxUnavailablePercentage": 33},
    })
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"][0]["what"] == ["labels", "taints", "scaling", "update_config"]


def test_launch_template_version_bump_is_a_version_update(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    stubber.add_response("update_nodegroup_version", {"update": {"id": "u-2", "status": "Successful", "type": "VersionUpdate"}},
                         {**KEY, "launchTemplate": {"name": "triptrip-production-general", "version": "4"}})
    describe(stubber, nodegroup(launchTemplate={**ACTIVE["launchTemplate"], "version": "4"}))
    result, failed = run(run_module, eks, {"launch_template": {"name": "triptrip-production-general", "version": "4"}})
    assert not failed, result
    assert result["updates"] == [{"call": "update_nodegroup_version", "what": ["launch_template.version"], "id": "u-2",
                                  "type": "VersionUpdate", "status": "Successful"}]
    assert changed_settings(result) == {"launch_template"}


def test_latest_launch_template_version_is_resolved_through_ec2(run_module, eks, monkeypatch):
    import boto3
    from botocore.stub import Stubber

    ec2 = boto3.client("ec2", region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(ec2) as ec2_stubber:
        ec2_stubber.add_response("describe_launch_templates", {"LaunchTemplates": [
            {"LaunchTemplateName": "triptrip-production-general", "LatestVersionNumber": 3, "DefaultVersionNumber": 1}]},
            {"LaunchTemplateNames": ["triptrip-production-general"]})
        from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
        monkeypatch.setattr(eks_nodegroup, "ec2_client", lambda _m: RetryingBotoClientWrapper(ec2, EKS_RETRY))
        _client, stubber = eks
        describe(stubber, nodegroup())
        result, failed = run(run_module, eks, {"launch_template": {"name": "triptrip-production-general",
                                                                   "version": "$Latest"}})
        ec2_stubber.assert_no_pending_responses()
    assert not failed and result["changed"] is False, result


def test_config_then_version_update_waits_between_them_even_without_wait(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(version="1.34", labels={}))
    config_update(stubber, {"labels": {"addOrUpdateLabels": {"triptrip.io/pool": "general", "tier": "app"}}},
                  status="InProgress")
    stubber.add_response("describe_update", {"update": {"id": "u-1", "status": "Successful"}},
                         {"name": CLUSTER, "nodegroupName": NAME, "updateId": "u-1"})
    stubber.add_response("update_nodegroup_version", {"update": {"id": "u-2", "status": "InProgress"}},
                         {**KEY, "version": "1.35"})
    describe(stubber, nodegroup(status="UPDATING"))
    result, failed = run(run_module, eks, {"wait": False})
    assert not failed, result
    assert [(u["call"], u["status"]) for u in result["updates"]] == [
        ("update_nodegroup_config", "Successful"), ("update_nodegroup_version", "InProgress")]


def test_update_in_progress_is_polled_until_successful(run_module, eks, no_sleep):
    _client, stubber = eks
    describe(stubber, nodegroup(version="1.34"))
    stubber.add_response("update_nodegroup_version", {"update": {"id": "u-3", "status": "InProgress", "type": "VersionUpdate"}},
                         {**KEY, "version": "1.35"})
    for status in ("InProgress", "InProgress", "Successful"):
        stubber.add_response("describe_update", {"update": {"id": "u-3", "status": status, "type": "VersionUpdate"}},
                             {"name": CLUSTER, "nodegroupName": NAME, "updateId": "u-3"})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"][0]["status"] == "Successful"
    assert len(no_sleep) == 3


@pytest.mark.parametrize("status", ["Failed", "Cancelled"])
def test_failed_update_fails_the_task_with_its_errors(run_module, eks, status):
    _client, stubber = eks
    describe(stubber, nodegroup(version="1.34"))
    stubber.add_response("update_nodegroup_version", {"update": {"id": "u-4", "status": "InProgress"}},
                         {**KEY, "version": "1.35"})
    stubber.add_response("describe_update", {"update": {"id": "u-4", "status": status, "errors": [
        {"errorCode": "PodEvictionFailure", "errorMessage": "Reached max retries while trying to evict pods"}]}},
        {"name": CLUSTER, "nodegroupName": NAME, "updateId": "u-4"})
    result, failed = run(run_module, eks)
    assert failed and f"ended {status}" in result["msg"] and "PodEvictionFailure" in result["msg"], result


def test_update_wait_times_out(run_module, eks, monkeypatch):
    clock = iter(range(0, 100000, 600))
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    _client, stubber = eks
    describe(stubber, nodegroup(version="1.34"))
    stubber.add_response("update_nodegroup_version", {"update": {"id": "u-5", "status": "InProgress"}},
                         {**KEY, "version": "1.35"})
    stubber.add_response("describe_update", {"update": {"id": "u-5", "status": "InProgress"}},
                         {"name": CLUSTER, "nodegroupName": NAME, "updateId": "u-5"})
    result, failed = run(run_module, eks)
    assert failed and "Timed out after 1200 s" in result["msg"], result


def test_tags_are_added_and_purged_on_the_nodegroup_arn(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(tags={"Environment": "staging", "Stale": "x", "aws:cloudformation:stack-name": "s"}))
    stubber.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": {"Environment": "production"}})
    stubber.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["Stale"]})
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert [u["call"] for u in result["updates"]] == ["tag_resource", "untag_resource"]
    assert result["diff"]["after"]["tags"] == {"Environment": "production", "aws:cloudformation:stack-name": "s"}
    assert result["nodegroup"]["tags"] == {"Environment": "production"}


def test_tags_are_kept_without_purge(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(tags={"Environment": "production", "Owner": "sre"}))
    result, failed = run(run_module, eks, {"purge_tags": False})
    assert not failed and result["changed"] is False, result


@pytest.mark.parametrize(("args", "changes", "option", "current", "wanted"), [
    ({"instance_types": ["m7i.xlarge"]}, {}, "instance_types", "['m7i.large', 'm6i.large']", "['m7i.xlarge']"),
    ({"capacity_type": "SPOT"}, {}, "capacity_type", "ON_DEMAND", "SPOT"),
    ({"ami_type": "BOTTLEROCKET_x86_64"}, {}, "ami_type", "AL2023_x86_64_STANDARD", "BOTTLEROCKET_x86_64"),
    ({"subnets": ["subnet-a", "subnet-b"]}, {}, "subnets", "['subnet-a', 'subnet-c', 'subnet-d']", "['subnet-a', 'subnet-b']"),
    ({"node_role_arn": ROLE + "-2"}, {}, "node_role_arn", ROLE, ROLE + "-2"),
    ({"disk_size": 100}, {"diskSize": 50}, "disk_size", "50", "100"),
    ({"launch_template": {"name": "other", "version": "3"}}, {}, "launch_template.name", "triptrip-production-general", "other"),
    ({"launch_template": {"id": "lt-0fff", "version": "3"}}, {}, "launch_template.id", "lt-0123456789abcdef0", "lt-0fff"),
])
def test_immutable_change_fails_naming_field_and_values_without_writing(run_module, eks, args, changes, option,
                                                                        current, wanted):
    _client, stubber = eks
    if "disk_size" in args:
        changes = {**changes, "launchTemplate": None}
        args = {**args, "launch_template": None}
    describe(stubber, nodegroup(**changes))
    # A label change is pending too: nothing at all may be written.
    result, failed = run(run_module, eks, {**args, "labels": {"new": "label"}})
    assert failed, result
    assert f"{option} cannot change on an existing node group (current: {current}, wanted: {wanted})" in result["msg"]
    assert "must be replaced" in result["msg"] and "drain" in result["msg"]


@pytest.mark.parametrize(("scaling", "words"), [
    ({"min_size": 5, "max_size": 3}, "scaling.min_size (5) must not be above scaling.max_size (3)"),
    ({"min_size": 2, "max_size": 4, "desired_size": 1}, "scaling.desired_size (1) must not be below scaling.min_size (2)"),
    ({"min_size": 2, "max_size": 4, "desired_size": 5}, "scaling.desired_size (5) must not be above scaling.max_size (4)"),
    ({"min_size": -1, "max_size": 4}, "scaling.min_size must be 0 or more"),
    ({"min_size": 0, "max_size": 0}, "scaling.max_size must be 1 or more"),
])
def test_bad_scaling_fails_before_any_call(run_module, eks, scaling, words):
    result, failed = run(run_module, eks, {"scaling": scaling})
    assert failed and words in result["msg"], result


def test_bad_taint_effect_fails_naming_it_before_any_call(run_module, eks):
    taints = [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "value": "x", "effect": "NoEvict"}]
    result, failed = run(run_module, eks, {"taints": taints})
    assert failed and "taints[1].effect" in result["msg"], result


@pytest.mark.parametrize(("args", "words"), [
    ({"update_config": {"max_unavailable_percentage": 150}}, "update_config.max_unavailable_percentage"),
    ({"disk_size": 50}, "disk_size cannot be used with launch_template"),
    ({"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "value": "x", "effect": "NO_SCHEDULE"}]},
     "taints[1] repeats taints[0]"),
    ({"update_config": {"max_unavailable": 1, "max_unavailable_percentage": 10}}, "mutually exclusive"),
])
def test_other_bad_options_fail_before_any_call(run_module, eks, args, words):
    result, failed = run(run_module, eks, args)
    assert failed and words in result["msg"], result


def test_check_mode_reports_the_plan_and_writes_nothing(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup(labels={"triptrip.io/pool": "general", "tier": "web"},
                                taints=[{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}],
                                version="1.34", tags={}))
    result, failed = run(run_module, eks, {"scaling": {"min_size": 6, "max_size": 12}}, check=True)
    assert not failed and result["changed"], result
    assert [u["call"] for u in result["updates"]] == ["update_nodegroup_config", "update_nodegroup_version", "tag_resource"]
    assert result["updates"][0]["what"] == ["labels", "taints", "scaling"]
    assert changed_settings(result) == {"labels", "taints", "scaling", "version", "tags"}
    assert result["diff"]["after"]["scaling"] == {"min_size": 6, "max_size": 12, "desired_size": 6}
    assert result["diff"]["after"]["version"] == "1.35"
    assert result["nodegroup"]["version"] == "1.34"


def test_check_mode_create_reports_the_diff(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    result, failed = run(run_module, eks, check=True)
    assert not failed and result["changed"], result
    assert result["diff"]["after"]["launch_template"] == {"id": None, "name": "triptrip-production-general", "version": "3"}
    assert result["nodegroup"] is None


def test_check_mode_delete(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks, {"state": "absent"}, check=True)
    assert not failed and result["changed"] and result["diff"]["after"] == {}, result


def test_throttled_describe_is_retried(run_module, eks, no_sleep):
    _client, stubber = eks
    stubber.add_client_error("describe_nodegroup", service_error_code="ThrottlingException", http_status_code=400,
                             expected_params=KEY)
    stubber.add_client_error("describe_nodegroup", service_error_code="ThrottlingException", http_status_code=400,
                             expected_params=KEY)
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed and result["changed"] is False, result
    assert len(no_sleep) == 2


def test_delete_waits_until_gone(run_module, eks, no_sleep):
    _client, stubber = eks
    describe(stubber, nodegroup())
    stubber.add_response("delete_nodegroup", nodegroup(status="DELETING"), KEY)
    describe(stubber, nodegroup(status="DELETING"))
    describe(stubber)
    result, failed = run(run_module, eks, {"state": "absent"})
    assert not failed, result
    assert result["changed"] and result["updates"] == [{"call": "delete_nodegroup", "what": ["nodegroup"]}]
    assert len(no_sleep) == 1


def test_delete_failed_fails_the_task(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    stubber.add_response("delete_nodegroup", nodegroup(status="DELETING"), KEY)
    describe(stubber, nodegroup(status="DELETE_FAILED", health={"issues": [{"code": "AccessDenied", "message": "no"}]}))
    result, failed = run(run_module, eks, {"state": "absent"})
    assert failed and "DELETE_FAILED" in result["msg"] and "AccessDenied" in result["msg"], result


def test_delete_of_an_absent_nodegroup_makes_no_call(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    result, failed = run(run_module, eks, {"state": "absent"})
    assert not failed and result["changed"] is False, result


def test_create_retries_while_the_node_role_lacks_its_just_attached_policies(run_module, eks, no_sleep):
    _client, stubber = eks
    describe(stubber)
    stubber.add_client_error("create_nodegroup", service_error_code="InvalidParameterException", http_status_code=400,
                             service_message="The provided role doesn't have the Amazon EKS Managed Policies "
                                             "associated with it. Please ensure the following policies "
                                             "[arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy] are attached")
    stubber.add_response("create_nodegroup", nodegroup(status="CREATING"))
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"] == [{"call": "create_nodegroup", "what": ["nodegroup"]}]
    assert no_sleep[0] == 2  # the role's wait, then the node group's poll


REPAIR = {"enabled": True, "max_unhealthy_node_threshold_percentage": 20, "max_parallel_nodes_repaired_count": 1}
REPAIR_SENT = {"enabled": True, "maxUnhealthyNodeThresholdPercentage": 20, "maxParallelNodesRepairedCount": 1}


def test_create_sends_node_repair_with_only_the_thresholds_given(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_nodegroup", nodegroup(status="CREATING"), {
        **KEY, "nodeRole": ROLE, "subnets": ["subnet-a"], "capacityType": "ON_DEMAND",
        "nodeRepairConfig": REPAIR_SENT})
    result, failed = run_module(eks_nodegroup, {
        "cluster_name": CLUSTER, "name": NAME, "node_role_arn": ROLE, "subnets": ["subnet-a"], "node_repair": REPAIR,
        "wait": False}, eks[0], EKS_RETRY)
    assert not failed and result["changed"], result
    assert result["diff"]["after"]["node_repair"] == REPAIR


def test_node_repair_turned_on_is_one_config_update_and_then_in_sync(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())  # EKS describes no nodeRepairConfig: repair is off
    config_update(stubber, {"nodeRepairConfig": REPAIR_SENT})
    describe(stubber, nodegroup(nodeRepairConfig=REPAIR_SENT))
    result, failed = run(run_module, eks, {"node_repair": REPAIR})
    assert not failed, result
    assert result["updates"][0]["what"] == ["node_repair"]
    assert changed_settings(result) == {"node_repair"}
    assert result["diff"]["before"]["node_repair"] == {"enabled": False}
    # EKS's own value for a threshold the task leaves out is not a difference.
    describe(stubber, nodegroup(nodeRepairConfig={**REPAIR_SENT, "nodeRepairConfigOverrides": [
        {"nodeMonitoringCondition": "AcceleratedHardwareReady", "nodeUnhealthyReason": "NvidiaXID13Error",
         "minRepairWaitTimeMins": 10, "repairAction": "Reboot"}]}))
    result, failed = run(run_module, eks, {"node_repair": REPAIR})
    assert not failed and result["changed"] is False, result


def test_node_repair_off_and_unset_are_in_sync_with_a_group_without_it(run_module, eks):
    _client, stubber = eks
    describe(stubber, nodegroup())
    result, failed = run(run_module, eks, {"node_repair": {"enabled": False}})
    assert not failed and result["changed"] is False, result
    describe(stubber, nodegroup(nodeRepairConfig={"enabled": True}))
    result, failed = run(run_module, eks)  # unset: not managed
    assert not failed and result["changed"] is False, result


@pytest.mark.parametrize(("repair", "words"), [
    ({"enabled": True, "max_unhealthy_node_threshold_count": 2, "max_unhealthy_node_threshold_percentage": 20},
     "node_repair: set max_unhealthy_node_threshold_count or max_unhealthy_node_threshold_percentage, not both"),
    ({"enabled": True, "max_parallel_nodes_repaired_percentage": 150},
     "node_repair.max_parallel_nodes_repaired_percentage must be between 1 and 100, got 150"),
    ({"enabled": True, "max_unhealthy_node_threshold_count": 0},
     "node_repair.max_unhealthy_node_threshold_count must be 1 or more, got 0"),
    ({"enabled": False, "max_parallel_nodes_repaired_count": 1}, "apply only with enabled=true"),
])
def test_bad_node_repair_thresholds_fail_before_any_call(run_module, eks, repair, words):
    result, failed = run(run_module, eks, {"node_repair": repair})
    assert failed and words in result["msg"], result
