"""localenv/moto_server.py: each documented patch does what its docstring says (moto in-process, mock_aws; the
last tests run the patched server in its own process on 127.0.0.1, as scripts/localenv does)."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
from pathlib import Path

import boto3
import jsonschema
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from localplatform import free_port, start_moto  # noqa: E402 - moto as scripts/localenv starts it

ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture(scope="module")
def patches(root):
    spec = importlib.util.spec_from_file_location("triptrip_moto_server", root / "localenv" / "moto_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.apply()
    return module


@pytest.fixture
def eks(patches):
    with mock_aws():
        yield boto3.client("eks", region_name="ap-northeast-1")


def cluster(eks, **extra):
    eks.create_cluster(name="c", roleArn=ROLE, version="1.35",
                       resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"],
                                           "endpointPrivateAccess": True, "endpointPublicAccess": False}, **extra)
    return eks.describe_cluster(name="c")["cluster"]


def test_create_cluster_keeps_access_config_deletion_protection_and_upgrade_policy(eks):
    described = cluster(eks, accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
                        deletionProtection=True, upgradePolicy={"supportType": "STANDARD"})
    assert described["accessConfig"] == {"authenticationMode": "API"}
    assert described["deletionProtection"] is True
    assert described["upgradePolicy"] == {"supportType": "STANDARD"}


def test_create_cluster_defaults_are_eks_defaults(eks):
    described = cluster(eks)
    assert described["accessConfig"] == {"authenticationMode": "CONFIG_MAP"}
    assert described["deletionProtection"] is False


def test_update_cluster_config_applies_the_fields_and_answers_an_update(eks):
    cluster(eks, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})  # API is one step on (patch 23)
    update = eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API"})["update"]
    assert update["status"] == "Successful" and update["type"] == "AccessConfigUpdate"
    eks.update_cluster_config(name="c", deletionProtection=True)
    described = eks.describe_cluster(name="c")["cluster"]
    assert described["accessConfig"] == {"authenticationMode": "API"}
    assert described["deletionProtection"] is True


def test_zonal_shift_and_scaling_tier_are_stored_with_eks_defaults(eks):  # patch 19
    described = cluster(eks)
    assert described["zonalShiftConfig"] == {"enabled": False}
    assert described["controlPlaneScalingConfig"] == {"tier": "standard"}
    eks.delete_cluster(name="c")
    described = cluster(eks, zonalShiftConfig={"enabled": True}, controlPlaneScalingConfig={"tier": "tier-xl"})
    assert described["zonalShiftConfig"] == {"enabled": True}
    assert described["controlPlaneScalingConfig"] == {"tier": "tier-xl"}


def test_zonal_shift_scaling_tier_and_support_type_updates_answer_their_types(eks):  # patch 19
    cluster(eks)
    for change, kind in (({"zonalShiftConfig": {"enabled": True}}, "ZonalShiftConfigUpdate"),
                         ({"controlPlaneScalingConfig": {"tier": "tier-2xl"}}, "ControlPlaneScalingConfigUpdate"),
                         ({"upgradePolicy": {"supportType": "STANDARD"}}, "UpgradePolicyUpdate")):
        assert eks.update_cluster_config(name="c", **change)["update"]["type"] == kind
    described = eks.describe_cluster(name="c")["cluster"]
    assert described["zonalShiftConfig"] == {"enabled": True}
    assert described["controlPlaneScalingConfig"] == {"tier": "tier-2xl"}
    assert described["upgradePolicy"] == {"supportType": "STANDARD"}


def test_one_kind_of_update_per_call_and_known_tiers_only(eks):  # patch 19
    cluster(eks)
    with pytest.raises(ClientError, match="Only one type of update can be allowed"):
        eks.update_cluster_config(name="c", zonalShiftConfig={"enabled": True}, deletionProtection=True)
    with pytest.raises(ClientError, match="Only one type of update can be allowed"):
        eks.update_cluster_config(name="c", logging={"clusterLogging": []},
                                  resourcesVpcConfig={"endpointPublicAccess": False})
    with pytest.raises(ClientError, match="tier is invalid: tier-3xl"):
        eks.update_cluster_config(name="c", controlPlaneScalingConfig={"tier": "tier-3xl"})
    described = eks.describe_cluster(name="c")["cluster"]
    assert described["zonalShiftConfig"] == {"enabled": False} and described["deletionProtection"] is False
    assert described["controlPlaneScalingConfig"] == {"tier": "standard"}


def insights(eks, **filters):
    found = eks.list_insights(clusterName="c", filter=filters)["insights"]
    return {i["name"]: i["insightStatus"]["status"] for i in found}


def test_upgrade_insights_for_the_next_minor(eks):  # patch 20
    cluster(eks)  # 1.35
    eks.create_addon(clusterName="c", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3")
    # No build of ADDON_VERSIONS is offered for 1.36: the add-on cannot follow the upgrade.
    assert insights(eks) == {"Amazon EKS add-on version compatibility": "ERROR", "Kubelet version skew": "PASSING",
                             "Deprecated APIs removed in Kubernetes v1.36": "UNKNOWN"}
    error = next(i for i in eks.list_insights(clusterName="c")["insights"] if i["insightStatus"]["status"] == "ERROR")
    detail = eks.describe_insight(clusterName="c", id=error["id"])["insight"]
    assert detail["kubernetesVersion"] == "1.36" and "vpc-cni" in detail["insightStatus"]["reason"]
    assert detail["recommendation"].startswith("Upgrade the add-ons")
    assert insights(eks, statuses=["PASSING"]) == {"Kubelet version skew": "PASSING"}
    assert insights(eks, kubernetesVersions=["1.35"]) == {}
    with pytest.raises(ClientError, match="No insight found"):
        eks.describe_insight(clusterName="c", id="00000000-0000-0000-0000-000000000000")


def test_an_installed_build_not_offered_for_the_next_minor_is_a_warning(eks):  # patch 20
    eks.create_cluster(name="c", roleArn=ROLE, version="1.34",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]})
    eks.create_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.34.1-eksbuild.2")
    eks.create_addon(clusterName="c", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3")
    found = eks.list_insights(clusterName="c", filter={"kubernetesVersions": ["1.35"]})["insights"]
    compatibility = next(i for i in found if i["name"] == "Amazon EKS add-on version compatibility")
    assert compatibility["insightStatus"]["status"] == "WARNING"
    assert "kube-proxy v1.34.1-eksbuild.2 (offered for 1.35: v1.35.0-eksbuild.2)" in compatibility["insightStatus"]["reason"]


def test_endpoint_update_keeps_subnets_and_security_groups(eks):
    cluster(eks)
    eks.update_cluster_config(name="c", resourcesVpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]})
    vpc = eks.describe_cluster(name="c")["cluster"]["resourcesVpcConfig"]
    assert vpc["subnetIds"] == ["subnet-1", "subnet-2"]
    assert vpc["securityGroupIds"] == ["sg-1"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["10.0.0.0/8"]


def test_logging_update_is_applied(eks):
    cluster(eks)
    logging = {"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}
    assert eks.update_cluster_config(name="c", logging=logging)["update"]["type"] == "LoggingUpdate"
    assert eks.describe_cluster(name="c")["cluster"]["logging"] == logging


def test_deletion_protection_refuses_delete(eks):
    cluster(eks, deletionProtection=True)
    with pytest.raises(ClientError) as err:
        eks.delete_cluster(name="c")
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    eks.update_cluster_config(name="c", deletionProtection=False)
    eks.delete_cluster(name="c")
    assert eks.list_clusters()["clusters"] == []


def test_nodegroup_keeps_update_config_and_takes_the_cluster_version(eks):
    cluster(eks)
    group = eks.create_nodegroup(clusterName="c", nodegroupName="n", subnets=["subnet-1"], nodeRole=ROLE,
                                 updateConfig={"maxUnavailablePercentage": 33})["nodegroup"]
    assert group["updateConfig"] == {"maxUnavailablePercentage": 33}
    assert group["version"] == "1.35"
    described = eks.describe_nodegroup(clusterName="c", nodegroupName="n")["nodegroup"]
    assert described["updateConfig"] == {"maxUnavailablePercentage": 33}


def test_nodegroup_tags_by_arn(eks):
    cluster(eks)
    arn = eks.create_nodegroup(clusterName="c", nodegroupName="n", subnets=["subnet-1"], nodeRole=ROLE,
                               tags={"a": "1"})["nodegroup"]["nodegroupArn"]
    eks.tag_resource(resourceArn=arn, tags={"b": "2"})
    eks.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert eks.describe_nodegroup(clusterName="c", nodegroupName="n")["nodegroup"]["tags"] == {"b": "2"}


def test_cluster_tags_still_work(eks):
    arn = cluster(eks, tags={"x": "1"})["arn"]
    eks.tag_resource(resourceArn=arn, tags={"y": "2"})
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"x": "1", "y": "2"}


def test_kms_schedule_key_deletion_takes_a_key_arn(patches):
    with mock_aws():
        kms = boto3.client("kms", region_name="ap-northeast-1")
        key = kms.create_key()["KeyMetadata"]
        kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=30)
        assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_cluster_version_update_one_minor_at_a_time(eks):
    eks.create_cluster(name="c", roleArn=ROLE, version="1.34",
                       resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]})
    for refused in ("1.32", "1.36", "2.35"):
        with pytest.raises(ClientError) as err:
            eks.update_cluster_version(name="c", version=refused)
        assert err.value.response["Error"]["Code"] == "InvalidParameterException", refused
    # One minor back is a rollback (patch 22), which a cluster created at its version cannot have.
    with pytest.raises(ClientError) as err:
        eks.update_cluster_version(name="c", version="1.33")
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    update = eks.update_cluster_version(name="c", version="1.35")["update"]
    assert update["status"] == "Successful" and update["type"] == "VersionUpdate"
    assert {"type": "Version", "value": "1.35"} in update["params"]
    assert eks.describe_cluster(name="c")["cluster"]["version"] == "1.35"


def test_nodegroup_version_update_follows_the_cluster(eks):
    eks.create_cluster(name="c", roleArn=ROLE, version="1.34",
                       resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]})
    eks.create_nodegroup(clusterName="c", nodegroupName="general", nodeRole=ROLE, subnets=["subnet-1"])
    with pytest.raises(ClientError) as err:
        eks.update_nodegroup_version(clusterName="c", nodegroupName="general", version="1.35")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    eks.update_cluster_version(name="c", version="1.35")
    update = eks.update_nodegroup_version(clusterName="c", nodegroupName="general", version="1.35",
                                          releaseVersion="1.35.0-20260115")["update"]
    assert update["status"] == "Successful" and update["type"] == "VersionUpdate"
    described = eks.describe_nodegroup(clusterName="c", nodegroupName="general")["nodegroup"]
    assert (described["version"], described["releaseVersion"]) == ("1.35", "1.35.0-20260115")


# Patch 22: version rollback, one minor back within 7 days of the in-place upgrade, as EKS documents it
# (https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html).
def upgraded(eks, clock=None, days_ago=0):
    """Cluster c created at 1.34 with node group general and kube-proxy, upgraded to 1.35 `days_ago` days ago (the
    clock file shifted back while the upgrade is stamped, then put back), node group and kube-proxy following."""
    eks.create_cluster(name="c", roleArn=ROLE, version="1.34", resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    eks.create_nodegroup(clusterName="c", nodegroupName="general", nodeRole=ROLE, subnets=["subnet-1"])
    eks.create_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.34.1-eksbuild.2")
    if days_ago:
        clock.write_text(str(-days_ago * 86400))
    eks.update_cluster_version(name="c", version="1.35")
    if clock is not None:
        clock.write_text("")
    eks.update_nodegroup_version(clusterName="c", nodegroupName="general", version="1.35")
    eks.update_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.35.0-eksbuild.2")


@pytest.fixture
def clock(tmp_path, monkeypatch):
    path = tmp_path / "clock"
    monkeypatch.setenv("TRIPTRIP_MOTO_TEST_CLOCK_FILE", str(path))
    return path


def rollback_refusal(eks, **extra):
    with pytest.raises(ClientError) as err:
        eks.update_cluster_version(name="c", version="1.34", **extra)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def test_a_rollback_goes_one_minor_back_after_the_node_groups_and_kube_proxy(eks):  # patch 22
    upgraded(eks)
    rollback = {i["name"]: i["insightStatus"]["status"] for i in eks.list_insights(
        clusterName="c", filter={"categories": ["ROLLBACK_READINESS"]})["insights"]}
    assert rollback == {"Kubelet version skew": "ERROR", "kube-proxy version skew": "ERROR",
                        "Amazon EKS add-on version compatibility": "WARNING"}
    code, message = rollback_refusal(eks)
    assert code == "InvalidRequestException"
    assert "Kubelet version skew, kube-proxy version skew" in message and "force" in message
    # The documented order: node groups, then add-ons (a 1.34 build is taken on the 1.35 cluster now), then the
    # control plane.
    eks.update_nodegroup_version(clusterName="c", nodegroupName="general", version="1.34")
    eks.update_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.34.1-eksbuild.2")
    found = eks.list_insights(clusterName="c", filter={"categories": ["ROLLBACK_READINESS"]})["insights"]
    assert {i["insightStatus"]["status"] for i in found} == {"PASSING"}
    assert {i["kubernetesVersion"] for i in found} == {"1.34"}
    update = eks.update_cluster_version(name="c", version="1.34", rollbackConfig={"timeoutMinutes": 120})["update"]
    assert (update["type"], update["status"]) == ("VersionRollback", "Successful")
    assert {"type": "Version", "value": "1.34"} in update["params"]
    assert eks.describe_cluster(name="c")["cluster"]["version"] == "1.34"
    assert eks.describe_update(name="c", updateId=update["id"])["update"]["type"] == "VersionRollback"
    # ListUpdates names the upgrade and the rollback; no rollback insight is left and 1.33 is out of reach.
    ids = eks.list_updates(name="c")["updateIds"]
    kinds = [eks.describe_update(name="c", updateId=i)["update"]["type"] for i in ids]
    assert kinds == ["VersionUpdate", "VersionRollback"]
    assert eks.list_insights(clusterName="c", filter={"categories": ["ROLLBACK_READINESS"]})["insights"] == []
    with pytest.raises(ClientError) as err:
        eks.update_cluster_version(name="c", version="1.33", force=True)
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "was not reached by an in-place upgrade" in err.value.response["Error"]["Message"]


def test_force_goes_past_the_insights_only(eks):  # patch 22
    upgraded(eks)
    assert eks.update_cluster_version(name="c", version="1.34", force=True)["update"]["type"] == "VersionRollback"


def test_a_cluster_created_at_its_version_cannot_roll_back(eks):  # patch 22
    cluster(eks)  # created at 1.35
    code, message = rollback_refusal(eks, force=True)
    assert code == "InvalidRequestException" and "was not reached by an in-place upgrade" in message
    assert eks.list_updates(name="c")["updateIds"] == []


def test_a_rollback_after_seven_days_is_refused_even_forced(eks, clock):  # patch 22
    upgraded(eks, clock, days_ago=8)
    code, message = rollback_refusal(eks, force=True)
    assert code == "InvalidRequestException" and "more than 7 days old" in message, message
    assert eks.describe_cluster(name="c")["cluster"]["version"] == "1.35"
    assert eks.list_insights(clusterName="c", filter={"categories": ["ROLLBACK_READINESS"]})["insights"] == []
    # A 1.34 build is no longer taken once the window is over.
    with pytest.raises(ClientError):
        eks.update_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.34.1-eksbuild.2")


def test_six_days_after_the_upgrade_the_window_is_open(eks, clock):  # patch 22
    upgraded(eks, clock, days_ago=6)
    assert eks.update_cluster_version(name="c", version="1.34", force=True)["update"]["type"] == "VersionRollback"


def test_a_rollback_timeout_outside_two_hours_to_seven_days_is_refused(eks):  # patch 22
    upgraded(eks)
    for minutes in (119, 10081):
        code, _message = rollback_refusal(eks, force=True, rollbackConfig={"timeoutMinutes": minutes})
        assert code == "InvalidParameterException", minutes


def test_list_updates_pages(eks):  # patch 22
    upgraded(eks)
    eks.update_cluster_version(name="c", version="1.34", force=True)
    first = eks.list_updates(name="c", maxResults=1)
    assert len(first["updateIds"]) == 1 and first["nextToken"]
    assert "nextToken" not in eks.list_updates(name="c", maxResults=1, nextToken=first["nextToken"])


# Patch 12: the managed add-on API, as the EKS API reference describes it.
def test_addons_are_created_described_listed_and_deleted(eks):
    cluster(eks)
    made = eks.create_addon(clusterName="c", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3",
                            serviceAccountRoleArn=ROLE, configurationValues='{"enableNetworkPolicy": "true"}',
                            resolveConflicts="OVERWRITE", tags={"Project": "triptrip"})["addon"]
    assert made["status"] == "ACTIVE" and made["addonArn"].startswith("arn:aws:eks:ap-northeast-1:")
    described = eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]
    assert (described["addonVersion"], described["serviceAccountRoleArn"], described["configurationValues"]) == (
        "v1.21.1-eksbuild.3", ROLE, '{"enableNetworkPolicy": "true"}')
    assert eks.list_tags_for_resource(resourceArn=described["addonArn"])["tags"] == {"Project": "triptrip"}
    eks.tag_resource(resourceArn=described["addonArn"], tags={"Environment": "production"})
    assert eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]["tags"] == {
        "Project": "triptrip", "Environment": "production"}
    assert eks.list_addons(clusterName="c")["addons"] == ["vpc-cni"]
    assert eks.delete_addon(clusterName="c", addonName="vpc-cni")["addon"]["status"] == "DELETING"
    assert eks.list_addons(clusterName="c")["addons"] == []
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        eks.describe_addon(clusterName="c", addonName="vpc-cni")


def test_an_addon_update_that_names_no_role_drops_it_as_eks_does(eks):
    cluster(eks)
    eks.create_addon(clusterName="c", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3", serviceAccountRoleArn=ROLE)
    kept = eks.update_addon(clusterName="c", addonName="vpc-cni", serviceAccountRoleArn=ROLE,
                            configurationValues='{"enableNetworkPolicy": "true"}')["update"]
    assert eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]["serviceAccountRoleArn"] == ROLE
    assert {"type": "ServiceAccountRoleArn", "value": ROLE} in kept["params"]
    dropped = eks.update_addon(clusterName="c", addonName="vpc-cni", resolveConflicts="OVERWRITE")["update"]
    assert "serviceAccountRoleArn" not in eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]
    assert {"type": "ServiceAccountRoleArn", "value": ""} in dropped["params"]


def test_addon_errors_are_eks_errors(eks):
    with pytest.raises(ClientError, match="ResourceNotFoundException.*No cluster found"):
        eks.create_addon(clusterName="missing", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3")
    cluster(eks)
    with pytest.raises(ClientError, match="InvalidParameterException.*not supported.*v1.34.1-eksbuild.2"):
        eks.create_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.34.1-eksbuild.2")
    eks.create_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.35.0-eksbuild.2")
    with pytest.raises(ClientError, match="ResourceInUseException"):
        eks.create_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.35.0-eksbuild.2")


def test_update_addon_answers_an_update_that_describe_update_finds(eks):
    cluster(eks)
    eks.create_addon(clusterName="c", addonName="coredns", addonVersion="v1.13.2-eksbuild.1")
    update = eks.update_addon(clusterName="c", addonName="coredns", configurationValues='{"replicaCount": 3}',
                              resolveConflicts="OVERWRITE")["update"]
    assert update["type"] == "AddonUpdate" and update["status"] == "Successful"
    assert {"type": "ConfigurationValues", "value": '{"replicaCount": 3}'} in update["params"]
    found = eks.describe_update(name="c", updateId=update["id"], addonName="coredns")["update"]
    assert found["id"] == update["id"]
    assert eks.describe_addon(clusterName="c", addonName="coredns")["addon"]["configurationValues"] == '{"replicaCount": 3}'
    with pytest.raises(ClientError, match="InvalidParameterException"):
        eks.update_addon(clusterName="c", addonName="coredns", addonVersion="v9.9.9-eksbuild.1")


def test_describe_addon_versions_lists_the_builds_for_a_kubernetes_minor(eks):
    found = eks.describe_addon_versions(addonName="kube-proxy", kubernetesVersion="1.35")["addons"]
    assert [v["addonVersion"] for a in found for v in a["addonVersions"]] == ["v1.35.0-eksbuild.2"]
    assert eks.describe_addon_versions(addonName="kube-proxy", kubernetesVersion="1.30")["addons"] == []


def test_create_cluster_stores_bootstrap_self_managed_addons(eks, patches):
    cluster(eks, bootstrapSelfManagedAddons=False)
    backend = patches.eks_models.eks_backends["123456789012"]["ap-northeast-1"]
    assert backend.clusters["c"].bootstrap_self_managed_addons is False
    eks.create_cluster(name="d", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]})
    assert backend.clusters["d"].bootstrap_self_managed_addons is True  # EKS's default


# Patch 18: DescribeAddonConfiguration, and configurationValues held to the add-on's schema, as EKS does.
NOT_SUPPORTED = "ConfigurationValue provided in request is not supported: Json schema validation failed with error: "


def platform_addons(root):
    """The managed add-ons as group_vars/all/eks.yml pins and configures them."""
    return yaml.safe_load((root / "group_vars/all/eks.yml").read_text())["platform_eks_addons_base"]


def test_every_offered_build_has_a_closed_json_schema(eks, patches):
    for name, versions in patches.ADDON_VERSIONS.items():
        for version in versions:
            answer = eks.describe_addon_configuration(addonName=name, addonVersion=version)
            assert (answer["addonName"], answer["addonVersion"]) == (name, version)
            schema = json.loads(answer["configurationSchema"])
            assert schema["type"] == "object" and schema["additionalProperties"] is False, name
            jsonschema.Draft7Validator.check_schema(schema)
    assert error_code(eks.describe_addon_configuration, addonName="vpc-cni",
                      addonVersion="v9.9.9-eksbuild.1") == "InvalidParameterException"


def test_the_platforms_own_configurations_are_accepted(root, eks):
    cluster(eks)
    for name, addon in platform_addons(root).items():
        request = {"configurationValues": json.dumps(addon["configuration"])} if addon.get("configuration") else {}
        eks.create_addon(clusterName="c", addonName=name, addonVersion=addon["version"], **request)
        assert json.loads(eks.describe_addon(clusterName="c", addonName=name)["addon"].get(
            "configurationValues") or "{}") == addon.get("configuration", {})
    # YAML is taken too, as EKS takes it.
    eks.update_addon(clusterName="c", addonName="coredns", configurationValues="replicaCount: 4\n")


@pytest.mark.parametrize(("name", "configuration", "words"), [
    ("vpc-cni", {"enableNetworkPolcy": "true"},
     "$.enableNetworkPolcy: is not defined in the schema and the schema does not allow additional properties"),
    ("vpc-cni", {"enableNetworkPolicy": True}, "$.enableNetworkPolicy: boolean found, string expected"),
    ("vpc-cni", {"env": {"WARM_PREFIX_TARGET": 1}}, "$.env.WARM_PREFIX_TARGET: integer found, string expected"),
    ("coredns", {"replicaCount": "3"}, "$.replicaCount: string found, integer expected"),
    ("coredns", {"autoScaling": {"enabled": True, "minReplica": 2}},
     "$.autoScaling.minReplica: is not defined in the schema and the schema does not allow additional properties"),
    ("kube-proxy", {"mode": "userspace"}, "$.mode: does not have a value in the enumeration [iptables, ipvs]"),
    ("aws-ebs-csi-driver", {"defaultStorageClass": {"enabled": "true"}},
     "$.defaultStorageClass.enabled: string found, boolean expected"),
    ("coredns", None, "$: null found, object expected"),
])
def test_a_configuration_off_the_schema_is_refused_with_ekss_error(eks, patches, name, configuration, words):
    cluster(eks)
    version = next(v for v, minors in patches.ADDON_VERSIONS[name].items() if "1.35" in minors)
    with pytest.raises(ClientError) as err:
        eks.create_addon(clusterName="c", addonName=name, addonVersion=version,
                         configurationValues=json.dumps(configuration))
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    assert err.value.response["Error"]["Message"] == f"{NOT_SUPPORTED}[{words}]"
    assert eks.list_addons(clusterName="c")["addons"] == []


def test_an_update_off_the_schema_changes_nothing_and_every_error_is_listed(eks):
    cluster(eks)
    eks.create_addon(clusterName="c", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3",
                     configurationValues='{"enableNetworkPolicy": "true"}')
    with pytest.raises(ClientError) as err:
        eks.update_addon(clusterName="c", addonName="vpc-cni",
                         configurationValues='{"enableNetworkPolicy": "yes", "nodeAgent": {"enablePolicyEventLog": "true"}}')
    assert err.value.response["Error"]["Message"] == NOT_SUPPORTED + (
        "[$.enableNetworkPolicy: does not have a value in the enumeration [true, false], $.nodeAgent.enablePolicyEventLog: "
        "is not defined in the schema and the schema does not allow additional properties]")
    assert eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]["configurationValues"] == \
        '{"enableNetworkPolicy": "true"}'


def test_nat_gateway_tags_are_described_with_ec2s_resource_type(patches):
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="ap-northeast-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.96.0/24")["Subnet"]["SubnetId"]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "n"}]}])["NatGateway"]["NatGatewayId"]
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat]},
                                          {"Name": "resource-type", "Values": ["natgateway"]}])["Tags"]
        assert [(t["Key"], t["ResourceType"]) for t in tags] == [("Name", "natgateway")]
        # Other resource types keep moto's names, which are EC2's (the patch touches the NAT gateway only).
        assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [subnet]}])["Tags"] == []
        ec2.create_tags(Resources=[subnet], Tags=[{"Key": "k", "Value": "v"}])
        assert [t["ResourceType"] for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [subnet]}])["Tags"]] \
            == ["subnet"]


# Patch 14: the access entry API, as the EKS API reference describes it.
ACCOUNT = "123456789012"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def iam_role(name, path="/"):
    iam = boto3.client("iam", region_name="us-east-1")
    return iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def api_cluster(eks, mode="API"):
    return cluster(eks, accessConfig={"authenticationMode": mode})


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def test_access_entry_is_created_described_and_listed_with_eks_defaults(eks):
    api_cluster(eks)
    role = iam_role("triptrip-developers", path="/teams/booking/")
    user = boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")["User"]["Arn"]
    made = eks.create_access_entry(clusterName="c", principalArn=role, kubernetesGroups=["triptrip-developers"],
                                   tags={"Project": "triptrip"})["accessEntry"]
    assert re.fullmatch(rf"arn:aws:eks:ap-northeast-1:{ACCOUNT}:access-entry/c/role/{ACCOUNT}/triptrip-developers/"
                        r"[0-9a-f-]{36}", made["accessEntryArn"])
    assert (made["clusterName"], made["principalArn"], made["type"], made["kubernetesGroups"], made["tags"]) == (
        "c", role, "STANDARD", ["triptrip-developers"], {"Project": "triptrip"})
    # EKS's default username: the role's session (the role's name, not its path), or the user's ARN.
    assert made["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/triptrip-developers/{{{{SessionName}}}}"
    assert made["createdAt"] and made["modifiedAt"]
    described = eks.describe_access_entry(clusterName="c", principalArn=role)["accessEntry"]
    assert described == made
    by_user = eks.create_access_entry(clusterName="c", principalArn=user)["accessEntry"]
    assert by_user["username"] == user and by_user["kubernetesGroups"] == [] and "/user/" in by_user["accessEntryArn"]
    named = eks.create_access_entry(clusterName="c", principalArn=iam_role("ops"), username="ops-admin")["accessEntry"]
    assert named["username"] == "ops-admin"
    assert eks.list_access_entries(clusterName="c")["accessEntries"] == sorted([role, user, named["principalArn"]])


def test_access_entry_update_and_delete(eks):
    api_cluster(eks, "API_AND_CONFIG_MAP")
    role = iam_role("r")
    eks.create_access_entry(clusterName="c", principalArn=role, kubernetesGroups=["a"], username="first")
    updated = eks.update_access_entry(clusterName="c", principalArn=role, kubernetesGroups=["b", "c"])["accessEntry"]
    assert (updated["kubernetesGroups"], updated["username"]) == (["b", "c"], "first")
    eks.update_access_entry(clusterName="c", principalArn=role, username="second")
    described = eks.describe_access_entry(clusterName="c", principalArn=role)["accessEntry"]
    assert (described["kubernetesGroups"], described["username"]) == (["b", "c"], "second")
    eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=VIEW, accessScope={"type": "cluster"})
    eks.delete_access_entry(clusterName="c", principalArn=role)
    assert eks.list_access_entries(clusterName="c")["accessEntries"] == []
    assert error_code(eks.describe_access_entry, clusterName="c", principalArn=role) == "ResourceNotFoundException"
    # The entry's associations went with it: a new entry for the principal starts without any.
    eks.create_access_entry(clusterName="c", principalArn=role)
    assert eks.list_associated_access_policies(clusterName="c", principalArn=role)["associatedAccessPolicies"] == []
    assert eks.list_access_entries(clusterName="c", associatedPolicyArn=VIEW)["accessEntries"] == []


def test_access_policies_are_associated_replaced_listed_and_disassociated(eks):
    api_cluster(eks)
    role, other = iam_role("r"), iam_role("other")
    eks.create_access_entry(clusterName="c", principalArn=role)
    eks.create_access_entry(clusterName="c", principalArn=other)
    answer = eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=EDIT,
                                         accessScope={"type": "namespace", "namespaces": ["booking", "search"]})
    assert (answer["clusterName"], answer["principalArn"]) == ("c", role)
    associated = answer["associatedAccessPolicy"]
    assert (associated["policyArn"], associated["accessScope"]) == (
        EDIT, {"type": "namespace", "namespaces": ["booking", "search"]})
    assert associated["associatedAt"] and associated["modifiedAt"]
    eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=VIEW, accessScope={"type": "cluster"})
    # Associating the same policy again replaces its scope.
    eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=EDIT,
                                accessScope={"type": "namespace", "namespaces": ["booking"]})
    listed = eks.list_associated_access_policies(clusterName="c", principalArn=role)
    assert (listed["clusterName"], listed["principalArn"]) == ("c", role)
    assert [(p["policyArn"], p["accessScope"]) for p in listed["associatedAccessPolicies"]] == [
        (EDIT, {"type": "namespace", "namespaces": ["booking"]}), (VIEW, {"type": "cluster", "namespaces": []})]
    assert eks.list_access_entries(clusterName="c", associatedPolicyArn=VIEW)["accessEntries"] == [role]
    eks.disassociate_access_policy(clusterName="c", principalArn=role, policyArn=VIEW)
    assert [p["policyArn"] for p in eks.list_associated_access_policies(
        clusterName="c", principalArn=role)["associatedAccessPolicies"]] == [EDIT]
    assert error_code(eks.disassociate_access_policy, clusterName="c", principalArn=role,
                      policyArn=VIEW) == "ResourceNotFoundException"
    # Any cluster access policy EKS lists is accepted (patch 17).
    eks.associate_access_policy(clusterName="c", principalArn=other, accessScope={"type": "cluster"},
                                policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy")


def test_access_entries_page_like_eks(eks):
    api_cluster(eks)
    roles = sorted(iam_role(f"r{i}") for i in range(3))
    for role in roles:
        eks.create_access_entry(clusterName="c", principalArn=role)
    first = eks.list_access_entries(clusterName="c", maxResults=2)
    assert first["accessEntries"] == roles[:2] and first["nextToken"]
    rest = eks.list_access_entries(clusterName="c", maxResults=2, nextToken=first["nextToken"])
    assert rest["accessEntries"] == roles[2:] and "nextToken" not in rest


def test_access_entry_tags_through_the_tag_api(eks):
    api_cluster(eks)
    role = iam_role("r")
    arn = eks.create_access_entry(clusterName="c", principalArn=role, tags={"a": "1"})["accessEntry"]["accessEntryArn"]
    eks.tag_resource(resourceArn=arn, tags={"b": "2"})
    eks.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert eks.describe_access_entry(clusterName="c", principalArn=role)["accessEntry"]["tags"] == {"b": "2"}


def test_access_entry_errors_are_eks_errors(eks):
    role = iam_role("r")
    assert error_code(eks.create_access_entry, clusterName="missing", principalArn=role) == "ResourceNotFoundException"
    assert error_code(eks.list_access_entries, clusterName="missing") == "ResourceNotFoundException"
    api_cluster(eks)
    for call, extra in ((eks.describe_access_entry, {}), (eks.update_access_entry, {"kubernetesGroups": ["g"]}),
                        (eks.delete_access_entry, {}), (eks.list_associated_access_policies, {}),
                        (eks.associate_access_policy, {"policyArn": VIEW, "accessScope": {"type": "cluster"}}),
                        (eks.disassociate_access_policy, {"policyArn": VIEW})):
        assert error_code(call, clusterName="c", principalArn=role, **extra) == "ResourceNotFoundException", call
    eks.create_access_entry(clusterName="c", principalArn=role)
    assert error_code(eks.create_access_entry, clusterName="c", principalArn=role) == "ResourceInUseException"
    # Not an IAM role or user ARN (an assumed-role session, a group, a malformed account), or not in IAM.
    for principal in (f"arn:aws:sts::{ACCOUNT}:assumed-role/r/session", f"arn:aws:iam::{ACCOUNT}:group/g",
                      "arn:aws:iam::1234:role/r", "r", f"arn:aws:iam::{ACCOUNT}:role/missing",
                      f"arn:aws:iam::{ACCOUNT}:user/missing", "arn:aws:iam::210987654321:role/r"):
        assert error_code(eks.create_access_entry, clusterName="c", principalArn=principal) == \
            "InvalidParameterException", principal
    # A namespace scope without namespaces (an access policy that does not exist: patch 17).
    for scope in ({"type": "namespace"}, {"type": "namespace", "namespaces": []}):
        assert error_code(eks.associate_access_policy, clusterName="c", principalArn=role, policyArn=EDIT,
                          accessScope=scope) == "InvalidParameterException", scope
    assert eks.list_associated_access_policies(clusterName="c", principalArn=role)["associatedAccessPolicies"] == []


# Patch 17: ListAccessPolicies, and AssociateAccessPolicy refuses a policy it does not list, as EKS does.
ADMIN_TYPO = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolcy"


def list_all_access_policies(eks, **page):
    """Every page of ListAccessPolicies, as (names, number of pages)."""
    names, pages, request = [], 0, dict(page)
    while True:
        answer = eks.list_access_policies(**request)
        pages += 1
        names += [p["name"] for p in answer["accessPolicies"]]
        assert all(p["arn"] == f"arn:aws:eks::aws:cluster-access-policy/{p['name']}" for p in answer["accessPolicies"])
        if "nextToken" not in answer:
            return names, pages
        request["nextToken"] = answer["nextToken"]


def test_access_policies_are_listed_by_name_and_paged(eks, patches):
    names, pages = list_all_access_policies(eks)
    assert pages == 1 and names == sorted(patches.ACCESS_POLICIES)
    for name in ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy",
                 "AmazonEKSAdminViewPolicy", "AmazonAIOpsAssistantPolicy"):
        assert name in names, name
    assert list_all_access_policies(eks, maxResults=10) == (names, -(-len(names) // 10))
    # A listed policy that is not named AmazonEKS* is associated like any other.
    api_cluster(eks)
    role = iam_role("r")
    eks.create_access_entry(clusterName="c", principalArn=role)
    eks.associate_access_policy(clusterName="c", principalArn=role, accessScope={"type": "cluster"},
                                policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonAIOpsAssistantPolicy")


def test_an_access_policy_that_does_not_exist_is_not_found(eks):
    api_cluster(eks)
    role = iam_role("r")
    eks.create_access_entry(clusterName="c", principalArn=role)
    # A misspelt name, another AWS policy kind, a region, an account, a colon short (what EKS answers for each).
    for policy in (ADMIN_TYPO, "arn:aws:iam::aws:policy/AdministratorAccess",
                   "arn:aws:eks::aws:cluster-access-policy/Admin",
                   "arn:aws:eks:ap-northeast-1:aws:cluster-access-policy/AmazonEKSViewPolicy",
                   f"arn:aws:eks::{ACCOUNT}:cluster-access-policy/AmazonEKSViewPolicy",
                   "arn:aws:eks:aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"):
        with pytest.raises(ClientError) as err:
            eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=policy,
                                        accessScope={"type": "cluster"})
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException", policy
        assert err.value.response["Error"]["Message"] == "The specified policyArn could not be found.", policy
    assert eks.list_associated_access_policies(clusterName="c", principalArn=role)["associatedAccessPolicies"] == []


def test_config_map_cluster_refuses_access_entries(eks):
    cluster(eks)  # EKS's default authentication mode, CONFIG_MAP
    role = iam_role("r")
    assert error_code(eks.create_access_entry, clusterName="c", principalArn=role) == "InvalidRequestException"
    assert error_code(eks.list_access_entries, clusterName="c") == "InvalidRequestException"
    assert error_code(eks.describe_access_entry, clusterName="c", principalArn=role) == "InvalidRequestException"
    eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    eks.create_access_entry(clusterName="c", principalArn=role)
    assert eks.list_access_entries(clusterName="c")["accessEntries"] == [role]


def test_the_authentication_mode_moves_one_step_forward_only(eks):  # patch 23
    cluster(eks)  # CONFIG_MAP
    for have, wanted in (("CONFIG_MAP", "API"), ("CONFIG_MAP", "CONFIG_MAP")):
        with pytest.raises(ClientError) as err:
            eks.update_cluster_config(name="c", accessConfig={"authenticationMode": wanted})
        assert err.value.response["Error"]["Code"] == "InvalidParameterException"
        assert err.value.response["Error"]["Message"] == f"Unsupported authentication mode update from {have} to {wanted}"
        assert eks.describe_cluster(name="c")["cluster"]["accessConfig"] == {"authenticationMode": "CONFIG_MAP"}
    eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API"})
    for back in ("API_AND_CONFIG_MAP", "CONFIG_MAP", "API"):
        with pytest.raises(ClientError) as err:
            eks.update_cluster_config(name="c", accessConfig={"authenticationMode": back})
        assert err.value.response["Error"]["Message"] == f"Unsupported authentication mode update from API to {back}"
    assert eks.describe_cluster(name="c")["cluster"]["accessConfig"] == {"authenticationMode": "API"}


class _ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(str(result))
        self.result, self.failed = result, failed


@pytest.fixture
def access_entry_module(monkeypatch):
    """run(args) -> (result, failed): triptrip.platform.eks_access_entry's main() with its retrying client on moto."""
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
    from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
    from ansible_collections.triptrip.platform.plugins.modules import eks_access_entry

    def leave(failed):
        def exit_(self, **kwargs):
            raise _ModuleExit(kwargs, failed)
        return exit_

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave(False))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", leave(True))
    client = RetryingBotoClientWrapper(boto3.client("eks", region_name="ap-northeast-1"), EKS_RETRY)
    monkeypatch.setattr(eks_access_entry, "eks_client", lambda _module: client)

    def run(args):
        with patch_module_args({"region": "ap-northeast-1", "access_key": "testing", "secret_key": "testing",
                                "cluster_name": "c", **args}):
            try:
                eks_access_entry.main()
            except _ModuleExit as done:
                return done.result, done.failed
        raise AssertionError("module returned without exit_json or fail_json")

    return run


