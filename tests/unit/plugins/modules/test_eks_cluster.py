"""triptrip.platform.eks_cluster against botocore's Stubber: the exact requests it sends, and none when
nothing differs. These cover what moto does not implement (encryption association, access config, deletion
protection, version upgrades, update waits)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_cluster

ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ROLE = "arn:aws:iam::123456789012:role/triptrip-production-cluster"
ARN = "arn:aws:eks:ap-northeast-1:123456789012:cluster/triptrip-production"
ARGS = {
    "name": "triptrip-production", "version": "1.35", "role_arn": ROLE,
    "subnets": ["subnet-a", "subnet-c", "subnet-d"], "security_groups": ["sg-1"],
    "endpoint_private_access": True, "endpoint_public_access": False,
    "logging_types": ALL_LOGS, "encryption_kms_key_arn": KEY, "authentication_mode": "API",
    "bootstrap_self_managed_addons": False, "deletion_protection": True, "tags": {"Environment": "production"},
}
ACTIVE = {
    "name": "triptrip-production", "arn": ARN, "version": "1.35", "status": "ACTIVE", "roleArn": ROLE,
    "resourcesVpcConfig": {"subnetIds": ["subnet-a", "subnet-c", "subnet-d"], "securityGroupIds": ["sg-1"],
                           "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "logging": {"clusterLogging": [{"types": ALL_LOGS, "enabled": True}]},
    "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
    "accessConfig": {"authenticationMode": "API"},
    "deletionProtection": True,
    "tags": {"Environment": "production"},
}


# What CreateCluster gets for ARGS: everything spec 2.1.2 sets.
CREATE_REQUEST = {
    "name": "triptrip-production", "version": "1.35", "roleArn": ROLE,
    "resourcesVpcConfig": {"subnetIds": ["subnet-a", "subnet-c", "subnet-d"], "securityGroupIds": ["sg-1"],
                           "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "logging": {"clusterLogging": [{"types": sorted(ALL_LOGS), "enabled": True}]},
    "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "bootstrapSelfManagedAddons": False,
    "deletionProtection": True,
    "tags": {"Environment": "production"},
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)


def with_changes(**changes):
    cluster = copy.deepcopy(ACTIVE)
    cluster.update(changes)
    return {"cluster": cluster}


def describe(stubber, response=None):
    if response is None:
        stubber.add_client_error("describe_cluster", service_error_code="ResourceNotFoundException", http_status_code=404)
    else:
        stubber.add_response("describe_cluster", response, {"name": "triptrip-production"})


def update_done(stubber, call, params, update_id="u-1"):
    stubber.add_response(call, {"update": {"id": update_id, "status": "InProgress"}}, params)
    stubber.add_response("describe_update", {"update": {"id": update_id, "status": "Successful"}},
                         {"name": "triptrip-production", "updateId": update_id})


def run(run_module, eks, args=None, check=False):
    client, _stubber = eks
    merged = {**ARGS, **(args or {})}
    if check:
        merged["_ansible_check_mode"] = True
    return run_module(eks_cluster, merged, client, EKS_RETRY)


def test_create_sends_everything_spec_2_1_2_sets(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_cluster", {"cluster": {**ACTIVE, "status": "CREATING"}}, CREATE_REQUEST)
    describe(stubber, with_changes(status="CREATING"))
    describe(stubber, with_changes())
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] and result["updates"] == [{"call": "create_cluster", "what": "cluster"}]
    assert result["diff"]["after"]["logging_types"] == sorted(ALL_LOGS)


def test_no_difference_makes_no_call(run_module, eks):
    _client, stubber = eks
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is False and result["updates"] == []


def test_logging_turned_off_out_of_band_is_reported_in_check_mode_and_repaired(run_module, eks):
    _client, stubber = eks
    off = with_changes(logging={"clusterLogging": [{"types": ALL_LOGS, "enabled": False}]})
    describe(stubber, off)
    result, failed = run(run_module, eks, check=True)
    assert not failed and result["changed"], result
    assert result["diff"]["before"]["logging_types"] == [] and result["diff"]["after"]["logging_types"] == sorted(ALL_LOGS)
    assert {k for k in result["diff"]["before"] if result["diff"]["before"][k] != result["diff"]["after"][k]} == {"logging_types"}

    describe(stubber, off)
    update_done(stubber, "update_cluster_config", {
        "name": "triptrip-production", "logging": {"clusterLogging": [{"types": sorted(ALL_LOGS), "enabled": True}]}})
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"] == [{"call": "update_cluster_config", "what": "logging"}]


def test_public_endpoint_is_turned_off_and_cidrs_dropped(run_module, eks):
    _client, stubber = eks
    public = with_changes(resourcesVpcConfig={**ACTIVE["resourcesVpcConfig"], "endpointPublicAccess": True,
                                              "publicAccessCidrs": ["0.0.0.0/0"]})
    describe(stubber, public)
    update_done(stubber, "update_cluster_config", {
        "name": "triptrip-production",
        "resourcesVpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False}})
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert [u["what"] for u in result["updates"]] == ["endpoint access"]


def test_encryption_is_associated_access_mode_and_deletion_protection_are_set(run_module, eks):
    _client, stubber = eks
    bare = with_changes(encryptionConfig=[], accessConfig={"authenticationMode": "CONFIG_MAP"}, deletionProtection=False)
    describe(stubber, bare)
    update_done(stubber, "associate_encryption_config", {
        "clusterName": "triptrip-production", "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY}}]}, "u-1")
    update_done(stubber, "update_cluster_config", {
        "name": "triptrip-production", "accessConfig": {"authenticationMode": "API"}}, "u-2")
    update_done(stubber, "update_cluster_config", {"name": "triptrip-production", "deletionProtection": True}, "u-3")
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert [u["what"] for u in result["updates"]] == ["secrets encryption", "authentication mode", "deletion protection"]


def test_upgrade_goes_one_minor_and_waits_for_the_update(run_module, eks):
    _client, stubber = eks
    describe(stubber, with_changes(version="1.34"))
    update_done(stubber, "update_cluster_version", {"name": "triptrip-production", "version": "1.35"})
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"] == [{"call": "update_cluster_version", "what": "version"}]


@pytest.mark.parametrize(("have", "want", "words"), [
    ("1.33", "1.35", "set version to 1.34 first"),
    ("1.35", "1.34", "cannot downgrade"),
])
def test_two_minor_jumps_and_downgrades_are_refused_before_any_change(run_module, eks, have, want, words):
    _client, stubber = eks
    describe(stubber, with_changes(version=have))
    result, failed = run(run_module, eks, {"version": want})
    assert failed and words in result["msg"], result


@pytest.mark.parametrize(("changes", "option"), [
    ({"roleArn": "arn:aws:iam::123456789012:role/other"}, "role_arn"),
    ({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY.replace("1111", "9999")}}]},
     "encryption_kms_key_arn"),
])
def test_immutable_settings_are_refused_naming_the_option(run_module, eks, changes, option):
    _client, stubber = eks
    describe(stubber, with_changes(**changes))
    result, failed = run(run_module, eks)
    assert failed and option in result["msg"], result


def test_tags_are_added_and_purged(run_module, eks):
    _client, stubber = eks
    describe(stubber, with_changes(tags={"Environment": "staging", "Stale": "x"}))
    stubber.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": {"Environment": "production"}})
    stubber.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["Stale"]})
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert [u["call"] for u in result["updates"]] == ["tag_resource", "untag_resource"]


def test_delete_is_refused_while_deletion_protection_is_on(run_module, eks):
    _client, stubber = eks
    describe(stubber, with_changes())
    result, failed = run(run_module, eks, {"state": "absent"})
    assert failed and "deletion protection" in result["msg"]


def test_failed_update_fails_the_task(run_module, eks):
    _client, stubber = eks
    describe(stubber, with_changes(deletionProtection=False))
    stubber.add_response("update_cluster_config", {"update": {"id": "u-9", "status": "InProgress"}},
                         {"name": "triptrip-production", "deletionProtection": True})
    stubber.add_response("describe_update", {"update": {"id": "u-9", "status": "Failed", "errors": [{"errorMessage": "no"}]}},
                         {"name": "triptrip-production", "updateId": "u-9"})
    result, failed = run(run_module, eks)
    assert failed and "ended Failed" in result["msg"]


def test_create_retries_while_iam_has_not_propagated_the_new_role(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    not_yet = (f"Role with arn: {ROLE}, could not be assumed because it does not exist or the trusted entity is "
               "not correct")
    for _attempt in range(2):
        stubber.add_client_error("create_cluster", service_error_code="InvalidParameterException",
                                 service_message=not_yet, http_status_code=400)
    stubber.add_response("create_cluster", {"cluster": {**ACTIVE, "status": "CREATING"}})
    describe(stubber, with_changes())
    describe(stubber, with_changes())
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["updates"] == [{"call": "create_cluster", "what": "cluster"}]


def test_create_fails_at_once_on_an_invalid_parameter_that_is_not_the_role(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_client_error("create_cluster", service_error_code="InvalidParameterException",
                             service_message="Subnets specified must be in at least two different AZs",
                             http_status_code=400)
    result, failed = run(run_module, eks)
    assert failed and "at least two different AZs" in result["msg"], result


AVAILABILITY = {"support_type": "EXTENDED", "zonal_shift": True, "control_plane_tier": "tier-xl"}
AVAILABLE = {"upgradePolicy": {"supportType": "EXTENDED"}, "zonalShiftConfig": {"enabled": True},
             "controlPlaneScalingConfig": {"tier": "tier-xl"}}


def test_create_sends_the_support_type_zonal_shift_and_tier(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_cluster", {"cluster": {**ACTIVE, "status": "CREATING"}}, {
        **CREATE_REQUEST, **AVAILABLE})
    describe(stubber, with_changes(**AVAILABLE))
    describe(stubber, with_changes(**AVAILABLE))
    result, failed = run(run_module, eks, AVAILABILITY)
    assert not failed, result
    assert result["diff"]["after"]["zonal_shift"] is True and result["diff"]["after"]["control_plane_tier"] == "tier-xl"


def test_each_availability_setting_is_one_update_call_and_in_sync_makes_none(run_module, eks):
    _client, stubber = eks
    # EKS's defaults (standard tier, no zonal shift, EXTENDED support) taken to the inventory's choices.
    defaults = with_changes(upgradePolicy={"supportType": "EXTENDED"}, zonalShiftConfig={"enabled": False},
                            controlPlaneScalingConfig={"tier": "standard"})
    wanted = {"support_type": "STANDARD", "zonal_shift": True, "control_plane_tier": "tier-2xl"}
    describe(stubber, defaults)
    result, failed = run(run_module, eks, wanted, check=True)
    assert not failed and result["changed"], result
    changed = {k for k in result["diff"]["before"] if result["diff"]["before"][k] != result["diff"]["after"][k]}
    assert changed == {"support_type", "zonal_shift", "control_plane_tier"}

    describe(stubber, defaults)
    for update_id, change in (("u-1", {"upgradePolicy": {"supportType": "STANDARD"}}),
                              ("u-2", {"zonalShiftConfig": {"enabled": True}}),
                              ("u-3", {"controlPlaneScalingConfig": {"tier": "tier-2xl"}})):
        update_done(stubber, "update_cluster_config", {"name": "triptrip-production", **change}, update_id)
    describe(stubber, with_changes(upgradePolicy={"supportType": "STANDARD"}, zonalShiftConfig={"enabled": True},
                                   controlPlaneScalingConfig={"tier": "tier-2xl"}))
    result, failed = run(run_module, eks, wanted)
    assert not failed, result
    assert [u["what"] for u in result["updates"]] == ["support type", "zonal shift", "control plane tier"]

    describe(stubber, with_changes(**AVAILABLE))
    result, failed = run(run_module, eks, AVAILABILITY)
    assert not failed and result["changed"] is False and result["updates"] == [], result


def test_omitted_availability_settings_leave_the_clusters_alone(run_module, eks):
    _client, stubber = eks
    describe(stubber, with_changes(upgradePolicy={"supportType": "STANDARD"}, zonalShiftConfig={"enabled": True},
                                   controlPlaneScalingConfig={"tier": "tier-8xl"}))
    result, failed = run(run_module, eks)
    assert not failed and result["changed"] is False, result


@pytest.mark.parametrize("change", [{"control_plane_tier": "tier-3xl"}, {"support_type": "standard"},
                                    {"zonal_shift": "sometimes"}])
def test_an_unknown_tier_or_support_type_fails_before_any_call(run_module, eks, change):
    result, failed = run(run_module, eks, change)
    assert failed and list(change)[0] in result["msg"], result
