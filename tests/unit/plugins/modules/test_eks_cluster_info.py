"""triptrip.platform.eks_cluster_info: reads one cluster, snake_cases it, retries throttling."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_cluster_info

CLUSTER = {
    "name": "triptrip-production",
    "arn": "arn:aws:eks:ap-northeast-1:123456789012:cluster/triptrip-production",
    "version": "1.35",
    "status": "ACTIVE",
    "roleArn": "arn:aws:iam::123456789012:role/triptrip-production-cluster",
    "resourcesVpcConfig": {
        "subnetIds": ["subnet-a", "subnet-c", "subnet-d"],
        "endpointPublicAccess": False,
        "endpointPrivateAccess": True,
        "publicAccessCidrs": [],
    },
    "tags": {"kubernetes.io/cluster/triptrip-production": "owned", "CostCenter": "platform"},
}


def test_existing_cluster_is_returned_in_snake_case_with_tag_keys_kept(run_module, eks):
    client, stubber = eks
    stubber.add_response("describe_cluster", {"cluster": CLUSTER}, {"name": "triptrip-production"})
    result, failed = run_module(eks_cluster_info, {"name": "triptrip-production"}, client, EKS_RETRY)
    assert not failed, result
    assert result["changed"] is False
    assert result["exists"] is True
    cluster = result["cluster"]
    assert cluster["resources_vpc_config"]["endpoint_public_access"] is False
    assert cluster["resources_vpc_config"]["subnet_ids"] == ["subnet-a", "subnet-c", "subnet-d"]
    assert cluster["role_arn"].endswith(":role/triptrip-production-cluster")
    assert cluster["tags"] == CLUSTER["tags"]  # tag keys are data, not snake_cased


def test_missing_cluster_reports_exists_false_instead_of_failing(run_module, eks):
    client, stubber = eks
    stubber.add_client_error(
        "describe_cluster", service_error_code="ResourceNotFoundException", http_status_code=404,
        expected_params={"name": "absent"},
    )
    result, failed = run_module(eks_cluster_info, {"name": "absent"}, client, EKS_RETRY)
    assert not failed, result
    assert result == {"changed": False, "exists": False}


def test_throttling_is_retried_then_succeeds(run_module, eks, monkeypatch):
    client, stubber = eks
    monkeypatch.setattr("time.sleep", lambda _s: None)  # the backoff's waits, not its count
    for _attempt in range(3):
        stubber.add_client_error("describe_cluster", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("describe_cluster", {"cluster": CLUSTER}, {"name": "triptrip-production"})
    result, failed = run_module(eks_cluster_info, {"name": "triptrip-production"}, client, EKS_RETRY)
    assert not failed, result
    assert result["cluster"]["status"] == "ACTIVE"


def test_other_errors_fail_with_the_cluster_name(run_module, eks):
    client, stubber = eks
    stubber.add_client_error("describe_cluster", service_error_code="AccessDeniedException", http_status_code=403)
    result, failed = run_module(eks_cluster_info, {"name": "triptrip-production"}, client, EKS_RETRY)
    assert failed
    assert "triptrip-production" in result["msg"]


def test_addons_are_listed_every_page_and_described_only_when_asked(run_module, eks):
    client, stubber = eks
    name = {"name": "triptrip-production"}
    stubber.add_response("describe_cluster", {"cluster": CLUSTER}, name)
    stubber.add_response("list_addons", {"addons": ["vpc-cni"], "nextToken": "t"}, {"clusterName": name["name"]})
    stubber.add_response("list_addons", {"addons": ["eks-pod-identity-agent"]}, {"clusterName": name["name"], "nextToken": "t"})
    role = "arn:aws:iam::123456789012:role/triptrip-production-vpc-cni"
    for addon, extra in (("vpc-cni", {"serviceAccountRoleArn": role}), ("eks-pod-identity-agent", {})):
        stubber.add_response("describe_addon", {"addon": {"addonName": addon, "addonVersion": "v1", "tags": {"A-b": "c"}, **extra}},
                             {"clusterName": name["name"], "addonName": addon})
    result, failed = run_module(eks_cluster_info, {**name, "addons": True}, client, EKS_RETRY)
    assert not failed, result
    assert result["addons"]["vpc-cni"]["service_account_role_arn"] == role
    assert result["addons"]["eks-pod-identity-agent"]["tags"] == {"A-b": "c"}
    # Without addons: DescribeCluster only (the stubber has nothing else queued and would fail on another call).
    stubber.add_response("describe_cluster", {"cluster": CLUSTER}, name)
    result, failed = run_module(eks_cluster_info, name, client, EKS_RETRY)
    assert not failed and "addons" not in result
