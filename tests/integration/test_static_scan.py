"""Static scans of every manifest the platform would send to production (issue #8, item 4).

playbooks/render.yml runs the cluster, add-on and workload plays on inventories/production with no cluster and no
AWS: each set of objects a role applies is written as YAML, and each workload chart of charts/ is rendered with
`helm template` and production's values. Then:
- checkov 3.3.30 (its own venv, scripts/setup) runs its Kubernetes checks on all of them. The gate is
  tests/scan/checkov-gate.yml: every check listed must pass on every object, except where the object itself carries
  a `checkov.io/skipN: "<id>=<reason>"` annotation (in its template, next to it) with a reason; each such exception
  is a row of the summary table. No check is skipped globally.
- yamllint, with tests/scan/rendered.yamllint (the rules that change meaning: duplicate keys, YAML 1.1 booleans
  and octals, syntax).
The upstream add-on charts are not rendered: only their release (chart, version, values) is written, since their
templates are their projects', pinned by version. The last tests show that the gate fails on a broken manifest.
ansible-lint covers the roles' sources (`make lint`); rendered manifests are not Ansible content."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from renders import documents, render
from summary import record

GATE = yaml.safe_load((Path(__file__).parents[1] / "scan" / "checkov-gate.yml").read_text(encoding="utf-8"))
# What the render must hold, at the least: the baseline's kinds and the workloads' (a render that lost one would
# pass the scan vacuously).
EXPECTED_KINDS = {"Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "ServiceAccount",
                  "RoleBinding", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PriorityClass", "RuntimeClass",
                  "Deployment", "StatefulSet", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                  "PeerAuthentication", "ScaledObject", "Application"}
MIN_REASON = 20


def run(cmd: list[str], env, cwd, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout)


def checkov(env, folder: Path) -> dict:
    """checkov's JSON report of the Kubernetes checks on a folder. --skip-download: no network (it would fetch
    Prisma Cloud's guidelines), the checks are all local."""
    res = run(["checkov", "--directory", str(folder), "--framework", "kubernetes", "--output", "json",
               "--skip-download", "--compact"], env, folder)
    # checkov exits 1 when a check fails; anything else is a crash.
    assert res.returncode in (0, 1), res.stderr[-3000:]
    report = json.loads(res.stdout)
    return report[0] if isinstance(report, list) else report


def gate_problems(report: dict, gate: dict) -> list[str]:
    """Why the report does not pass the gate: failed checks, parse errors, skips without a reason, checks that ran
    but are not in the gate, gated checks that never ran."""
    results = report.get("results", {})
    problems = [f"{c['check_id']} failed on {c['resource']} ({c['file_path']})" for c in results.get("failed_checks", [])]
    problems += [f"checkov could not parse {p}" for p in results.get("parsing_errors", [])]
    for c in results.get("skipped_checks", []):
        reason = (c.get("check_result") or {}).get("suppress_comment") or ""
        if len(reason.strip()) < MIN_REASON:
            problems.append(f"{c['check_id']} skipped on {c['resource']} without a reason ({reason!r})")
    ran = {c["check_id"] for key in ("passed_checks", "failed_checks", "skipped_checks") for c in results.get(key, [])}
    problems += [f"{cid} ran but is not in tests/scan/checkov-gate.yml" for cid in sorted(ran - set(gate["checks"]))]
    problems += [f"{cid} is gated but checked no object" for cid in sorted(set(gate["checks"]) - ran)]
    return problems


@pytest.fixture(scope="module")
def rendered(root, tool_env, tmp_path_factory) -> Path:
    return render(root, tool_env, tmp_path_factory, "production")


@pytest.fixture(scope="module")
def report(tool_env, rendered) -> dict:
    return checkov(tool_env, rendered)