def test_the_eks_access_entry_module_runs_against_the_patched_moto(eks, access_entry_module):
    api_cluster(eks)
    role = iam_role("triptrip-developers")
    args = {"principal_arn": role, "kubernetes_groups": ["triptrip-developers"], "tags": {"Project": "triptrip"},
            "access_policies": [
                {"policy_arn": VIEW, "access_scope": {"type": "cluster"}},
                {"policy_arn": EDIT, "access_scope": {"type": "namespace", "namespaces": ["booking", "search"]}}]}
    result, failed = access_entry_module(args)  # describe (not found), create, associate twice
    assert not failed and result["changed"], result
    assert result["access_entry"]["kubernetes_groups"] == ["triptrip-developers"]
    assert [p["policy_arn"] for p in result["access_policies"]] == [EDIT, VIEW]
    result, failed = access_entry_module(args)  # describe, list policies: nothing differs
    assert not failed and not result["changed"], result
    # Update groups, drop the cluster-scoped policy and narrow the namespaced one, change the tags.
    args.update(kubernetes_groups=["triptrip-readers"], tags={"Environment": "production"}, access_policies=[
        {"policy_arn": EDIT, "access_scope": {"type": "namespace", "namespaces": ["booking"]}}])
    result, failed = access_entry_module(args)  # update, associate, disassociate, tag, untag
    assert not failed and result["changed"], result
    described = eks.describe_access_entry(clusterName="c", principalArn=role)["accessEntry"]
    assert (described["kubernetesGroups"], described["tags"]) == (["triptrip-readers"], {"Environment": "production"})
    assert [(p["policyArn"], p["accessScope"]) for p in eks.list_associated_access_policies(
        clusterName="c", principalArn=role)["associatedAccessPolicies"]] == [
        (EDIT, {"type": "namespace", "namespaces": ["booking"]})]
    assert not access_entry_module(args)[0]["changed"]
    result, failed = access_entry_module({"principal_arn": role, "state": "absent"})  # describe, delete
    assert not failed and result["changed"], result
    assert eks.list_access_entries(clusterName="c")["accessEntries"] == []
    assert not access_entry_module({"principal_arn": role, "state": "absent"})[0]["changed"]


