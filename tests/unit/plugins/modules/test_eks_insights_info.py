"""triptrip.platform.eks_insights_info against botocore's Stubber: ListInsights with the filter asked for, paged, and
DescribeInsight for each insight that is not passing (issue #27: the upgrade's gate)."""

from __future__ import annotations

import datetime

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_insights_info

NOW = datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc)
CLUSTER = "triptrip-production"


def summary(ident, name, status, reason=""):
    return {"id": ident, "name": name, "category": "UPGRADE_READINESS", "kubernetesVersion": "1.35",
            "lastRefreshTime": NOW, "lastTransitionTime": NOW, "description": f"Checks {name}.",
            "insightStatus": {"status": status, "reason": reason}}


def test_the_filter_is_sent_pages_are_followed_and_only_failing_insights_are_described(run_module, eks):
    client, stubber = eks
    request = {"clusterName": CLUSTER, "filter": {"categories": ["UPGRADE_READINESS"], "kubernetesVersions": ["1.35"]}}
    stubber.add_response("list_insights", {"insights": [summary("i-1", "Kubelet version skew", "PASSING")],
                                           "nextToken": "t-2"}, request)
    stubber.add_response("list_insights", {"insights": [
        summary("i-2", "Deprecated APIs removed in Kubernetes v1.35", "ERROR", "Deprecated API usage detected."),
        summary("i-3", "Amazon EKS add-on version compatibility", "WARNING", "kube-proxy")]},
        {**request, "nextToken": "t-2"})
    stubber.add_response("describe_insight", {"insight": {
        **summary("i-2", "Deprecated APIs removed in Kubernetes v1.35", "ERROR", "Deprecated API usage detected."),
        "recommendation": "Update manifests and API clients before upgrading.",
        "resources": [{"insightStatus": {"status": "ERROR"}, "kubernetesResourceUri": "/apis/x/v1beta1/things"}],
        "categorySpecificSummary": {"deprecationDetails": [{"usage": "/apis/x/v1beta1/things",
                                                            "replacedWith": "/apis/x/v1/things"}]}}},
        {"clusterName": CLUSTER, "id": "i-2"})
    stubber.add_response("describe_insight", {"insight": {
        **summary("i-3", "Amazon EKS add-on version compatibility", "WARNING", "kube-proxy"),
        "recommendation": "Upgrade kube-proxy with the control plane."}}, {"clusterName": CLUSTER, "id": "i-3"})
    result, failed = run_module(eks_insights_info, {"cluster_name": CLUSTER, "kubernetes_version": "1.35"}, client,
                                EKS_RETRY)
    assert not failed, result
    assert result["changed"] is False and result["exists"] is True
    assert [i["id"] for i in result["insights"]] == ["i-2", "i-3", "i-1"]  # ERROR, WARNING, PASSING
    error = result["insights"][0]
    assert error["recommendation"] == "Update manifests and API clients before upgrading."
    assert error["resources"] == [{"insight_status": {"status": "ERROR"},
                                   "kubernetes_resource_uri": "/apis/x/v1beta1/things"}]
    assert error["details"]["deprecation_details"][0]["replaced_with"] == "/apis/x/v1/things"
    assert "recommendation" not in result["insights"][2]
    assert result["counts"] == {"ERROR": 1, "WARNING": 1, "UNKNOWN": 0, "PASSING": 1}


def test_a_missing_cluster_reads_as_no_insights(run_module, eks):
    client, stubber = eks
    stubber.add_client_error("list_insights", service_error_code="ResourceNotFoundException", http_status_code=404)
    result, failed = run_module(eks_insights_info, {"cluster_name": CLUSTER}, client, EKS_RETRY)
    assert not failed and result["exists"] is False and result["insights"] == [], result


def test_without_a_version_every_version_is_listed(run_module, eks):
    client, stubber = eks
    stubber.add_response("list_insights", {"insights": []},
                         {"clusterName": CLUSTER, "filter": {"categories": ["ROLLBACK_READINESS"]}})
    result, failed = run_module(eks_insights_info, {"cluster_name": CLUSTER, "categories": ["ROLLBACK_READINESS"]},
                                client, EKS_RETRY)
    assert not failed and result["insights"] == [] and result["counts"]["ERROR"] == 0, result
