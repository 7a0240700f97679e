"""triptrip.platform.k8s_objects lifts the per-object diffs of kubernetes.core.k8s to where --diff shows them."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.action.k8s_objects import lift_diffs


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
