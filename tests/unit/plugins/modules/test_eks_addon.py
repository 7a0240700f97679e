"""triptrip.platform.eks_addon against botocore's Stubber: the exact requests it sends, none when nothing differs, the
version check, the configuration held to the add-on's schema before any change, the waits and their failures."""

from __future__ import annotations

import copy
import json
import time

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_addon

CLUSTER_NAME = "triptrip-production"
ROLE = "arn:aws:iam::123456789012:role/triptrip-production-vpc-cni"
ARN = "arn:aws:eks:ap-northeast-1:123456789012:addon/triptrip-production/vpc-cni/1a2b3c4d"
CONFIG = {
    "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
    "enableNetworkPolicy": "true",
}
# What the module sends: compact JSON with sorted keys, the same string whatever the task's key order.
CONFIG_JSON = ('{"enableNetworkPolicy":"true","env":{"ENABLE_PREFIX_DELEGATION":"true",'
               '"POD_SECURITY_GROUP_ENFORCING_MODE":"standard","WARM_PREFIX_TARGET":"1"}}')
VERSION = "v1.21.1-eksbuild.3"
ARGS = {
    "cluster_name": CLUSTER_NAME, "name": "vpc-cni", "addon_version": VERSION,
    "configuration_values": CONFIG, "service_account_role_arn": ROLE, "tags": {"Environment": "production"},
}
ACTIVE = {
    "addonName": "vpc-cni", "clusterName": CLUSTER_NAME, "status": "ACTIVE", "addonVersion": VERSION,
    "addonArn": ARN, "serviceAccountRoleArn": ROLE, "configurationValues": CONFIG_JSON,
    "health": {"issues": []}, "tags": {"Environment": "production"},
}
ADDON_KEY = {"clusterName": CLUSTER_NAME, "addonName": "vpc-cni"}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)


def addon(**changes):
    described = copy.deepcopy(ACTIVE)
    for key, value in changes.items():
        if value is None:
            described.pop(key, None)
        else:
            described[key] = value
    return {"addon": described}


def describe(stubber, response=None):
    if response is None:
        stubber.add_client_error("describe_addon", service_error_code="ResourceNotFoundException",
                                 http_status_code=404, expected_params=ADDON_KEY)
    else:
        stubber.add_response("describe_addon", response, ADDON_KEY)


def versions_offered(stubber, kubernetes="1.35", versions=(VERSION, "v1.20.4-eksbuild.2")):
    stubber.add_response("describe_cluster", {"cluster": {"name": CLUSTER_NAME, "version": kubernetes, "status": "ACTIVE"}},
                         {"name": CLUSTER_NAME})
    stubber.add_response(
        "describe_addon_versions",
        {"addons": [{"addonName": "vpc-cni", "addonVersions": [{"addonVersion": v} for v in versions]}]},
        {"addonName": "vpc-cni", "kubernetesVersion": kubernetes},
    )


# A vpc-cni configuration schema in EKS's shape (a JSON string, closed at the top), reduced to what the tests send.
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": False,
    "properties": {
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "enableNetworkPolicy": {"type": "string", "enum": ["true", "false"]},
        "nodeAgent": {"type": "object", "additionalProperties": False,
                      "properties": {"enablePolicyEventLogs": {"type": "string", "enum": ["true", "false"]}}},
    },
}


def schema_given(stubber, version=VERSION, schema="vpc-cni"):
    """DescribeAddonConfiguration for vpc-cni at `version`: SCHEMA, another schema, or None for an empty one."""
    schema = SCHEMA if schema == "vpc-cni" else schema
    stubber.add_response("describe_addon_configuration",
                         {"addonName": "vpc-cni", "addonVersion": version,
                          "configurationSchema": json.dumps(schema) if schema is not None else ""},
                         {"addonName": "vpc-cni", "addonVersion": version})


