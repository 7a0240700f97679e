"""triptrip.platform.eks_pod_identity_association against botocore's Stubber: the exact requests it sends, none when
nothing differs, the list checked before any call, an update in place for another role, deletion and check mode."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_pod_identity_association as module

CLUSTER = "triptrip-production"
KEDA = "arn:aws:iam::123456789012:role/triptrip-production-keda"
OTHER = "arn:aws:iam::123456789012:role/platform/triptrip-production-keda-2"
ID = "a-0123456789abcdef0"
ARN = f"arn:aws:eks:ap-northeast-1:123456789012:podidentityassociation/{CLUSTER}/{ID}"
SUMMARY = {"clusterName": CLUSTER, "namespace": "keda", "serviceAccount": "keda-operator", "associationId": ID,
           "associationArn": ARN}
ASSOCIATION = {**SUMMARY, "roleArn": KEDA, "tags": {"Environment": "production"}}
WANT = {"namespace": "keda", "service_account": "keda-operator", "role_arn": KEDA}


def args(*items, **extra):
    return {"cluster_name": CLUSTER, "associations": list(items) or [WANT], "tags": {"Environment": "production"}, **extra}


def listed(stubber, *summaries):
    stubber.add_response("list_pod_identity_associations", {"associations": list(summaries)}, {"clusterName": CLUSTER})


def described(stubber, association=None):
    stubber.add_response("describe_pod_identity_association", {"association": association or ASSOCIATION},
                         {"clusterName": CLUSTER, "associationId": ID})


def test_creates_a_missing_association_with_its_tags(run_module, eks):
    client, stubber = eks
    listed(stubber)
    stubber.add_response("create_pod_identity_association", {"association": ASSOCIATION},
                         {"clusterName": CLUSTER, "namespace": "keda", "serviceAccount": "keda-operator",
                          "roleArn": KEDA, "tags": {"Environment": "production"}})
    result, failed = run_module(module, args(), client, EKS_RETRY)
    assert not failed and result["changed"]
    assert result["associations"] == [{"namespace": "keda", "service_account": "keda-operator", "role_arn": KEDA,
                                       "association_id": ID, "association_arn": ARN}]
    assert result["diff"] == {"before": {}, "after": {"keda/keda-operator": {
        "namespace": "keda", "service_account": "keda-operator", "role_arn": KEDA, "tags": {"Environment": "production"}}}}


def test_nothing_is_sent_when_the_association_is_as_wanted(run_module, eks):
    client, stubber = eks
    listed(stubber, SUMMARY, {**SUMMARY, "namespace": "other", "associationId": "a-1"})
    described(stubber)
    result, failed = run_module(module, args(), client, EKS_RETRY)
    assert not failed and not result["changed"] and result["diff"] == {}
    assert result["associations"][0]["role_arn"] == KEDA


def test_another_role_is_an_update_in_place(run_module, eks):
    client, stubber = eks
    listed(stubber, SUMMARY)
    described(stubber)
    stubber.add_response("update_pod_identity_association", {"association": {**ASSOCIATION, "roleArn": OTHER}},
                         {"clusterName": CLUSTER, "associationId": ID, "roleArn": OTHER})
    result, failed = run_module(module, args({**WANT, "role_arn": OTHER}), client, EKS_RETRY)
    assert not failed and result["changed"]
    assert result["diff"]["before"]["keda/keda-operator"]["role_arn"] == KEDA
    assert result["diff"]["after"]["keda/keda-operator"]["role_arn"] == OTHER


def test_tags_converge_without_touching_the_role(run_module, eks):
    client, stubber = eks
    listed(stubber, SUMMARY)
    described(stubber, {**ASSOCIATION, "tags": {"Environment": "staging", "Old": "x"}})
    stubber.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": {"Environment": "production"}})
    stubber.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["Old"]})
    result, failed = run_module(module, args(), client, EKS_RETRY)
    assert not failed and result["changed"]


def test_absent_deletes_and_a_missing_one_is_no_change(run_module, eks):
    client, stubber = eks
    listed(stubber, SUMMARY)
    described(stubber)
    stubber.add_response("delete_pod_identity_association", {"association": ASSOCIATION},
                         {"clusterName": CLUSTER, "associationId": ID})
    gone = {"namespace": "keda", "service_account": "keda-operator", "state": "absent"}
    never = {"namespace": "kube-system", "service_account": "x", "state": "absent"}
    result, failed = run_module(module, args(gone, never), client, EKS_RETRY)
    assert not failed and result["changed"] and result["associations"] == []
    assert list(result["diff"]["before"]) == ["keda/keda-operator"] and result["diff"]["after"] == {}


def test_check_mode_reads_only(run_module, eks):
    client, stubber = eks
    listed(stubber, SUMMARY)
    described(stubber)
    new = {"namespace": "kube-system", "service_account": "aws-node", "role_arn": KEDA}
    result, failed = run_module(module, {**args({**WANT, "role_arn": OTHER}, new), "_ansible_check_mode": True},
                                client, EKS_RETRY)
    assert not failed and result["changed"]
    assert set(result["diff"]["after"]) == {"keda/keda-operator", "kube-system/aws-node"}


def test_the_list_is_checked_before_any_call(run_module, eks):
    client, _stubber = eks  # no response queued: any call would fail the test
    for items, named in (((WANT, WANT), "associations[1]: keda/keda-operator is already listed at associations[0]"),
                         (({**WANT, "role_arn": "triptrip-production-keda"},), "associations[0].role_arn='triptrip-production-keda'"),
                         (({**WANT, "role_arn": "arn:aws:iam::123456789012:user/u"},), "associations[0].role_arn="),
                         (({"namespace": "keda", "service_account": "keda-operator"},), "associations[0].role_arn=None")):
        result, failed = run_module(module, args(*items), client, EKS_RETRY)
        assert failed and named in result["msg"], result["msg"]


def test_a_role_iam_has_not_propagated_yet_is_retried(run_module, eks, monkeypatch):
    client, stubber = eks
    monkeypatch.setattr("time.sleep", lambda _s: None)
    listed(stubber)
    request = {"clusterName": CLUSTER, "namespace": "keda", "serviceAccount": "keda-operator", "roleArn": KEDA,
               "tags": {"Environment": "production"}}
    stubber.add_client_error("create_pod_identity_association", service_error_code="InvalidParameterException",
                             service_message=f"Role {KEDA} does not exist", http_status_code=400, expected_params=request)
    stubber.add_response("create_pod_identity_association", {"association": ASSOCIATION}, request)
    result, failed = run_module(module, args(), client, EKS_RETRY)
    assert not failed and result["changed"]


def test_check_mode_plans_on_a_cluster_not_made_yet_and_a_real_run_fails(run_module, eks):
    client, stubber = eks
    for check in (True, False):
        stubber.add_client_error("list_pod_identity_associations", service_error_code="ResourceNotFoundException",
                                 http_status_code=404, expected_params={"clusterName": CLUSTER})
        result, failed = run_module(module, {**args(), "_ansible_check_mode": check}, client, EKS_RETRY)
        assert failed is not check, result
        if check:
            assert list(result["diff"]["after"]) == ["keda/keda-operator"]


def test_info_lists_and_describes_every_page(run_module, eks):
    from ansible_collections.triptrip.platform.plugins.modules import eks_pod_identity_association_info as info
    client, stubber = eks
    node = {**SUMMARY, "namespace": "kube-system", "serviceAccount": "aws-node", "associationId": "a-1"}
    stubber.add_response("list_pod_identity_associations", {"associations": [SUMMARY], "nextToken": "t"},
                         {"clusterName": CLUSTER, "namespace": "keda"})
    stubber.add_response("list_pod_identity_associations", {"associations": [node]},
                         {"clusterName": CLUSTER, "namespace": "keda", "nextToken": "t"})
    described(stubber)
    stubber.add_response("describe_pod_identity_association", {"association": {**node, "roleArn": OTHER}},
                         {"clusterName": CLUSTER, "associationId": "a-1"})
    result, failed = run_module(info, {"cluster_name": CLUSTER, "namespace": "keda"}, client, EKS_RETRY)
    assert not failed and not result["changed"] and result["exists"]
    roles = {k: v["role_arn"] for k, v in result["associations"].items()}
    assert roles == {"keda/keda-operator": KEDA, "kube-system/aws-node": OTHER}


def test_info_on_a_missing_cluster_is_empty(run_module, eks):
    from ansible_collections.triptrip.platform.plugins.modules import eks_pod_identity_association_info as info
    client, stubber = eks
    stubber.add_client_error("list_pod_identity_associations", service_error_code="ResourceNotFoundException",
                             http_status_code=404, expected_params={"clusterName": CLUSTER})
    result, failed = run_module(info, {"cluster_name": CLUSTER}, client, EKS_RETRY)
    assert not failed and result == {"changed": False, "associations": {}, "exists": False}
