"""playbooks/scaling_timeline.yml: the API's scaling timeline is computed from the HorizontalPodAutoscaler that
helm renders with the environment's values (no cluster needed), and follows a changed policy."""

from __future__ import annotations

import json
import subprocess

import pytest


def timeline(root, tool_env, tmp_path, environment, *extra):
    run = subprocess.run(["ansible-playbook", "playbooks/scaling_timeline.yml", "-i", f"inventories/{environment}",
                          "-e", f"timeline_report_dir={tmp_path}", *extra],
                         env=tool_env, cwd=root, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return json.loads((tmp_path / "timeline.json").read_text()), (tmp_path / "timeline.md").read_text()


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_the_timeline_reads_the_rendered_hpa(root, tool_env, tmp_path, environment):
    result, markdown = timeline(root, tool_env, tmp_path, environment)
    assert result["min_replicas"] < result["max_replicas"]
    assert result["scale_up"]["steps"][0]["replicas"] == result["min_replicas"]
    assert result["scale_up"]["steps"][-1]["replicas"] == result["max_replicas"]
    assert result["scale_down"]["steps"][-1]["replicas"] == result["min_replicas"]
    assert str(result["scale_up"]["seconds_to_max_ready"]) in markdown


def test_a_changed_policy_changes_the_timeline(root, tool_env, tmp_path):
    (tmp_path / "before").mkdir()
    before, _markdown = timeline(root, tool_env, tmp_path / "before", "production")
    faster = {"api": {"values": {"autoscaling": {"behavior": {"scaleUp": {
        "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 100, "periodSeconds": 15}]}}}}}}
    (tmp_path / "after").mkdir()
    after, _markdown = timeline(root, tool_env, tmp_path / "after", "production",
                                "-e", json.dumps({"platform_workloads_overrides": faster}))
    assert after["scale_up"]["seconds_to_max_replicas"] < before["scale_up"]["seconds_to_max_replicas"]
    assert after["scale_down"] == before["scale_down"]