def test_render_holds_every_layer(rendered):
    docs = documents(rendered)
    kinds = {d["kind"] for d in docs}
    releases = {p.name.removesuffix(".release.yaml") for p in rendered.glob("*.release.yaml")}
    manifests = {p.name.removesuffix(".manifest.yaml") for p in rendered.glob("*.manifest.yaml")}
    record("static scan", "render", "playbooks/render.yml on inventories/production",
           EXPECTED_KINDS <= kinds and manifests == {"triptrip-api", "redis-cluster", "triptrip-workers"},
           f"{len(docs)} objects of {len(kinds)} kinds; {len(releases)} releases, {len(manifests)} templated")
    assert EXPECTED_KINDS <= kinds, EXPECTED_KINDS - kinds
    assert manifests == {"triptrip-api", "redis-cluster", "triptrip-workers"}
    assert {"istiod", "argocd", "keda", "metrics-server"} <= releases
    # No Secret is written: the roles publish theirs as `secrets`, which roles/apply never renders and the charts take theirs from External Secrets.
    assert not [d for d in docs if d["kind"] == "Secret"]
    # Each object is complete enough to be applied: the namespaced ones name their namespace (a chart that left it
    # to `helm --namespace` would send them to `default` through kubectl).
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PriorityClass",
                      "RuntimeClass", "CustomResourceDefinition", "ClusterSecretStore"}
    assert not [f"{d['kind']}/{d['metadata']['name']}" for d in docs
                if d["kind"] not in cluster_scoped and not d["metadata"].get("namespace")]


def test_checkov_gate(report, rendered):
    problems = gate_problems(report, GATE)
    summary = report["summary"]
    assert summary["checkov_version"] == GATE["checkov_version"]
    skipped = report["results"].get("skipped_checks", [])
    for c in skipped:
        reason = c["check_result"].get("suppress_comment") or ""
        record("static scan exceptions", f"{c['check_id']} {c['resource']}", c["check_name"],
               len(reason.strip()) >= MIN_REASON, reason)
    record("static scan", "checkov", f"{len(GATE['checks'])} gated Kubernetes checks on {summary['resource_count']} objects",
           not problems, f"{summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped "
           f"with a reason next to the object" + (f"; {problems[:3]}" if problems else ""))
    assert not problems, "\n".join(problems)
    # checkov read every object that was rendered (a file it could not read would scan nothing).
    assert summary["resource_count"] >= len(documents(rendered)), summary


def test_rendered_yamllint(root, tool_env, rendered):
    res = run(["yamllint", "--strict", "-c", "tests/scan/rendered.yamllint", "-f", "parsable", str(rendered)],
              tool_env, root)
    files = len(list(rendered.glob("*.yaml")))
    record("static scan", "yamllint", f"tests/scan/rendered.yamllint on {files} rendered files", res.returncode == 0,
           res.stdout[:160] or "no problem")
    assert res.returncode == 0, res.stdout


def test_gate_fails_on_a_broken_manifest(root, tool_env, rendered, tmp_path):
    """The same gate on a copy with one Deployment made privileged and one exception without its reason: both are
    caught (a gate that cannot fail proves nothing)."""
    broken = tmp_path / "broken"
    shutil.copytree(rendered, broken)
    path = broken / "triptrip-api.manifest.yaml"
    docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    deployment = next(d for d in docs if d and d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    deployment["metadata"]["annotations"]["checkov.io/skip1"] = "CKV_K8S_40"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    problems = gate_problems(checkov(tool_env, broken), GATE)
    assert any(p.startswith("CKV_K8S_16 failed on Deployment.triptrip-api.triptrip-api") for p in problems), problems
    assert any(p.startswith("CKV_K8S_40 skipped on Deployment.triptrip-api.triptrip-api without a reason")
               for p in problems), problems

    # yamllint: `on` for a boolean and a key given twice.
    (broken / "the-namespaces-extra.yaml").write_text(
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  name: y\n  labels:\n    enabled: on\n",
        encoding="utf-8")
    res = run(["yamllint", "--strict", "-c", "tests/scan/rendered.yamllint", "-f", "parsable", str(broken)], tool_env, root)
    assert res.returncode != 0
    assert "key-duplicates" in res.stdout and "truthy" in res.stdout, res.stdout
