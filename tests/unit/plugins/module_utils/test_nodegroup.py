"""module_utils.nodegroup: eks_nodegroup's validation, plan, --diff settings, launch template version and waits,
without a module run."""

from __future__ import annotations

import copy
import time

import botocore.exceptions
import pytest

from ansible_collections.triptrip.platform.plugins.module_utils import nodegroup as ng

ARN = "arn:aws:eks:ap-northeast-1:123456789012:nodegroup/c/general-a/1"
HAVE = {
    "nodegroupName": "general-a", "clusterName": "c", "nodegroupArn": ARN, "status": "ACTIVE",
    "nodeRole": "arn:aws:iam::123456789012:role/node", "subnets": ["subnet-b", "subnet-a"],
    "instanceTypes": ["m7i.large"], "capacityType": "ON_DEMAND", "amiType": "AL2023_x86_64_STANDARD",
    "scalingConfig": {"minSize": 3, "maxSize": 12, "desiredSize": 5},
    "labels": {"pool": "general"}, "taints": [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}],
    "updateConfig": {"maxUnavailablePercentage": 33},
    "launchTemplate": {"name": "lt", "id": "lt-1", "version": "3"},
    "version": "1.35", "releaseVersion": "1.35.0-20260115", "tags": {"Environment": "production", "aws:x": "y"},
}


def params(**overrides):
    base = {"cluster_name": "c", "name": "general-a", "node_role_arn": None, "subnets": None, "instance_types": None,
            "capacity_type": "ON_DEMAND", "ami_type": None, "disk_size": None, "scaling": None,
            "desired_size_policy": "create", "labels": None, "taints": None, "update_config": None,
            "launch_template": None, "version": None, "release_version": None, "tags": None, "purge_tags": True}
    return {**base, **overrides}


def have(**overrides):
    return {**copy.deepcopy(HAVE), **overrides}


# --- validate --------------------------------------------------------------------------------------------------

def test_valid_params_pass_and_taint_effects_are_normalised():
    p = params(taints=[{"key": "a", "value": None, "effect": "NoSchedule"}],
               scaling={"min_size": 0, "max_size": 1, "desired_size": 1})
    assert ng.validate(p) is None
    assert p["taints"][0]["effect"] == "NO_SCHEDULE"


