"""playbooks/rollback.yml on the converged local platform, after the workload tests (it makes new revisions): the
API's Helm release and its Deployment go back to the previous or a named revision, well within the spec's 5-minute
target (7.3), and --check changes nothing."""

from __future__ import annotations

import json
import re

from conftest import recap

API = ["-e", "rollback_name=triptrip-api", "-e", "rollback_namespace=triptrip-api"]


def change_the_api(addons, marker: str) -> None:
    """A new revision of the API: one pod annotation more, through the workloads playbook as a user would."""
    extra = {"platform_workloads_overrides": {"api": {"values": {"podAnnotations": {"triptrip.io/rollout": marker}}}}}
    res = addons.playbook("--tags", "workloads", "-e", json.dumps(extra), playbook="playbooks/workloads.yml")
    assert res.returncode == 0, res.stdout[-4000:]


def helm_revision(addons) -> int:
    return int(addons.releases()["triptrip-api"]["revision"])


def pod_annotations(addons) -> dict:
    deployment = addons.get("deployment", "triptrip-api", "triptrip-api")
    return deployment["spec"]["template"]["metadata"].get("annotations") or {}


def seconds(output: str) -> float:
    found = re.search(r"revision \d+ -> \d+ in ([0-9.]+) s \(target 300 s\)", output)
    assert found, output[-3000:]
    return float(found.group(1))


def test_helm_release_rolls_back_to_the_previous_revision(addons):
    before = helm_revision(addons)
    change_the_api(addons, "one")
    assert helm_revision(addons) == before + 1
    assert pod_annotations(addons).get("triptrip.io/rollout") == "one"

    plan = addons.playbook("-e", "rollback_kind=helm", *API, "--check", playbook="playbooks/rollback.yml")
    assert plan.returncode == 0, plan.stdout[-4000:]
    assert f"revision {before + 1} -> {before} (planned, --check)" in plan.stdout
    assert helm_revision(addons) == before + 1

    res = addons.playbook("-e", "rollback_kind=helm", *API, playbook="playbooks/rollback.yml")
    assert res.returncode == 0, res.stdout[-4000:]
    assert recap(res.stdout)["failed"] == 0
    assert seconds(res.stdout) < 300
    assert helm_revision(addons) == before + 2
    assert addons.values("triptrip-api", "triptrip-api").get("podAnnotations", {}) == {}
    assert "triptrip.io/rollout" not in pod_annotations(addons)


def test_helm_release_rolls_back_to_a_named_revision_and_refuses_an_unknown_one(addons):
    current = helm_revision(addons)
    res = addons.playbook("-e", "rollback_kind=helm", *API, "-e", f"rollback_revision={current - 1}",
                          playbook="playbooks/rollback.yml")
    assert res.returncode == 0, res.stdout[-4000:]
    assert helm_revision(addons) == current + 1
    assert pod_annotations(addons).get("triptrip.io/rollout") == "one"  # revision current-1 had the annotation

    bad = addons.playbook("-e", "rollback_kind=helm", *API, "-e", "rollback_revision=999",
                          playbook="playbooks/rollback.yml")
    assert bad.returncode != 0
    assert "rollback_revision=999: release triptrip-api/triptrip-api has revisions" in bad.stdout
    assert helm_revision(addons) == current + 1


def test_a_deployment_rolls_back_to_the_previous_pod_template(addons):
    change_the_api(addons, "two")
    deployment = addons.get("deployment", "triptrip-api", "triptrip-api")
    revision = int(deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
    res = addons.playbook("-e", "rollback_kind=deployment", *API, playbook="playbooks/rollback.yml")
    assert res.returncode == 0, res.stdout[-4000:]
    assert seconds(res.stdout) < 300
    # kubectl rollout undo's result: the previous template (annotation "one") comes back as a new revision.
    assert pod_annotations(addons).get("triptrip.io/rollout") == "one"
    after = addons.get("deployment", "triptrip-api", "triptrip-api")
    assert int(after["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) == revision + 1


def test_bad_input_is_refused_before_any_change(addons):
    res = addons.playbook("-e", "rollback_kind=statefulset", *API, playbook="playbooks/rollback.yml")
    assert res.returncode != 0
    assert "rollback_kind=statefulset must be helm, deployment or control_plane" in res.stdout
    missing = addons.playbook("-e", "rollback_kind=deployment", "-e", "rollback_name=no-such-api",
                              "-e", "rollback_namespace=triptrip-api", playbook="playbooks/rollback.yml")
    assert missing.returncode != 0
    assert "rollback_name=no-such-api: no Deployment of that name in namespace triptrip-api" in missing.stdout


def test_a_workload_argo_cd_owns_is_rolled_back_in_git_not_here(addons):
    """With Argo CD as owner, self-heal would undo a rollback made here within minutes: refused, saying where to
    roll back (the manifests repository), before any change."""
    before = helm_revision(addons), pod_annotations(addons)
    for kind in ("helm", "deployment"):
        res = addons.playbook("-e", f"rollback_kind={kind}", *API, "-e", "platform_workloads_owner=argocd",
                              playbook="playbooks/rollback.yml")
        assert res.returncode != 0
        assert "triptrip-api in triptrip-api is deployed by Argo CD (platform_workloads_owner=argocd)" in res.stdout
        assert "https://github.com/triptrip/k8s-manifests.git" in res.stdout
        assert recap(res.stdout)["changed"] == 0
    assert (helm_revision(addons), pod_annotations(addons)) == before
