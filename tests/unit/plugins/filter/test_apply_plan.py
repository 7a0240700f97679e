"""apply_plan: what roles/apply does with the components a play's roles published. Removals go in reverse order,
releases become chains (one per component, or one per release when independent) carrying their component's helm
settings, objects are grouped per field manager in order, and in check mode the objects of a component whose
release is not deployed yet are only planned. A malformed component fails with its name."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.filter.apply_plan import apply_plan


def release(name, namespace="ns"):
    return {"release": name, "namespace": namespace, "chart": {"ref": name, "version": "1.0.0"}, "values": {}}


def obj(kind, name, namespace=None):
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


ISTIO = {"what": "Istio", "releases": [release("istio-base", "istio-system"), release("istiod", "istio-system")],
         "objects": [obj("PeerAuthentication", "default", "istio-system")]}
KEDA = {"what": "KEDA", "releases": [release("keda", "keda")], "objects": [obj("ScaledObject", "api", "app")],
        "field_manager": "keda-manager", "timeout": 300}
ALB = {"what": "ALB", "stage": 1, "releases": [release("alb", "kube-system")]}


def test_chains_keep_each_component_in_order_and_carry_its_helm_settings():
    plan = apply_plan([ISTIO, KEDA, ALB], [], False)
    assert [[r["release"] for r in chain] for chain in plan["chains"]] == [["istio-base", "istiod"], ["keda"], ["alb"]]
    keda = plan["chains"][1][0]
    assert keda["what"] == "KEDA" and keda["stage"] == 0
    assert keda["helm"] == {"wait": True, "timeout": 300, "history_max": 10, "take_ownership": False}
    assert plan["chains"][2][0]["stage"] == 1


def test_independent_releases_get_a_chain_each():
    workloads = {"what": "the workloads", "in_order": False, "releases": [release("api"), release("redis")]}
    assert [[r["release"] for r in c] for c in apply_plan([workloads], [], False)["chains"]] == [["api"], ["redis"]]


def test_objects_are_grouped_per_field_manager_in_first_seen_order():
    base = {"what": "the namespaces", "objects": [obj("Namespace", "app")]}
    plan = apply_plan([base, KEDA, ISTIO], [], False)
    assert [(g["field_manager"], [o["metadata"]["name"] for o in g["objects"]]) for g in plan["applied"]] == \
        [("triptrip-platform", ["app", "default"]), ("keda-manager", ["api"])]
    assert plan["planned"] == []


def test_check_mode_plans_the_objects_of_a_component_with_a_release_still_to_install():
    plan = apply_plan([ISTIO, KEDA], ["istio-system/istio-base"], True)
    planned = [(p["what"], p["undeployed"]) for p in plan["planned"]]
    assert planned == [("Istio", ["istio-system/istiod"]), ("KEDA", ["keda/keda"])]
    assert plan["applied"] == []
    # Once every release is deployed, the objects go to the API server's dry run.
    deployed = ["istio-system/istio-base", "istio-system/istiod", "keda/keda"]
    assert [g["field_manager"] for g in apply_plan([ISTIO, KEDA], deployed, True)["applied"]] == \
        ["triptrip-platform", "keda-manager"]
    # Outside check mode nothing is only planned.
    assert apply_plan([ISTIO], [], False)["planned"] == []


def test_absent_components_are_removed_in_reverse_order_and_install_nothing():
    gone = [{**ISTIO, "state": "absent"}, {**KEDA, "state": "absent"}, {"what": "empty", "state": "absent"}]
    plan = apply_plan([*gone, ALB], [], False)
    assert [c["what"] for c in plan["absent"]] == ["KEDA", "Istio"]  # "empty" has nothing to remove
    assert plan["absent"][0]["remove_finalizers"] is True and plan["absent"][0]["timeout"] == 300
    assert [[r["release"] for r in c] for c in plan["chains"]] == [["alb"]]
    assert plan["applied"] == []


def test_secrets_and_deletions_are_kept_apart():
    secret = obj("Secret", "repo", "argocd")
    argocd = {"what": "Argo CD", "secrets": [secret]}
    unset = {"what": "Argo CD", "delete": [secret]}
    removed = {"what": "Argo CD", "state": "absent", "delete": [secret]}
    assert apply_plan([argocd], [], False)["secrets"] == [secret]
    assert apply_plan([argocd], [], False)["applied"] == []
    assert apply_plan([unset], [], False)["delete"] == [secret]
    assert apply_plan([removed], [], False)["delete"] == [secret]


@pytest.mark.parametrize("component, message", [
    ({"what": "Istio", "custom_resources": []}, r"\(Istio\): unknown keys \['custom_resources'\]"),
    ({"what": "Istio", "state": "gone"}, r"\(Istio\): state='gone' is not present or absent"),
    ({"releases": []}, r"apply_components\[0\] must be a dict with `what`"),
    ("Istio", r"apply_components\[0\] must be a dict with `what`"),
])
def test_a_malformed_component_fails_naming_it(component, message):
    with pytest.raises(AnsibleFilterError, match=message):
        apply_plan([component], [], False)