@pytest.mark.parametrize(("overrides", "words"), [
    ({"scaling": {"min_size": -1}}, "scaling.min_size must be 0 or more"),
    ({"scaling": {"max_size": 0}}, "scaling.max_size must be 1 or more"),
    ({"scaling": {"min_size": 3, "max_size": 2}}, "must not be above scaling.max_size"),
    ({"scaling": {"min_size": 3, "desired_size": 2}}, "must not be below scaling.min_size"),
    ({"taints": [{"key": "a", "effect": "Never"}]}, "taints[0].effect='Never' is not a taint effect"),
    ({"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "effect": "NO_SCHEDULE"}]},
     "taints[1] repeats taints[0]"),
    ({"update_config": {"max_unavailable_percentage": 101}}, "between 1 and 100"),
    ({"update_config": {"max_unavailable": 0}}, "max_unavailable must be 1 or more"),
    ({"disk_size": 20, "launch_template": {"name": "lt"}}, "disk_size cannot be used with launch_template"),
    ({"ami_type": "CUSTOM", "version": "1.35"}, "version cannot be used with ami_type=CUSTOM"),
    ({"version": "1.35.1"}, "must be a Kubernetes minor"),
])
def test_invalid_params_name_the_option(overrides, words):
    assert words in ng.validate(params(**overrides))


# --- plan ------------------------------------------------------------------------------------------------------

def test_a_node_group_as_wanted_needs_nothing():
    p = params(labels={"pool": "general"}, taints=[{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}],
               scaling={"min_size": 3, "max_size": 12, "desired_size": 3}, update_config={
                   "max_unavailable_percentage": 33, "max_unavailable": None},
               launch_template={"name": "lt", "version": "3"}, version="1.35", tags={"Environment": "production"})
    steps = ng.plan(p, have(), "3")
    assert steps == {"config": None, "config_parts": [], "version": None, "version_parts": [], "add_tags": {},
                     "remove_tags": [], "refusal": None}


def test_labels_and_taints_are_diffed_by_value():
    p = params(labels={"pool": "gpu", "new": 1}, taints=[{"key": "dedicated", "value": "gpu", "effect": "NO_SCHEDULE"}])
    steps = ng.plan(p, have(labels={"pool": "general", "old": "x"}), None)
    assert steps["config"] == {
        "clusterName": "c", "nodegroupName": "general-a",
        "labels": {"addOrUpdateLabels": {"pool": "gpu", "new": "1"}, "removeLabels": ["old"]},
        "taints": {"addOrUpdateTaints": [{"key": "dedicated", "value": "gpu", "effect": "NO_SCHEDULE"}]},
    }
    assert steps["config_parts"] == ["labels", "taints"]


def test_empty_labels_and_taints_remove_all():
    steps = ng.plan(params(labels={}, taints=[]), have(), None)
    assert steps["config"]["labels"] == {"removeLabels": ["pool"]}
    assert steps["config"]["taints"] == {"removeTaints": [{"key": "dedicated", "value": "general",
                                                           "effect": "NO_SCHEDULE"}]}


@pytest.mark.parametrize(("scaling", "policy", "sent"), [
    ({"min_size": 3, "max_size": 12, "desired_size": 3}, "create", None),  # the autoscaler owns desired
    ({"min_size": 6, "max_size": 12, "desired_size": 6}, "create", {"minSize": 6, "desiredSize": 6}),  # clamped up
    ({"max_size": 4}, "create", {"maxSize": 4, "desiredSize": 4}),  # clamped down
    ({"min_size": 3, "max_size": 12, "desired_size": 3}, "enforce", {"desiredSize": 3}),
])
def test_scaling_sends_desired_size_by_policy(scaling, policy, sent):
    steps = ng.plan(params(scaling=scaling, desired_size_policy=policy), have(), None)
    assert (steps["config"] or {}).get("scalingConfig") == sent


def test_a_size_given_alone_is_checked_against_the_current_other():
    steps = ng.plan(params(scaling={"min_size": 20}), have(), None)
    assert "min_size 20 above max_size 12" in steps["refusal"] and steps["config"] is None


@pytest.mark.parametrize(("overrides", "option"), [
    ({"node_role_arn": "arn:aws:iam::123456789012:role/other"}, "node_role_arn"),
    ({"subnets": ["subnet-c"]}, "subnets"),
    ({"instance_types": ["m6i.large"]}, "instance_types"),
    ({"capacity_type": "SPOT"}, "capacity_type"),
    ({"ami_type": "BOTTLEROCKET_x86_64"}, "ami_type"),
    ({"launch_template": {"id": "lt-2"}}, "launch_template.id"),
    ({"launch_template": {"name": "other"}}, "launch_template.name"),
])
def test_settings_eks_cannot_change_are_refused_with_both_values(overrides, option):
    steps = ng.plan(params(**overrides), have(), None)
    assert steps["refusal"].startswith(f"{option} cannot change") and ng.IMMUTABLE_ADVICE in steps["refusal"]
    assert steps["config"] is None and steps["version"] is None


def test_subnets_in_another_order_are_not_a_change():
    assert ng.plan(params(subnets=["subnet-a", "subnet-b"]), have(), None)["refusal"] is None


def test_version_launch_template_and_release_go_in_one_version_update():
    p = params(launch_template={"name": "lt", "version": "$Latest"}, version="1.36", release_version="1.36.0-1")
    steps = ng.plan(p, have(), "4")
    assert steps["version"] == {"clusterName": "c", "nodegroupName": "general-a", "version": "1.36",
                                "launchTemplate": {"name": "lt", "version": "4"}, "releaseVersion": "1.36.0-1"}
    assert steps["version_parts"] == ["launch_template.version", "version", "release_version"]


def test_tags_are_added_and_purged_but_aws_keys_kept():
    steps = ng.plan(params(tags={"Environment": "staging", "Team": 1}),
                    have(tags={"Environment": "production", "Old": "x", "aws:x": "y"}), None)
    assert steps["add_tags"] == {"Environment": "staging", "Team": "1"} and steps["remove_tags"] == ["Old"]
    after = ng.desired_settings(params(tags={"Environment": "staging", "Team": 1}), ng.settings(have(
        tags={"Environment": "production", "Old": "x", "aws:x": "y"})), steps)
    assert after["tags"] == {"Environment": "staging", "Team": "1", "aws:x": "y"}


def test_desired_settings_is_have_with_the_plan_carried_out():
    p = params(labels={"pool": "gpu"}, scaling={"max_size": 4}, version="1.36")
    before = ng.settings(have())
    after = ng.desired_settings(p, before, ng.plan(p, have(), None))
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"labels", "scaling", "version"}
    assert after["scaling"] == {"min_size": 3, "max_size": 4, "desired_size": 4}


