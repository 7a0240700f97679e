"""triptrip.platform.k8s_objects lifts the per-object diffs of kubernetes.core.k8s to where --diff shows them."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.action.k8s_objects import explain_unreachable, lift_diffs


def item(kind, name, namespace=None, changed=True, before=None, after=None):
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    obj = {"kind": kind, "metadata": {**meta, "managedFields": [{"manager": "x"}], "resourceVersion": "42"}}
    return {"changed": changed, "method": "apply", "result": obj,
            "diff": {"before": {"metadata": {**meta, "labels": before or {}, "resourceVersion": "41"}},
                     "after": {"metadata": {**meta, "labels": after or {}, "managedFields": []}, "status": {"x": 1}}}}


def test_each_changed_object_gets_a_diff_headed_by_kind_namespace_and_name():
    result = {"changed": True, "result": {"results": [
        item("Namespace", "triptrip-api", before={}, after={"a": "b"}),
        item("NetworkPolicy", "default-deny-all", namespace="keda", changed=False),
        item("ResourceQuota", "triptrip-quota", namespace="triptrip-web", before={"x": "1"}, after={"x": "2"}),
    ]}}
    diffs = lift_diffs(result)
    assert [d["before_header"] for d in diffs] == ["Namespace triptrip-api", "ResourceQuota triptrip-web/triptrip-quota"]
    assert diffs[0]["after"] == {"metadata": {"name": "triptrip-api", "labels": {"a": "b"}}}  # no managedFields, no status
    assert diffs[0]["before"] == {"metadata": {"name": "triptrip-api", "labels": {}}}  # no resourceVersion


def test_nothing_changed_or_a_single_object_result_gives_no_lifted_diff():
    assert lift_diffs({"changed": False, "result": {"results": [item("Namespace", "a", changed=False)]}}) == []
    assert lift_diffs({"changed": True, "result": {"kind": "Namespace"}, "diff": {"before": {}, "after": {}}}) == []
    assert lift_diffs({"failed": True, "msg": "boom"}) == []


def test_an_unreachable_api_server_is_named_with_what_to_do(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "clusters: [{name: c1, cluster: {server: 'https://127.0.0.1:18600'}}, {name: c2, cluster: {server: x}}]\n"
        "contexts: [{name: ctx, context: {cluster: c1, user: u}}, {name: other, context: {cluster: c2, user: u}}]\n"
        "current-context: other\n")
    failed = {"failed": True, "msg": "Module failed: Value of unknown type: <class 'urllib3.exceptions.SSLError'>, "
                                     "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol"}
    args = {"kubeconfig": str(kubeconfig), "context": "ctx", "state": "present", "definition": [{}, {}, {}]}
    out = explain_unreachable(dict(failed), args)
    assert out["api_unreachable"] is True
    assert out["msg"].startswith("The Kubernetes API server https://127.0.0.1:18600 could not be reached")
    assert "sent 3 object(s) (state=present). Nothing was deleted" in out["msg"]
    assert out["msg"].endswith(failed["msg"])  # the client's own error stays, last
    absent = explain_unreachable(dict(failed), {**args, "state": "absent", "definition": {}})
    assert "sent 1 object(s) (state=absent). Objects deleted before the failure stay deleted." in absent["msg"]


def test_other_failures_and_successes_keep_their_message():
    invalid = {"failed": True, "msg": 'NetworkPolicy.networking.k8s.io "x" is invalid: spec.podSelector: Required'}
    assert explain_unreachable(dict(invalid), {}) == invalid
    assert explain_unreachable({"changed": True, "msg": "timed out"}, {}) == {"changed": True, "msg": "timed out"}


def test_the_message_is_read_from_ansible_core_2_19_error_summaries():
    class Event:  # the shape of ansible-core 2.19's CapturedErrorSummary.event
        msg = "HTTPSConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /version"

    class Summary:
        event = Event()

    out = explain_unreachable({"failed": True, "exception": Summary()}, {"host": "https://api.example:443"})
    assert out["msg"].startswith("The Kubernetes API server https://api.example:443 could not be reached")
    assert out["msg"].endswith(Event.msg)
