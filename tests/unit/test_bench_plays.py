"""bench/callback_plugins/bench_plays.py: the marks bench/bench.py times the Kubernetes layer of site.yml with."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load():
    spec = importlib.util.spec_from_file_location("bench_plays", ROOT / "bench" / "callback_plugins" / "bench_plays.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Play:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


def test_marks_each_play_start_and_the_end(tmp_path, monkeypatch):
    marks = tmp_path / "plays.jsonl"
    monkeypatch.setenv("TRIPTRIP_BENCH_PLAYS", str(marks))
    callback = load().CallbackModule()
    for name in ("Validate the inventory before any change", "Build the cluster baseline", "Install the workloads"):
        callback.v2_playbook_on_play_start(Play(name))
    callback.v2_playbook_on_stats(None)
    lines = [json.loads(line) for line in marks.read_text().splitlines()]
    assert [line["play"] for line in lines] == ["Validate the inventory before any change", "Build the cluster baseline",
                                                "Install the workloads", None]
    times = [line["t"] for line in lines]
    assert times == sorted(times) and times[-1] - times[0] < 5


def test_writes_nothing_without_its_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("TRIPTRIP_BENCH_PLAYS", raising=False)
    monkeypatch.chdir(tmp_path)
    callback = load().CallbackModule()
    callback.v2_playbook_on_play_start(Play("Build the cluster baseline"))
    callback.v2_playbook_on_stats(None)
    assert list(tmp_path.iterdir()) == []


def test_the_bench_times_from_the_first_play_of_cluster_yml():
    import yaml

    plays = yaml.safe_load((ROOT / "playbooks" / "cluster.yml").read_text())
    source = (ROOT / "bench" / "bench.py").read_text()
    assert f'K8S_FIRST_PLAY = "{plays[0]["name"]}"' in source


def test_its_documentation_loads():
    import yaml

    doc = yaml.safe_load(load().DOCUMENTATION)
    assert doc["name"] == "bench_plays" and doc["type"] == "aggregate"
