"""One owner per workload on the converged local platform (playbooks/workloads.yml, issue #24): handing the workloads
from Helm to Argo CD bootstraps one Application each, with the inventory's values, and drops Helm's release records
while every running object stays (same UIDs); a second run changes nothing; handing them back deletes the
Applications (their resources-finalizer dropped first, so nothing is cascaded) and Helm takes the objects over.
The local Argo CD is a test double with no controller, so nothing syncs here: what Argo CD would deploy is proven
over the render (tests/integration/test_workload_owner.py)."""

from __future__ import annotations

import json

from conftest import recap

WORKLOADS = {"triptrip-api": "triptrip-api", "redis-cluster": "triptrip-cache", "triptrip-workers": "triptrip-workers"}
WORKLOADS_PLAY = "playbooks/workloads.yml"


def controllers(addons) -> dict[str, str]:
    """UIDs of the workloads' Deployments and StatefulSets, and of their Services."""
    found = {}
    for namespace in sorted(set(WORKLOADS.values())):
        res = addons.kubectl("get", "deployments,statefulsets,services", "-n", namespace, "-o", "json")
        assert res.returncode == 0, res.stderr
        for item in json.loads(res.stdout)["items"]:
            found[f"{namespace}/{item['kind']}/{item['metadata']['name']}"] = item["metadata"]["uid"]
    return found


def helm_records(addons) -> set[str]:
    res = addons.kubectl("get", "secrets", "-A", "-l", "owner=helm", "-o", "json")
    assert res.returncode == 0, res.stderr
    return {i["metadata"]["labels"]["name"] for i in json.loads(res.stdout)["items"]} & set(WORKLOADS)


def test_handing_the_workloads_to_argo_cd_and_back_keeps_every_object(addons):
    before = controllers(addons)
    assert len(before) >= 5 and helm_records(addons) == set(WORKLOADS)

    res = addons.playbook("-e", "platform_workloads_owner=argocd", playbook=WORKLOADS_PLAY)
    assert res.returncode == 0, res.stdout[-4000:]
    for release, namespace in WORKLOADS.items():
        app = addons.get("application", release, "argocd")
        assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": namespace}
        assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    api = addons.get("application", "triptrip-api", "argocd")["spec"]["source"]["helm"]
    assert api["valuesObject"]["versionLabel"] == "stable"
    assert api["valuesObject"]["serviceAccount"] == {"create": False, "name": "triptrip-api"}
    assert api["valueFiles"] == ["values.yaml", "values-production.yaml"] and "parameters" not in api
    assert helm_records(addons) == set(), "Helm still records a workload Argo CD owns"
    assert not set(WORKLOADS) & set(addons.releases())
    assert controllers(addons) == before, "an object was deleted or recreated"

    again = addons.playbook("-e", "platform_workloads_owner=argocd", playbook=WORKLOADS_PLAY)
    assert again.returncode == 0 and recap(again.stdout)["changed"] == 0, again.stdout[-4000:]

    back = addons.playbook(playbook=WORKLOADS_PLAY)  # the local inventory's owner: helm
    assert back.returncode == 0, back.stdout[-4000:]
    for release in WORKLOADS:
        assert not addons.exists("application", release, "argocd"), release
    releases = addons.releases()
    assert {r: releases[r]["status"] for r in WORKLOADS} == dict.fromkeys(WORKLOADS, "deployed")
    assert controllers(addons) == before, "an object was deleted or recreated"

    settled = addons.playbook(playbook=WORKLOADS_PLAY)
    assert settled.returncode == 0 and recap(settled.stdout)["changed"] == 0, settled.stdout[-4000:]


def test_argocd_as_owner_without_argo_cd_fails_before_any_change(addons):
    before = controllers(addons)
    res = addons.playbook("-e", "platform_workloads_owner=argocd", "-e",
                          json.dumps({"addon_argocd_enabled": False}),
                          playbook=WORKLOADS_PLAY)
    assert res.returncode != 0
    assert "platform_workloads_owner=\"argocd\" must be helm or argocd, and argocd only while Argo CD runs" in res.stdout
    assert controllers(addons) == before
    res = addons.playbook("-e", "platform_workloads_owner=flux", playbook=WORKLOADS_PLAY)
    assert res.returncode != 0 and "platform_workloads_owner=\"flux\"" in res.stdout