def test_create_request_and_create_settings_agree():
    p = params(node_role_arn="arn:role", subnets=["s-2", "s-1"], scaling={"min_size": 1, "max_size": 2,
                                                                          "desired_size": None},
               labels={"a": 1}, taints=[{"key": "k", "value": "", "effect": "NO_EXECUTE"}],
               launch_template={"id": "lt-1", "name": None, "version": "2"}, tags={"T": "v"})
    request = ng.create_request(p)
    assert request["scalingConfig"] == {"minSize": 1, "maxSize": 2}
    assert request["taints"] == [{"key": "k", "effect": "NO_EXECUTE"}]
    assert request["launchTemplate"] == {"id": "lt-1", "version": "2"} and request["labels"] == {"a": "1"}
    assert "diskSize" not in request and "amiType" not in request
    created = ng.create_settings(p)
    assert created["subnets"] == ["s-1", "s-2"] and created["tags"] == {"T": "v"}
    assert created["scaling"] == {"min_size": 1, "max_size": 2, "desired_size": None}


# --- launch template version -------------------------------------------------------------------------------------

class Ec2:
    def __init__(self):
        self.asked = []

    def describe_launch_templates(self, **kwargs):
        self.asked.append(kwargs)
        return {"LaunchTemplates": [{"LatestVersionNumber": 7, "DefaultVersionNumber": 2}]}


@pytest.mark.parametrize(("template", "expected", "request_"), [
    ({"name": "lt", "version": "$Latest"}, "7", {"LaunchTemplateNames": ["lt"]}),
    ({"id": "lt-1", "version": "$Default"}, "2", {"LaunchTemplateIds": ["lt-1"]}),
])
def test_latest_and_default_are_looked_up(template, expected, request_):
    ec2 = Ec2()
    assert ng.resolve_template_version(params(launch_template=template), have(), lambda: ec2) == expected
    assert ec2.asked == [{"aws_retry": True, **request_}]


@pytest.mark.parametrize(("template", "nodegroup"), [
    ({"name": "lt", "version": "5"}, HAVE), ({"name": "lt", "version": None}, HAVE), (None, HAVE),
    ({"name": "lt", "version": "$Latest"}, None),  # creation: EKS resolves it
])
def test_other_versions_need_no_ec2_call(template, nodegroup):
    def no_ec2():
        raise AssertionError("no EC2 client wanted")
    expected = (template or {}).get("version")
    assert ng.resolve_template_version(params(launch_template=template), nodegroup, no_ec2) == expected


# --- waits ---------------------------------------------------------------------------------------------------------

class Failed(Exception):
    pass


class Module:
    def __init__(self, timeout=60):
        self.params = params(wait_timeout=timeout)

    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])