def test_the_module_refuses_a_misspelt_policy_on_the_patched_moto_before_any_change(eks, access_entry_module):
    api_cluster(eks)
    role = iam_role("triptrip-developers")
    result, failed = access_entry_module({"principal_arn": role, "access_policies": [
        {"policy_arn": VIEW, "access_scope": {"type": "cluster"}},
        {"policy_arn": ADMIN_TYPO, "access_scope": {"type": "cluster"}}]})
    assert failed and f"access_policies[1].policy_arn={ADMIN_TYPO}" in result["msg"], result
    assert f"did you mean {ADMIN}?" in result["msg"]
    assert eks.list_access_entries(clusterName="c")["accessEntries"] == []  # nothing created


def test_moto_lists_the_access_policies_the_collection_knows(patches):
    """Both lists are AWS's documented one: the preflight's typo hint and the local EKS agree on what exists."""
    from ansible_collections.triptrip.platform.plugins.module_utils.eks_access_policies import ACCESS_POLICY_NAMES

    assert set(patches.ACCESS_POLICIES) == ACCESS_POLICY_NAMES and len(patches.ACCESS_POLICIES) == len(ACCESS_POLICY_NAMES)


@pytest.fixture
def addon_module(monkeypatch):
    """run(args) -> (result, failed): triptrip.platform.eks_addon's main() with its retrying client on moto."""
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
    from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
    from ansible_collections.triptrip.platform.plugins.modules import eks_addon

    def leave(failed):
        def exit_(self, **kwargs):
            raise _ModuleExit(kwargs, failed)
        return exit_

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave(False))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", leave(True))
    client = RetryingBotoClientWrapper(boto3.client("eks", region_name="ap-northeast-1"), EKS_RETRY)
    monkeypatch.setattr(eks_addon, "eks_client", lambda _module: client)

    def run(args):
        with patch_module_args({"region": "ap-northeast-1", "access_key": "testing", "secret_key": "testing",
                                "cluster_name": "c", "wait": False, **args}):
            try:
                eks_addon.main()
            except _ModuleExit as done:
                return done.result, done.failed
        raise AssertionError("module returned without exit_json or fail_json")

    return run


