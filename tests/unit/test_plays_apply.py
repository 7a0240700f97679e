"""The baseline, add-on and workload roles only publish what they want (<role>_out); roles/apply sends it. A play that
runs such a role and no applier would change nothing and report success, so every play that runs a publishing
role must include triptrip.platform.apply, after it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def publishers() -> set[str]:
    """The roles whose tasks set <role>_out."""
    found = set()
    for role in (ROOT / "roles").iterdir():
        tasks = "\n".join(p.read_text(encoding="utf-8") for p in sorted((role / "tasks").glob("*.yml")))
        if re.search(rf"^\s+{role.name}_out:", tasks, re.M):
            found.add(role.name)
    return found


def play_text(play: dict, base: Path) -> str:
    """The play's sections in the order they run, each followed by the task files it imports
    (tasks/*.yml), as one text."""
    text = ""
    for section in ("pre_tasks", "roles", "tasks", "post_tasks"):
        part = yaml.safe_dump(play.get(section) or [], sort_keys=False)
        text += re.sub(r"(?:import|include)_tasks: ([\w/.-]+\.yml)\n", lambda m: m.group(0) + (
            (base / m.group(1)).read_text(encoding="utf-8") if (base / m.group(1)).exists() else ""), part)
    return text


def missing_applier(play: dict, base: Path, publishing: set[str]) -> list[str]:
    """The publishing roles a play runs without an applier after them."""
    text = play_text(play, base)
    used = [m.start() for m in re.finditer(r"triptrip\.platform\.apply\b", text)]
    late = []
    for role in publishing:
        # Another entry point (tasks_from: prune) publishes nothing.
        for m in re.finditer(rf"triptrip\.platform\.{role}\b(?!\s*\n\s*tasks_from:)", text):
            if not any(at > m.start() for at in used):
                late.append(role)
                break
    return sorted(late)


def test_the_publishing_roles_are_the_baseline_add_on_and_workload_roles():
    roles = publishers()
    assert {"k8s_namespaces", "k8s_quotas", "k8s_network_policies", "k8s_rbac", "k8s_scheduling", "workloads"} <= roles
    assert {r.name for r in (ROOT / "roles").glob("addon_*")} <= roles


def test_every_play_that_runs_a_publishing_role_applies_after_it():
    publishing = publishers()
    offenders = {}
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(play, dict) and "hosts" in play:
                late = missing_applier(play, path.parent, publishing)
                if late:
                    offenders[f"{path.name}: {play.get('name')}"] = late
    assert not offenders, offenders


def test_a_play_without_its_applier_is_caught():
    play = {"name": "Add-ons", "hosts": "clusters",
            "roles": [{"role": "triptrip.platform.addon_keda"}],
            "post_tasks": [{"name": "Report", "ansible.builtin.debug": {"msg": "done"}}]}
    assert missing_applier(play, ROOT / "playbooks", publishers()) == ["addon_keda"]
    # An applier before the role does not count: it ran before anything was published.
    play["pre_tasks"] = [{"ansible.builtin.include_role": {"name": "triptrip.platform.apply"}}]
    play = {"pre_tasks": play.pop("pre_tasks"), **play}
    assert missing_applier(play, ROOT / "playbooks", publishers()) == ["addon_keda"]
    play["post_tasks"].append({"ansible.builtin.include_role": {"name": "triptrip.platform.apply"}})
    assert missing_applier(play, ROOT / "playbooks", publishers()) == []
