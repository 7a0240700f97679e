"""triptrip.platform.k8s_sync_info: one list per kind (narrowed by the managed-by label when all share it),
Secrets never read, a kind that cannot be listed counts as out of sync."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.modules import k8s_sync_info

MANAGER = "triptrip-platform"


def obj(kind, name, namespace=None, api="v1", labels=None, applied=True):
    meta = {"name": name, **({"namespace": namespace} if namespace else {}),
            "labels": labels or {"app.kubernetes.io/managed-by": MANAGER}}
    definition = {"apiVersion": api, "kind": kind, "metadata": meta}
    fields = {"f:metadata": {"f:labels": {f"f:{k}": {} for k in meta["labels"]}}}
    live = {**definition, "metadata": {**meta, "managedFields": [
        {"apiVersion": api, "manager": MANAGER, "operation": "Apply", "fieldsV1": fields}] if applied else []}}
    return definition, live


class FakeClient:
    """client.resource(kind, api) and client.client.get(resource, label_selector=...) as kubernetes.core's."""

    def __init__(self, live, forbidden=()):
        self.live, self.forbidden, self.requests = live, forbidden, []
        self.client = self

    def resource(self, kind, api_version):
        if kind in self.forbidden:
            raise RuntimeError("403 Forbidden")
        return (api_version, kind)

    def get(self, resource, label_selector=None):
        self.requests.append((resource, label_selector))
        items = [o for o in self.live if (o["apiVersion"], o["kind"]) == resource]

        class Listed:
            def to_dict(self):
                return {"items": items}
        return Listed()


def test_one_list_per_kind_and_the_in_sync_indexes():
    ns_a, ns_a_live = obj("Namespace", "a")
    ns_b, _ns_b_live = obj("Namespace", "b")  # not on the server
    quota, quota_live = obj("ResourceQuota", "q", "a")
    other, other_live = obj("ResourceQuota", "q2", "a", applied=False)  # applied by someone else
    secret, _secret_live = obj("Secret", "s", "a")
    client = FakeClient([ns_a_live, quota_live, other_live])
    synced, out, lists = k8s_sync_info.plan(client, [ns_a, ns_b, quota, other, secret], MANAGER)
    assert synced == [0, 2]
    assert out == [1, 3, 4]
    assert lists == 2 and sorted(client.requests) == [
        (("v1", "Namespace"), "app.kubernetes.io/managed-by=triptrip-platform"),
        (("v1", "ResourceQuota"), "app.kubernetes.io/managed-by=triptrip-platform")]


def test_without_a_shared_label_the_list_is_not_narrowed():
    first, first_live = obj("ConfigMap", "x", "a")
    second, second_live = obj("ConfigMap", "y", "a", labels={"team": "web"})
    client = FakeClient([first_live, second_live])
    synced, _out, _lists = k8s_sync_info.plan(client, [first, second], MANAGER)
    assert synced == [0, 1]
    assert client.requests == [(("v1", "ConfigMap"), None)]


def test_a_kind_that_cannot_be_listed_is_out_of_sync():
    crd, crd_live = obj("ScaledObject", "s", "a", api="keda.sh/v1alpha1")
    client = FakeClient([crd_live], forbidden=("ScaledObject",))
    assert k8s_sync_info.plan(client, [crd], MANAGER) == ([], [0], 1)