class Eks:
    def __init__(self, nodegroups=(), updates=()):
        self.nodegroups, self.updates = list(nodegroups), list(updates)

    def describe_nodegroup(self, **_kwargs):
        return {"nodegroup": self.nodegroups.pop(0)}

    def describe_update(self, **kwargs):
        assert kwargs["nodegroupName"] == "general-a" and kwargs["updateId"] == "u-1"
        return {"update": self.updates.pop(0)}


@pytest.fixture
def slept(monkeypatch):
    now, sleeps = [0.0], []
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(time, "sleep", lambda s: (sleeps.append(s), now.__setitem__(0, now[0] + s)))
    return sleeps


def test_wait_for_nodegroup_until_active(slept):
    client = Eks([{"status": "CREATING"}, {"status": "ACTIVE", "nodegroupName": "general-a"}])
    assert ng.wait_for_nodegroup(Module(), client)["status"] == "ACTIVE" and slept == [10]


@pytest.mark.parametrize(("status", "usable", "ok"), [
    ("DEGRADED", ("ACTIVE",), False),
    ("DEGRADED", ("ACTIVE", "DEGRADED"), True),
    ("CREATE_FAILED", ("ACTIVE",), False),
])
def test_wait_for_nodegroup_fails_on_a_failed_status_unless_usable(slept, status, usable, ok):
    nodegroup = {"status": status, "health": {"issues": [{"code": "Ec2LaunchFailed", "message": "quota",
                                                          "resourceIds": ["asg-1"]}]}}
    if ok:
        assert ng.wait_for_nodegroup(Module(), Eks([nodegroup]), usable=usable) == nodegroup
        return
    with pytest.raises(Failed, match=f"is {status}: Ec2LaunchFailed: quota \\(asg-1\\)"):
        ng.wait_for_nodegroup(Module(), Eks([nodegroup]), usable=usable)


def test_wait_for_deletion(slept):
    class Gone(Eks):
        def describe_nodegroup(self, **kwargs):
            if not self.nodegroups:
                raise botocore.exceptions.ClientError({"Error": {"Code": "ResourceNotFoundException"}},
                                                      "DescribeNodegroup")
            return super().describe_nodegroup(**kwargs)
    assert ng.wait_for_nodegroup(Module(), Gone([{"status": "DELETING"}]), gone=True) is None and slept == [10]
    with pytest.raises(Failed, match="is DELETE_FAILED"):
        ng.wait_for_nodegroup(Module(), Gone([{"status": "DELETE_FAILED"}]), gone=True)


def test_wait_for_nodegroup_times_out_with_the_status(slept):
    with pytest.raises(Failed, match=r"Timed out after 20 s .* to be ACTIVE \(now CREATING: no health issues"):
        ng.wait_for_nodegroup(Module(20), Eks([{"status": "CREATING"}] * 3))


def test_wait_for_update(slept):
    client = Eks(updates=[{"id": "u-1", "status": "Successful"}])
    assert ng.wait_for_update(Module(), client, {"id": "u-1", "status": "InProgress"})["status"] == "Successful"
    with pytest.raises(Failed, match=r"ended Failed: PodEvictionFailure: stuck"):
        ng.wait_for_update(Module(), Eks(updates=[{"id": "u-1", "status": "Failed", "errors": [
            {"errorCode": "PodEvictionFailure", "errorMessage": "stuck"}]}]), {"id": "u-1", "status": "InProgress"})
    with pytest.raises(Failed, match=r"ended Cancelled: no errors reported"):
        ng.wait_for_update(Module(), Eks(), {"id": "u-1", "status": "Cancelled"})
    with pytest.raises(Failed, match=r"Timed out after 10 s waiting for EKS update u-1 .*\(now InProgress\)"):
        ng.wait_for_update(Module(10), Eks(updates=[{"id": "u-1", "status": "InProgress"}]),
                           {"id": "u-1", "status": "InProgress"})