def updated(stubber, params, update_id="u-1"):
    stubber.add_response("update_addon", {"update": {"id": update_id, "status": "InProgress", "type": "AddonUpdate"}},
                         {**ADDON_KEY, **params})
    stubber.add_response("describe_update", {"update": {"id": update_id, "status": "InProgress"}},
                         {"name": CLUSTER_NAME, "updateId": update_id, "addonName": "vpc-cni"})
    stubber.add_response("describe_update", {"update": {"id": update_id, "status": "Successful"}},
                         {"name": CLUSTER_NAME, "updateId": update_id, "addonName": "vpc-cni"})


def run(run_module, eks, args=None, check=False, replace=None):
    client, _stubber = eks
    merged = dict(replace) if replace is not None else {**ARGS, **(args or {})}
    if check:
        merged["_ansible_check_mode"] = True
    return run_module(eks_addon, merged, client, EKS_RETRY)


def test_create_sends_the_configuration_as_json_with_the_role_and_waits_until_active(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    schema_given(stubber)
    stubber.add_response("create_addon", addon(status="CREATING"), {
        **ADDON_KEY, "addonVersion": VERSION, "configurationValues": CONFIG_JSON,
        "serviceAccountRoleArn": ROLE, "resolveConflicts": "OVERWRITE", "tags": {"Environment": "production"},
    })
    describe(stubber, addon(status="CREATING"))
    describe(stubber, addon())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is True
    assert result["addon"]["status"] == "ACTIVE"
    assert result["addon"]["configuration_values"] == CONFIG  # parsed, and its keys not snake_cased
    assert result["addon"]["tags"] == {"Environment": "production"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["configuration_values"] == CONFIG
    assert json.loads(CONFIG_JSON) == CONFIG


def test_same_configuration_in_another_key_order_makes_only_the_describe_call(run_module, eks):
    _client, stubber = eks
    reordered = {"enableNetworkPolicy": "true",
                 "env": {"WARM_PREFIX_TARGET": "1", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard",
                         "ENABLE_PREFIX_DELEGATION": "true"}}
    # EKS hands back the string as it was stored, here pretty-printed and in yet another order.
    describe(stubber, addon(configurationValues=json.dumps({"env": CONFIG["env"], "enableNetworkPolicy": "true"}, indent=2)))
    result, failed = run(run_module, eks, {"configuration_values": reordered})
    assert not failed, result
    assert result["changed"] is False and result["diff"] == {}
    assert result["addon"]["configuration_values"] == CONFIG


def test_yaml_configuration_set_elsewhere_is_compared_as_data(run_module, eks):
    _client, stubber = eks
    yaml_text = ("enableNetworkPolicy: 'true'\nenv:\n  ENABLE_PREFIX_DELEGATION: 'true'\n  WARM_PREFIX_TARGET: '1'\n"
                 "  POD_SECURITY_GROUP_ENFORCING_MODE: standard\n")
    describe(stubber, addon(configurationValues=yaml_text))
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is False


def test_version_bump_sends_only_the_version_and_resolve_conflicts(run_module, eks):
    _client, stubber = eks
    # kube-proxy style add-on: no IRSA role, no configuration managed.
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2", serviceAccountRoleArn=None, configurationValues=None))
    versions_offered(stubber)
    updated(stubber, {"addonVersion": VERSION, "resolveConflicts": "OVERWRITE"})
    describe(stubber, addon(status="UPDATING", serviceAccountRoleArn=None, configurationValues=None))
    describe(stubber, addon(serviceAccountRoleArn=None, configurationValues=None))
    args = {"cluster_name": CLUSTER_NAME, "name": "vpc-cni", "addon_version": VERSION}
    result, failed = run(run_module, eks, replace=args)
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["before"]["addon_version"] == "v1.20.4-eksbuild.2"
    assert result["diff"]["after"]["addon_version"] == VERSION
    assert result["addon"]["addon_version"] == VERSION
    assert result["addon"]["configuration_values"] == {}


def test_version_bump_carries_the_role_the_add_on_keeps(run_module, eks):
    # EKS reverts the service account to the node role when an update names no role: the kept role goes along.
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2"))
    versions_offered(stubber)
    schema_given(stubber)  # the kept configuration, against the new version's schema
    updated(stubber, {"addonVersion": VERSION, "serviceAccountRoleArn": ROLE, "resolveConflicts": "PRESERVE"})
    describe(stubber, addon())
    result, failed = run(run_module, eks, {"resolve_conflicts": "PRESERVE"})
    assert not failed, result
    assert result["changed"] is True
    changed = {k for k in result["diff"]["before"] if result["diff"]["before"][k] != result["diff"]["after"][k]}
    assert changed == {"addon_version"}


def test_configuration_change_sends_the_new_json_without_a_version_check(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon(configurationValues='{"env":{"ENABLE_PREFIX_DELEGATION":"false"}}'))
    schema_given(stubber)
    updated(stubber, {"configurationValues": CONFIG_JSON, "serviceAccountRoleArn": ROLE, "resolveConflicts": "OVERWRITE"})
    describe(stubber, addon())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["before"]["configuration_values"] == {"env": {"ENABLE_PREFIX_DELEGATION": "false"}}
    assert result["diff"]["after"]["configuration_values"] == CONFIG


def test_empty_configuration_leaves_the_configuration_alone(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    result, failed = run(run_module, eks, {"configuration_values": {}})
    assert not failed, result
    assert result["changed"] is False


def test_role_removal_is_an_update_naming_no_role(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    updated(stubber, {"resolveConflicts": "OVERWRITE"})
    describe(stubber, addon(serviceAccountRoleArn=None))
    result, failed = run(run_module, eks, {"service_account_role_arn": ""})
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["before"]["service_account_role_arn"] == ROLE
    assert result["diff"]["after"]["service_account_role_arn"] is None
    assert "service_account_role_arn" not in result["addon"]


def test_role_change_sends_the_new_role(run_module, eks):
    _client, stubber = eks
    other = ROLE + "-v2"
    describe(stubber, addon())
    updated(stubber, {"serviceAccountRoleArn": other, "resolveConflicts": "OVERWRITE"})
    describe(stubber, addon(serviceAccountRoleArn=other))
    result, failed = run(run_module, eks, {"service_account_role_arn": other})
    assert not failed, result
    assert result["changed"] is True


def test_unset_role_is_left_alone(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    args = {k: v for k, v in ARGS.items() if k != "service_account_role_arn"}
    result, failed = run(run_module, eks, replace=args)
    assert not failed, result
    assert result["changed"] is False


def test_tags_are_added_and_purged_on_the_addon_arn_without_an_update(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon(tags={"Environment": "staging", "Stale": "x", "aws:cloudformation:stack-name": "s"}))
    stubber.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": {"Environment": "production"}})
    stubber.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["Stale"]})
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is True
    assert result["addon"]["tags"] == {"Environment": "production", "aws:cloudformation:stack-name": "s"}
    assert result["diff"]["after"]["tags"] == {"Environment": "production", "aws:cloudformation:stack-name": "s"}


def test_tags_are_kept_without_purge(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon(tags={"Environment": "production", "Owner": "platform"}))
    result, failed = run(run_module, eks, {"purge_tags": False})
    assert not failed, result
    assert result["changed"] is False


def test_unknown_version_fails_naming_addon_version_with_the_available_ones_and_no_write(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    result, failed = run(run_module, eks, {"addon_version": "v9.9.9-eksbuild.1"})
    assert failed, result
    assert "addon_version v9.9.9-eksbuild.1" in result["msg"]
    assert VERSION in result["msg"] and "v1.20.4-eksbuild.2" in result["msg"] and "1.35" in result["msg"]
    assert result["available_versions"] == [VERSION, "v1.20.4-eksbuild.2"]


def test_unknown_version_on_an_existing_addon_fails_before_the_update(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    versions_offered(stubber)
    result, failed = run(run_module, eks, {"addon_version": "v9.9.9-eksbuild.1"})
    assert failed and "addon_version" in result["msg"], result


def test_version_list_is_read_page_by_page(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("describe_cluster", {"cluster": {"name": CLUSTER_NAME, "version": "1.35"}}, {"name": CLUSTER_NAME})
    stubber.add_response("describe_addon_versions",
                         {"addons": [{"addonName": "vpc-cni", "addonVersions": [{"addonVersion": "v1.20.4-eksbuild.2"}]}],
                          "nextToken": "page-2"},
                         {"addonName": "vpc-cni", "kubernetesVersion": "1.35"})
    stubber.add_response("describe_addon_versions",
                         {"addons": [{"addonName": "vpc-cni", "addonVersions": [{"addonVersion": VERSION}]}]},
                         {"addonName": "vpc-cni", "kubernetesVersion": "1.35", "nextToken": "page-2"})
    schema_given(stubber)
    result, failed = run(run_module, eks, check=True)
    assert not failed, result
    assert result["changed"] is True and "addon" not in result


def test_create_without_version_leaves_the_version_to_eks_and_skips_the_check(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_addon", addon(status="CREATING"), {**ADDON_KEY, "resolveConflicts": "OVERWRITE"})
    result, failed = run(run_module, eks, replace={"cluster_name": CLUSTER_NAME, "name": "vpc-cni", "wait": False})
    assert not failed, result
    assert result["changed"] is True
    assert result["addon"]["status"] == "CREATING"
    assert "addon_version" not in result["diff"]["after"]


def test_create_failed_fails_with_the_health_issues(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    schema_given(stubber)
    stubber.add_response("create_addon", addon(status="CREATING"), {
        **ADDON_KEY, "addonVersion": VERSION, "configurationValues": CONFIG_JSON,
        "serviceAccountRoleArn": ROLE, "resolveConflicts": "OVERWRITE", "tags": {"Environment": "production"},
    })
    describe(stubber, addon(status="CREATE_FAILED", health={"issues": [{
        "code": "ConfigurationConflict", "message": "Conflicts found when trying to apply. Will not continue",
        "resourceIds": ["aws-node"]}]}))
    result, failed = run(run_module, eks)
    assert failed, result
    assert "CREATE_FAILED" in result["msg"]
    assert "ConfigurationConflict: Conflicts found when trying to apply" in result["msg"] and "aws-node" in result["msg"]


def test_degraded_after_create_fails_with_the_health_issues(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_addon", addon(status="CREATING"), {**ADDON_KEY, "resolveConflicts": "OVERWRITE"})
    describe(stubber, addon(status="DEGRADED", health={"issues": [{
        "code": "InsufficientNumberOfReplicas", "message": "The add-on is unhealthy because it doesn't have the desired number of replicas."}]}))
    result, failed = run(run_module, eks, replace={"cluster_name": CLUSTER_NAME, "name": "vpc-cni"})
    assert failed and "DEGRADED" in result["msg"] and "InsufficientNumberOfReplicas" in result["msg"], result


def test_failed_update_fails_with_its_errors(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2"))
    versions_offered(stubber)
    schema_given(stubber)
    stubber.add_response("update_addon", {"update": {"id": "u-9", "status": "InProgress"}},
                         {**ADDON_KEY, "addonVersion": VERSION, "serviceAccountRoleArn": ROLE, "resolveConflicts": "NONE"})
    stubber.add_response("describe_update", {"update": {"id": "u-9", "status": "Failed", "errors": [
        {"errorCode": "ConfigurationConflict", "errorMessage": "Apply failed with 1 conflict: conflict with \"kubectl\"",
         "resourceIds": ["aws-node"]}]}},
        {"name": CLUSTER_NAME, "updateId": "u-9", "addonName": "vpc-cni"})
    result, failed = run(run_module, eks, {"resolve_conflicts": "NONE"})
    assert failed, result
    assert "ended Failed" in result["msg"] and "ConfigurationConflict" in result["msg"] and "kubectl" in result["msg"]


def test_check_mode_makes_no_write_call_and_reports_the_diff(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2", serviceAccountRoleArn=None, tags={"Stale": "x"}))
    versions_offered(stubber)  # reads still run: a bad pin shows up in --check
    schema_given(stubber)
    result, failed = run(run_module, eks, check=True)
    assert not failed, result
    assert result["changed"] is True
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert {k for k in before if before[k] != after[k]} == {"addon_version", "service_account_role_arn", "tags"}
    assert after["tags"] == {"Environment": "production"}
    assert result["addon"]["addon_version"] == "v1.20.4-eksbuild.2"


def test_check_mode_create_makes_no_write_call(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    schema_given(stubber)
    result, failed = run(run_module, eks, check=True)
    assert not failed, result
    assert result["changed"] is True and "addon" not in result
    assert result["diff"]["after"] == {"addon_version": VERSION, "configuration_values": CONFIG,
                                       "service_account_role_arn": ROLE, "tags": {"Environment": "production"}}


def test_check_mode_before_the_cluster_exists_plans_the_create(run_module, eks):
    """--check on a new account: the cluster comes earlier in the same run, so the add-on is planned, not failed."""
    _client, stubber = eks
    stubber.add_client_error("describe_addon", service_error_code="ResourceNotFoundException", http_status_code=404)
    stubber.add_client_error("describe_cluster", service_error_code="ResourceNotFoundException", http_status_code=404)
    schema_given(stubber)  # a schema needs no cluster: a misspelt key shows up in the first plan
    result, failed = run(run_module, eks, check=True)
    assert not failed, result
    assert result["changed"] is True and result["diff"]["after"]["addon_version"] == VERSION


def test_a_real_run_without_the_cluster_fails_naming_it(run_module, eks):
    _client, stubber = eks
    stubber.add_client_error("describe_addon", service_error_code="ResourceNotFoundException", http_status_code=404)
    stubber.add_client_error("describe_cluster", service_error_code="ResourceNotFoundException", http_status_code=404)
    result, failed = run(run_module, eks)
    assert failed and "EKS cluster triptrip-production does not exist" in result["msg"], result


def test_throttling_is_retried(run_module, eks):
    _client, stubber = eks
    for _attempt in range(3):
        stubber.add_client_error("describe_addon", service_error_code="ThrottlingException", http_status_code=400)
    describe(stubber, addon())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is False


def test_delete_with_preserve_waits_until_gone(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    stubber.add_response("delete_addon", addon(status="DELETING"), {**ADDON_KEY, "preserve": True})
    describe(stubber, addon(status="DELETING"))
    describe(stubber)
    result, failed = run(run_module, eks, {"state": "absent", "preserve": True})
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["after"] == {} and result["diff"]["before"]["addon_version"] == VERSION


def test_delete_of_a_missing_addon_changes_nothing(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    result, failed = run(run_module, eks, {"state": "absent"})
    assert not failed and result["changed"] is False, result


def test_delete_in_check_mode_makes_no_call(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    result, failed = run(run_module, eks, {"state": "absent"}, check=True)
    assert not failed and result["changed"] is True, result


def test_wait_times_out_with_the_last_status(run_module, eks, monkeypatch):
    _client, stubber = eks
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    describe(stubber)
    stubber.add_response("create_addon", addon(status="CREATING"), {**ADDON_KEY, "resolveConflicts": "OVERWRITE"})
    for _attempt in range(4):  # t = 0, 10, 20, 25 s
        describe(stubber, addon(status="CREATING"))
    result, failed = run(run_module, eks, replace={"cluster_name": CLUSTER_NAME, "name": "vpc-cni", "wait_timeout": 25})
    assert failed, result
    assert "Timed out after 25 s" in result["msg"] and "vpc-cni" in result["msg"] and "CREATING" in result["msg"]


def test_create_retries_while_iam_has_not_propagated_the_irsa_role(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_client_error("create_addon", service_error_code="InvalidParameterException", http_status_code=400,
                             service_message=f"Role with arn: {ROLE}, could not be assumed because it does not exist"
                                             " or the trusted entity is not correct")
    stubber.add_response("create_addon", addon(status="CREATING"), {**ADDON_KEY, "resolveConflicts": "OVERWRITE"})
    result, failed = run(run_module, eks, replace={"cluster_name": CLUSTER_NAME, "name": "vpc-cni", "wait": False})
    assert not failed, result
    assert result["changed"] is True and result["addon"]["status"] == "CREATING"


def offered_for(stubber, cluster, kubernetes, versions):
    stubber.add_response("describe_cluster", {"cluster": {"name": CLUSTER_NAME, "version": cluster, "status": "ACTIVE"}},
                         {"name": CLUSTER_NAME})
    stubber.add_response(
        "describe_addon_versions",
        {"addons": [{"addonName": "vpc-cni", "addonVersions": [{"addonVersion": v} for v in versions]}]},
        {"addonName": "vpc-cni", "kubernetesVersion": kubernetes})


def test_check_mode_checks_the_version_for_the_planned_kubernetes_version(run_module, eks):
    """upgrade.yml --check: the control plane is still at 1.34, the pin is a 1.35 build; the plan must not fail."""
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2"))
    offered_for(stubber, "1.34", "1.35", [VERSION])
    schema_given(stubber)
    result, failed = run(run_module, eks, {"kubernetes_version": "1.35"}, check=True)
    assert not failed, result
    assert result["changed"] is True and result["diff"]["after"]["addon_version"] == VERSION


def test_outside_check_mode_the_version_is_checked_for_the_cluster_s_actual_version(run_module, eks):
    """A real run checks what EKS would: the cluster's version, whatever kubernetes_version says; no write."""
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2"))
    offered_for(stubber, "1.34", "1.34", ["v1.20.4-eksbuild.2"])
    result, failed = run(run_module, eks, {"kubernetes_version": "1.35"})
    assert failed and f"addon_version {VERSION} is not available" in result["msg"] and "1.34" in result["msg"], result


def test_a_rollback_target_is_checked_outside_check_mode(run_module, eks):
    """rollback.yml: the cluster is still at 1.35, the pin is a 1.34 build EKS takes before the control plane rollback;
    the check is for 1.34, the minor below, and UpdateAddon is sent."""
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2", serviceAccountRoleArn=None, configurationValues=None))
    offered_for(stubber, "1.35", "1.34", [VERSION])
    updated(stubber, {"addonVersion": VERSION, "resolveConflicts": "OVERWRITE"})
    describe(stubber, addon(serviceAccountRoleArn=None, configurationValues=None))
    args = {"cluster_name": CLUSTER_NAME, "name": "vpc-cni", "addon_version": VERSION, "kubernetes_version": "1.34"}
    result, failed = run(run_module, eks, replace=args)
    assert not failed and result["changed"] is True, result


def test_two_minors_below_is_not_a_rollback_target(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2"))
    offered_for(stubber, "1.35", "1.35", ["v1.20.4-eksbuild.2"])
    result, failed = run(run_module, eks, {"kubernetes_version": "1.33"})
    assert failed and f"addon_version {VERSION} is not available" in result["msg"] and "1.35" in result["msg"], result


# configuration_values against the add-on's own schema (DescribeAddonConfiguration), before any change.
def test_a_valid_configuration_is_checked_against_the_schema_of_the_version_then_created(run_module, eks):
    """The exact requests: the version check, the schema of that very version, then CreateAddon with the JSON."""
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    schema_given(stubber, VERSION)
    stubber.add_response("create_addon", addon(status="CREATING"), {
        **ADDON_KEY, "addonVersion": VERSION, "configurationValues": CONFIG_JSON,
        "serviceAccountRoleArn": ROLE, "resolveConflicts": "OVERWRITE", "tags": {"Environment": "production"}})
    result, failed = run(run_module, eks, {"wait": False})
    assert not failed and result["changed"] is True, result
    assert "configuration_errors" not in result


@pytest.mark.parametrize("check", [False, True], ids=["apply", "check-mode"])
def test_a_misspelt_key_fails_before_any_change_naming_its_path_and_the_key_meant(run_module, eks, check):
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    schema_given(stubber)  # then nothing: no CreateAddon
    result, failed = run(run_module, eks, {"configuration_values": {**CONFIG, "enableNetworkPolcy": "true"}},
                         check=check)
    assert failed, result
    assert result["msg"].startswith(f"configuration_values of EKS add-on vpc-cni {VERSION} does not fit"), result["msg"]
    assert result["configuration_errors"] == [
        '$.enableNetworkPolcy="true": not a key of the schema; did you mean enableNetworkPolicy?']


def test_a_wrong_type_on_an_existing_addon_fails_before_the_update_naming_each_error(run_module, eks):
    _client, stubber = eks
    describe(stubber, addon())
    schema_given(stubber)  # the installed version's: no version change
    wrong = {"enableNetworkPolicy": True, "env": {"WARM_PREFIX_TARGET": 1},
             "nodeAgent": {"enablePolicyEventLogs": "yes", "metricsPort": 8162}}
    result, failed = run(run_module, eks, {"configuration_values": wrong})
    assert failed, result
    assert result["configuration_errors"] == [
        "$.enableNetworkPolicy=true: boolean where the schema wants string",
        "$.env.WARM_PREFIX_TARGET=1: integer where the schema wants string",
        '$.nodeAgent.enablePolicyEventLogs="yes": not one of ["true", "false"]',
        "$.nodeAgent.metricsPort=8162: not a key of the schema"]
    assert all(error in result["msg"] for error in result["configuration_errors"])


def test_a_new_version_holds_the_kept_configuration_to_its_own_schema(run_module, eks):
    """A build whose schema dropped a key the add-on is configured with: refused before UpdateAddon."""
    _client, stubber = eks
    describe(stubber, addon(addonVersion="v1.20.4-eksbuild.2"))
    versions_offered(stubber)
    schema_given(stubber, VERSION, {**SCHEMA, "properties": {"env": SCHEMA["properties"]["env"]}})
    result, failed = run(run_module, eks)
    assert failed, result
    assert result["configuration_errors"] == ['$.enableNetworkPolicy="true": not a key of the schema']


def test_a_create_without_a_version_is_checked_against_ekss_default_version(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("describe_cluster", {"cluster": {"name": CLUSTER_NAME, "version": "1.35"}}, {"name": CLUSTER_NAME})
    stubber.add_response("describe_addon_versions", {"addons": [{"addonName": "vpc-cni", "addonVersions": [
        {"addonVersion": VERSION, "compatibilities": [{"clusterVersion": "1.35", "defaultVersion": False}]},
        {"addonVersion": "v1.20.4-eksbuild.2", "compatibilities": [{"clusterVersion": "1.35", "defaultVersion": True}]},
    ]}]}, {"addonName": "vpc-cni", "kubernetesVersion": "1.35"})
    schema_given(stubber, "v1.20.4-eksbuild.2")
    stubber.add_response("create_addon", addon(status="CREATING"), {
        **ADDON_KEY, "configurationValues": CONFIG_JSON, "resolveConflicts": "OVERWRITE"})
    result, failed = run(run_module, eks, replace={"cluster_name": CLUSTER_NAME, "name": "vpc-cni",
                                                   "configuration_values": CONFIG, "wait": False})
    assert not failed and result["changed"] is True, result


def test_an_addon_without_a_schema_takes_no_configuration(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    versions_offered(stubber)
    schema_given(stubber, schema=None)
    result, failed = run(run_module, eks)
    assert failed and "takes no configuration" in result["msg"], result


def test_without_jsonschema_a_configuration_fails_before_any_call(run_module, eks, monkeypatch):
    monkeypatch.setattr(eks_addon, "jsonschema", None)
    monkeypatch.setattr(eks_addon, "JSONSCHEMA_IMPORT_ERROR", "ImportError: No module named 'jsonschema'")
    result, failed = run(run_module, eks)  # no stubbed response: any AWS call would raise instead
    assert failed and "jsonschema" in result["msg"] and "required" in result["msg"], result
    _client, stubber = eks
    describe(stubber, addon())  # without configuration_values the library is not needed
    result, failed = run(run_module, eks, {"configuration_values": None})
    assert not failed, result