def test_the_eks_addon_module_holds_the_configuration_to_the_patched_motos_schema(root, eks, addon_module):
    cluster(eks)
    cni = platform_addons(root)["vpc-cni"]
    args = {"name": "vpc-cni", "addon_version": cni["version"]}
    result, failed = addon_module({**args, "configuration_values": {**cni["configuration"], "enableNetworkPolcy": "true"}})
    assert failed and result["configuration_errors"] == [
        '$.enableNetworkPolcy="true": not a key of the schema; did you mean enableNetworkPolicy?'], result
    assert eks.list_addons(clusterName="c")["addons"] == []  # refused before CreateAddon
    result, failed = addon_module({**args, "configuration_values": cni["configuration"]})
    assert not failed and result["changed"], result
    assert json.loads(eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]["configurationValues"]) == \
        cni["configuration"]


# Patch 15: the local platform's cluster is described with the local kube-apiserver's endpoint and CA.
PEM = b"-----BEGIN CERTIFICATE-----\nMIIBlocal\n-----END CERTIFICATE-----\n"


def test_local_cluster_is_described_with_the_local_endpoint_and_ca(eks, monkeypatch, tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_bytes(PEM)
    monkeypatch.setenv("TRIPTRIP_EKS_LOCAL_CLUSTER", "c")
    monkeypatch.setenv("TRIPTRIP_EKS_LOCAL_ENDPOINT", "https://127.0.0.1:29443")
    monkeypatch.setenv("TRIPTRIP_EKS_LOCAL_CA_FILE", str(ca))
    made = eks.create_cluster(name="c", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})["cluster"]
    assert made["endpoint"] == "https://127.0.0.1:29443"
    assert base64.b64decode(made["certificateAuthority"]["data"]) == PEM
    described = eks.describe_cluster(name="c")["cluster"]
    assert described["endpoint"] == made["endpoint"]
    assert described["certificateAuthority"] == made["certificateAuthority"]
    # Read when described: a re-issued CA is what the next DescribeCluster gives.
    ca.write_bytes(PEM.replace(b"local", b"again"))
    assert base64.b64decode(eks.describe_cluster(name="c")["cluster"]["certificateAuthority"]["data"]) == \
        PEM.replace(b"local", b"again")
    other = eks.create_cluster(name="other", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})["cluster"]
    assert other["endpoint"].endswith(".ap-northeast-1.eks.amazonaws.com/")
    assert eks.describe_cluster(name="other")["cluster"]["certificateAuthority"] == other["certificateAuthority"]
    assert base64.b64encode(PEM).decode() != other["certificateAuthority"]["data"]


