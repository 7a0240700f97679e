"""triptrip.platform.eks_nodegroup_info against botocore's Stubber: every page listed, labels and tags kept."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_nodegroup_info

GROUP = {
    "nodegroupName": "gpu", "clusterName": "c", "capacityType": "ON_DEMAND",
    "scalingConfig": {"minSize": 0, "maxSize": 5, "desiredSize": 0},
    "labels": {"nvidia.com/gpu": "true", "workload-type": "gpu"},
    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
    "tags": {"k8s.io/cluster-autoscaler/c": "owned"},
    "launchTemplate": {"name": "c-gpu", "version": "2", "id": "lt-1"},
}


def test_lists_every_page_and_keeps_label_and_tag_keys(run_module, eks):
    client, stubber = eks
    stubber.add_response("list_nodegroups", {"nodegroups": ["general"], "nextToken": "t"}, {"clusterName": "c"})
    stubber.add_response("list_nodegroups", {"nodegroups": ["gpu"]}, {"clusterName": "c", "nextToken": "t"})
    stubber.add_response("describe_nodegroup", {"nodegroup": {**GROUP, "nodegroupName": "general"}},
                         {"clusterName": "c", "nodegroupName": "general"})
    stubber.add_response("describe_nodegroup", {"nodegroup": GROUP}, {"clusterName": "c", "nodegroupName": "gpu"})
    result, failed = run_module(eks_nodegroup_info, {"cluster_name": "c"}, client, EKS_RETRY)
    assert not failed and not result["changed"]
    gpu = result["nodegroups"]["gpu"]
    assert sorted(result["nodegroups"]) == ["general", "gpu"]
    assert gpu["scaling_config"] == {"min_size": 0, "max_size": 5, "desired_size": 0}
    assert gpu["labels"] == {"nvidia.com/gpu": "true", "workload-type": "gpu"}
    assert gpu["tags"] == {"k8s.io/cluster-autoscaler/c": "owned"}
    assert gpu["launch_template"] == {"name": "c-gpu", "version": "2", "id": "lt-1"}


def test_missing_cluster_or_group_gives_an_empty_result(run_module, eks):
    client, stubber = eks
    stubber.add_client_error("list_nodegroups", service_error_code="ResourceNotFoundException", http_status_code=404,
                             expected_params={"clusterName": "c"})
    result, failed = run_module(eks_nodegroup_info, {"cluster_name": "c"}, client, EKS_RETRY)
    assert not failed and result["nodegroups"] == {}
    stubber.add_client_error("describe_nodegroup", service_error_code="ResourceNotFoundException", http_status_code=404,
                             expected_params={"clusterName": "c", "nodegroupName": "spot"})
    result, failed = run_module(eks_nodegroup_info, {"cluster_name": "c", "names": ["spot"]}, client, EKS_RETRY)
    assert not failed and result["nodegroups"] == {}
