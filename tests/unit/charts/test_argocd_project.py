"""Argo CD syncs what the charts hold: every kind each workload's chart renders (with each of its values files; Helm's
test hooks aside) is one the AppProject `triptrip` allows, or Argo CD refuses the sync ("resource ... is not permitted
in project"). The project's lists are read from roles/addon_argocd/defaults/main.yml, the workloads (one Application each
when Argo CD owns them) from group_vars/all/workloads.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from chartlib import VALUES_FILES, helm_runner, renderer

ROOT = Path(__file__).resolve().parents[3]
GROUP_VARS = ROOT / "group_vars/all"
PROJECT = yaml.safe_load((ROOT / "roles/addon_argocd/defaults/main.yml").read_text())["addon_argocd_project"]
SERVICES = [{"service": w["release"], "path": f"charts/{w['chart']}", "namespace": w["namespace"]}
            for w in yaml.safe_load((GROUP_VARS / "workloads.yml").read_text())["platform_workloads_base"].values()]


def allowed(whitelist):
    return {(entry["group"], entry["kind"]) for entry in whitelist}


@pytest.mark.parametrize("service", SERVICES, ids=[s["service"] for s in SERVICES])
def test_the_project_allows_every_kind_the_chart_renders(root, tool_env, service):
    render = renderer(helm_runner(root, tool_env), service["path"], service["service"], service["namespace"])
    namespaced = allowed(PROJECT["namespace_resource_whitelist"])
    cluster = allowed(PROJECT["cluster_resource_whitelist"])
    for values in VALUES_FILES:
        if not (root / service["path"] / values).exists():
            continue
        # Helm's test hooks are not synced: Argo CD ignores the hooks it does not support
        # (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#helm-hooks).
        kinds = {(d["apiVersion"].rpartition("/")[0], d["kind"]) for d in render(values)
                 if "test" not in d["metadata"].get("annotations", {}).get("helm.sh/hook", "")}
        refused = sorted(k for k in kinds if k not in namespaced and k not in cluster)
        assert refused == [], f"{service['path']} with {values}: the AppProject refuses {refused}"
