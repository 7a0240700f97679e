"""triptrip.platform.k8s_objects lifts the per-object diffs of kubernetes.core.k8s to where --diff shows them."""

from __future__ import annotations

import pytest

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


# read_first: one read of the live objects in this process, then only those out of sync go to kubernetes.core.k8s.
class Listed:
    def __init__(self, items):
        self.items = items

    def to_dict(self):
        return {"items": self.items}


class FakeClient:
    """What the action reads through (kubernetes.core's K8SClient): resource() and client.get(), from a dict of live
    objects by (kind, namespace, name); a kind in `unknown` is one the API server does not know."""

    def __init__(self, live=(), unknown=()):
        self.live = {(o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"]): o for o in live}
        self.unknown, self.client, self.requests = set(unknown), self, []

    def resource(self, kind, api_version):
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        if kind in self.unknown:
            raise ResourceNotFoundError(f"{api_version} {kind}")
        return kind

    def get(self, resource, name=None, namespace=None, label_selector=None):
        from kubernetes.client.exceptions import ApiException
        from kubernetes.dynamic.exceptions import NotFoundError

        self.requests.append((resource, namespace, name))
        if name is None:
            return Listed([o for (kind, _ns, _name), o in self.live.items() if kind == resource])
        if (resource, namespace or "", name) not in self.live:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        return self.live[(resource, namespace or "", name)]


def _action(args, answers, client=None, monkeypatch=None):
    from unittest.mock import MagicMock

    from ansible_collections.triptrip.platform.plugins.action import k8s_objects
    from ansible_collections.triptrip.platform.plugins.action.k8s_objects import ActionModule

    made = []
    monkeypatch.setattr(k8s_objects, "client_for", lambda a: made.append(a) or client)
    task = MagicMock()
    task.args, task.async_val, task.check_mode, task.diff = args, 0, False, False
    action = ActionModule(task, MagicMock(), MagicMock(), MagicMock(), MagicMock(), MagicMock())
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append((module_name, module_args))
        return answers[module_name](module_args)

    action._execute_module = execute  # noqa: SLF001
    return action, calls, made


OBJECTS = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"n{i}"}} for i in range(20)]
SSA = {"state": "present", "apply": True, "server_side_apply": {"field_manager": "triptrip-platform"},
       "kubeconfig": "/k", "context": "c"}
APPLIED = [{"manager": "triptrip-platform", "operation": "Apply", "apiVersion": "v1", "fieldsV1": {}}]


def live(definition):
    return {**definition, "metadata": {**definition["metadata"], "managedFields": APPLIED}}


def test_only_the_objects_out_of_sync_are_sent(monkeypatch):
    client = FakeClient(live=[live(o) for o in OBJECTS[1:]])
    action, calls, made = _action({**SSA, "definition": OBJECTS}, {
        "kubernetes.core.k8s": lambda a: {"changed": True, "result": {"results": []}}}, client, monkeypatch)
    result = action.run(task_vars={})
    assert [name for name, _args in calls] == ["kubernetes.core.k8s"]  # the read started no module
    assert [(a["kubeconfig"], a["context"]) for a in made] == [("/k", "c")]  # the task's connection
    assert client.requests == [("Namespace", None, None)]  # one list for the kind
    assert calls[0][1]["definition"] == [OBJECTS[0]] and "read_first" not in calls[0][1]
    assert result["changed"] is True and result["in_sync"] == 19


def test_all_in_sync_starts_no_module(monkeypatch):
    action, calls, _made = _action({**SSA, "definition": OBJECTS}, {}, FakeClient(live=[live(o) for o in OBJECTS]),
                                   monkeypatch)
    result = action.run(task_vars={})
    assert calls == []
    assert result == {"changed": False, "in_sync": 20, "result": {"results": []}}


def test_no_client_or_an_unknown_kind_sends_everything(monkeypatch):
    action, calls, _made = _action({**SSA, "definition": OBJECTS}, {
        "kubernetes.core.k8s": lambda a: {"changed": False, "result": {"results": []}}}, None, monkeypatch)
    action.run(task_vars={})
    assert calls[0][1]["definition"] == OBJECTS
    action, calls, _made = _action({**SSA, "definition": OBJECTS}, {
        "kubernetes.core.k8s": lambda a: {"changed": False, "result": {"results": []}}},
        FakeClient(unknown={"Namespace"}), monkeypatch)
    action.run(task_vars={})
    assert calls[0][1]["definition"] == OBJECTS


DELETE = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "repo", "namespace": "argocd"}},
          {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gone", "namespace": "argocd"}},
          {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "w", "namespace": "x"}}]


def test_a_delete_sends_only_what_exists_and_nothing_when_all_is_gone(monkeypatch):
    client = FakeClient(live=[DELETE[0]], unknown={"ScaledObject"})  # KEDA's CRD went with its release
    action, calls, _made = _action({"state": "absent", "definition": DELETE, "kubeconfig": "/k"}, {
        "kubernetes.core.k8s": lambda a: {"changed": True, "result": {"results": []}}}, client, monkeypatch)
    assert action.run(task_vars={})["changed"] is True
    assert calls[0][1]["definition"] == [DELETE[0]]
    action, calls, _made = _action({"state": "absent", "definition": DELETE[1:]}, {}, client, monkeypatch)
    assert action.run(task_vars={}) == {"changed": False, "result": {"results": []}}
    assert calls == []


def test_an_empty_list_starts_no_module(monkeypatch):
    for args in ({**SSA, "definition": []}, {"state": "absent", "definition": []}):
        action, calls, made = _action(args, {}, FakeClient(), monkeypatch)
        assert action.run(task_vars={}) == {"changed": False, "result": {"results": []}}
        assert calls == [] and made == []


@pytest.mark.parametrize("args", [
    {**SSA, "definition": OBJECTS, "read_first": False},
    {**SSA, "definition": OBJECTS[0]},  # one object, not a list
    {"state": "absent", "definition": DELETE, "read_first": False},
    {"state": "absent", "kind": "Secret", "label_selectors": ["a=b"], "definition": DELETE},
    {"state": "present", "apply": True, "definition": OBJECTS},  # no server-side apply
])
def test_no_read_unless_a_server_side_apply_or_a_delete_of_a_list(args, monkeypatch):
    action, calls, made = _action(args, {"kubernetes.core.k8s": lambda a: {"changed": False}}, FakeClient(), monkeypatch)
    action.run(task_vars={})
    assert [name for name, _args in calls] == ["kubernetes.core.k8s"] and made == []
    assert "read_first" not in calls[0][1]
