"""localenv/moto_server.py: each documented patch does what its docstring says (moto in-process, mock_aws)."""

from __future__ import annotations

import importlib.util

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

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
    cluster(eks)
    update = eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API"})["update"]
    assert update["status"] == "Successful" and update["type"] == "AccessConfigUpdate"
    eks.update_cluster_config(name="c", deletionProtection=True)
    described = eks.describe_cluster(name="c")["cluster"]
    assert described["accessConfig"] == {"authenticationMode": "API"}
    assert described["deletionProtection"] is True


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
    for refused in ("1.33", "1.36", "2.35"):
        with pytest.raises(ClientError) as err:
            eks.update_cluster_version(name="c", version=refused)
        assert err.value.response["Error"]["Code"] == "InvalidParameterException", refused
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