def test_without_the_variables_clusters_keep_motos_endpoint(eks, monkeypatch):
    for name in ("TRIPTRIP_EKS_LOCAL_CLUSTER", "TRIPTRIP_EKS_LOCAL_ENDPOINT", "TRIPTRIP_EKS_LOCAL_CA_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert cluster(eks)["endpoint"].endswith(".ap-northeast-1.eks.amazonaws.com/")


def test_public_endpoint_update_and_back_is_described(eks):
    cluster(eks)
    cidrs = ["203.0.113.0/24", "198.51.100.7/32"]
    eks.update_cluster_config(name="c", resourcesVpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": cidrs})
    vpc = eks.describe_cluster(name="c")["cluster"]["resourcesVpcConfig"]
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"], vpc["publicAccessCidrs"]) == (True, True, cidrs)
    eks.update_cluster_config(name="c", resourcesVpcConfig={"endpointPublicAccess": False})
    vpc = eks.describe_cluster(name="c")["cluster"]["resourcesVpcConfig"]
    assert (vpc["endpointPublicAccess"], vpc["publicAccessCidrs"], vpc["subnetIds"]) == (
        False, cidrs, ["subnet-1", "subnet-2"])


# Both patches as the local platform uses them: the moto server in its own process (scripts/localenv starts it so),
# read by another (an authenticator, a kubeconfig writer) over HTTP, with principal ARNs URL-encoded in the path.
@pytest.fixture(scope="module")
def moto_server(root, tool_env, tmp_path_factory):
    ca = tmp_path_factory.mktemp("ca") / "ca.crt"
    ca.write_bytes(PEM)
    port = free_port(24850)
    env = {"TRIPTRIP_EKS_LOCAL_CLUSTER": "local", "TRIPTRIP_EKS_LOCAL_ENDPOINT": "https://127.0.0.1:29443",
           "TRIPTRIP_EKS_LOCAL_CA_FILE": str(ca)}
    for _server in start_moto(root, tool_env, tmp_path_factory, port, "patches", env=env):
        yield port


def server_client(service, port):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="ap-northeast-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_access_entries_are_read_back_from_the_moto_server(moto_server):
    writer, reader = server_client("eks", moto_server), server_client("eks", moto_server)
    role = server_client("iam", moto_server).create_role(
        RoleName="dev+ops=a,b.c@d-e", Path="/teams/booking/", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    writer.create_cluster(name="access", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                          accessConfig={"authenticationMode": "API"})
    writer.create_access_entry(clusterName="access", principalArn=role, kubernetesGroups=["triptrip-developers"])
    writer.associate_access_policy(clusterName="access", principalArn=role, policyArn=EDIT,
                                   accessScope={"type": "namespace", "namespaces": ["booking"]})
    assert reader.list_access_entries(clusterName="access")["accessEntries"] == [role]
    entry = reader.describe_access_entry(clusterName="access", principalArn=role)["accessEntry"]
    assert (entry["principalArn"], entry["kubernetesGroups"]) == (role, ["triptrip-developers"])
    assert entry["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dev+ops=a,b.c@d-e/{{{{SessionName}}}}"
    assert [(p["policyArn"], p["accessScope"]) for p in reader.list_associated_access_policies(
        clusterName="access", principalArn=role)["associatedAccessPolicies"]] == [
        (EDIT, {"type": "namespace", "namespaces": ["booking"]})]
    writer.disassociate_access_policy(clusterName="access", principalArn=role, policyArn=EDIT)
    writer.delete_access_entry(clusterName="access", principalArn=role)
    assert reader.list_access_entries(clusterName="access")["accessEntries"] == []
    assert error_code(reader.describe_access_entry, clusterName="access",
                      principalArn=role) == "ResourceNotFoundException"


def test_an_identity_center_role_path_does_not_confuse_the_region(moto_server):
    """Patch 16: `.../sso.amazonaws.com/...` in the path is not a region (moto answered HTTP 500)."""
    eks = server_client("eks", moto_server)
    sso = server_client("iam", moto_server).create_role(
        RoleName="AWSReservedSSO_Admin_0123", Path="/aws-reserved/sso.amazonaws.com/ap-northeast-1/",
        AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks.create_cluster(name="sso", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                       accessConfig={"authenticationMode": "API"})
    eks.create_access_entry(clusterName="sso", principalArn=sso)
    eks.associate_access_policy(clusterName="sso", principalArn=sso, policyArn=EDIT, accessScope={"type": "cluster"})
    assert eks.describe_access_entry(clusterName="sso", principalArn=sso)["accessEntry"]["principalArn"] == sso
    assert [p["policyArn"] for p in eks.list_associated_access_policies(
        clusterName="sso", principalArn=sso)["associatedAccessPolicies"]] == [EDIT]


def test_the_moto_server_lists_access_policies_and_refuses_a_misspelt_one(moto_server):
    """Patch 17 over HTTP, as the eks_access_entry module calls it (GET /access-policies is routed)."""
    eks = server_client("eks", moto_server)
    names, _pages = list_all_access_policies(eks, maxResults=5)
    assert "AmazonEKSClusterAdminPolicy" in names and "AmazonEKSClusterAdminPolcy" not in names
    role = server_client("iam", moto_server).create_role(RoleName="typo", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks.create_cluster(name="typo", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                       accessConfig={"authenticationMode": "API"})
    eks.create_access_entry(clusterName="typo", principalArn=role)
    with pytest.raises(ClientError, match="ResourceNotFoundException.*The specified policyArn could not be found"):
        eks.associate_access_policy(clusterName="typo", principalArn=role, policyArn=ADMIN_TYPO,
                                    accessScope={"type": "cluster"})
    eks.associate_access_policy(clusterName="typo", principalArn=role, policyArn=ADMIN, accessScope={"type": "cluster"})


def test_the_moto_server_answers_addon_schemas_and_refuses_a_misspelt_key(moto_server):
    """Patch 18 over HTTP, as the eks_addon module calls it (GET /addons/configuration-schemas is routed)."""
    eks = server_client("eks", moto_server)
    schema = json.loads(eks.describe_addon_configuration(addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3")[
        "configurationSchema"])
    assert "enableNetworkPolicy" in schema["properties"]
    eks.create_cluster(name="schemas", roleArn=ROLE, version="1.35", resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    with pytest.raises(ClientError, match="InvalidParameterException.*enableNetworkPolcy: is not defined in the schema"):
        eks.create_addon(clusterName="schemas", addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.3",
                         configurationValues='{"enableNetworkPolcy": "true"}')


def test_the_moto_server_answers_insights_and_cluster_availability_updates(moto_server):
    """Patches 19 and 20 over HTTP (POST /clusters/{name}/insights and GET .../insights/{id} are routed)."""
    eks = server_client("eks", moto_server)
    eks.create_cluster(name="insights", roleArn=ROLE, version="1.35", resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                       zonalShiftConfig={"enabled": True})
    assert eks.describe_cluster(name="insights")["cluster"]["zonalShiftConfig"] == {"enabled": True}
    found = eks.list_insights(clusterName="insights", filter={"categories": ["UPGRADE_READINESS"]})["insights"]
    assert sorted(i["insightStatus"]["status"] for i in found) == ["PASSING", "PASSING", "UNKNOWN"]
    assert eks.describe_insight(clusterName="insights", id=found[0]["id"])["insight"]["id"] == found[0]["id"]


def test_the_moto_server_describes_the_local_cluster_with_the_local_endpoint(moto_server):
    eks = server_client("eks", moto_server)
    eks.create_cluster(name="local", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    described = eks.describe_cluster(name="local")["cluster"]
    assert described["endpoint"] == "https://127.0.0.1:29443"
    assert base64.b64decode(described["certificateAuthority"]["data"]) == PEM
    eks.create_cluster(name="elsewhere", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    assert eks.describe_cluster(name="elsewhere")["cluster"]["endpoint"] != "https://127.0.0.1:29443"


# Patch 21: EKS Pod Identity associations, one per service account, described and listed as EKS does.
def test_pod_identity_association_lifecycle(eks):
    cluster(eks)
    role, other = f"arn:aws:iam::{ACCOUNT}:role/c-keda", f"arn:aws:iam::{ACCOUNT}:role/path/c-keda-2"
    made = eks.create_pod_identity_association(clusterName="c", namespace="keda", serviceAccount="keda-operator",
                                               roleArn=role, tags={"team": "platform"})["association"]
    ident = made["associationId"]
    assert re.fullmatch(r"a-[0-9a-f]{17}", ident)
    assert made["associationArn"].endswith(f":podidentityassociation/c/{ident}")
    assert made["associationArn"].startswith(f"arn:aws:eks:ap-northeast-1:{ACCOUNT}:")
    described = eks.describe_pod_identity_association(clusterName="c", associationId=ident)["association"]
    assert (described["namespace"], described["serviceAccount"], described["roleArn"]) == ("keda", "keda-operator", role)
    assert described["tags"] == {"team": "platform"}
    eks.create_pod_identity_association(clusterName="c", namespace="kube-system", serviceAccount="aws-node", roleArn=role)
    listed = eks.list_pod_identity_associations(clusterName="c")["associations"]
    assert sorted(a["serviceAccount"] for a in listed) == ["aws-node", "keda-operator"]
    assert "roleArn" not in listed[0]  # the summary, as EKS lists it
    only = eks.list_pod_identity_associations(clusterName="c", namespace="keda", serviceAccount="keda-operator")
    assert [a["associationId"] for a in only["associations"]] == [ident]
    assert eks.list_pod_identity_associations(clusterName="c", namespace="keda", serviceAccount="x")["associations"] == []
    page = eks.list_pod_identity_associations(clusterName="c", maxResults=1)
    assert len(page["associations"]) == 1 and page["nextToken"]
    updated = eks.update_pod_identity_association(clusterName="c", associationId=ident, roleArn=other)["association"]
    assert updated["roleArn"] == other
    eks.delete_pod_identity_association(clusterName="c", associationId=ident)
    assert error_code(eks.describe_pod_identity_association, clusterName="c", associationId=ident) == \
        "ResourceNotFoundException"


def test_pod_identity_association_errors_are_eks_errors(eks):
    role = f"arn:aws:iam::{ACCOUNT}:role/c-keda"
    assert error_code(eks.create_pod_identity_association, clusterName="missing", namespace="n", serviceAccount="s",
                      roleArn=role) == "ResourceNotFoundException"
    cluster(eks)
    eks.create_pod_identity_association(clusterName="c", namespace="n", serviceAccount="s", roleArn=role)
    # One association per service account.
    assert error_code(eks.create_pod_identity_association, clusterName="c", namespace="n", serviceAccount="s",
                      roleArn=role) == "ResourceInUseException"
    for bad in ("c-keda", f"arn:aws:iam::{ACCOUNT}:user/u", "arn:aws:iam::1234:role/r", f"arn:aws:sts::{ACCOUNT}:role/r"):
        assert error_code(eks.create_pod_identity_association, clusterName="c", namespace="n", serviceAccount="t",
                          roleArn=bad) == "InvalidParameterException", bad
    for call, extra in ((eks.describe_pod_identity_association, {}), (eks.delete_pod_identity_association, {}),
                        (eks.update_pod_identity_association, {"roleArn": role})):
        assert error_code(call, clusterName="c", associationId="a-00000000000000000", **extra) == \
            "ResourceNotFoundException", call


def test_pod_identity_agent_is_an_offered_addon(eks):
    cluster(eks)
    versions = eks.describe_addon_versions(addonName="eks-pod-identity-agent", kubernetesVersion="1.35")["addons"]
    assert [v["addonVersion"] for v in versions[0]["addonVersions"]] == ["v1.3.8-eksbuild.2"]
    eks.create_addon(clusterName="c", addonName="eks-pod-identity-agent", addonVersion="v1.3.8-eksbuild.2",
                     configurationValues=json.dumps({"agent": {"additionalArgs": {"-b": "169.254.170.23"}}}))
    assert error_code(eks.update_addon, clusterName="c", addonName="eks-pod-identity-agent",
                      configurationValues=json.dumps({"agentt": {}})) == "InvalidParameterException"


def test_the_moto_server_rolls_a_cluster_back_and_lists_its_updates(moto_server):
    """Patch 22 over HTTP: GET /clusters/{name}/updates (ListUpdates) beside POST (UpdateClusterVersion)."""
    eks = server_client("eks", moto_server)
    eks.create_cluster(name="rollback", roleArn=ROLE, version="1.34", resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    upgrade = eks.update_cluster_version(name="rollback", version="1.35")["update"]
    assert eks.list_updates(name="rollback")["updateIds"] == [upgrade["id"]]
    rollback = eks.update_cluster_version(name="rollback", version="1.34")["update"]
    assert rollback["type"] == "VersionRollback"
    assert eks.list_updates(name="rollback")["updateIds"] == [upgrade["id"], rollback["id"]]
