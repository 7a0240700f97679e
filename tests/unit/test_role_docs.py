"""Every role's README is what scripts/role-docs writes from its argument specs and its defaults, and the argument
specs do not restate defaults (defaults/main.yml is their one place)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import yaml


def run(root, *args):
    return subprocess.run([sys.executable, str(root / "scripts/role-docs"), *args], capture_output=True, text=True,
                          check=False)


def test_every_role_readme_is_current(root):
    res = run(root, "--check")
    assert res.returncode == 0, res.stderr


def test_a_changed_default_makes_the_readme_stale(root, tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(root / "roles" / "addon_keda", copy / "roles" / "addon_keda")
    shutil.copytree(root / "scripts", copy / "scripts")
    assert run(copy, "--check").returncode == 0
    defaults = copy / "roles/addon_keda/defaults/main.yml"
    defaults.write_text(defaults.read_text().replace("addon_keda_namespace: keda", "addon_keda_namespace: scaling"))
    res = run(copy, "--check")
    assert res.returncode == 1 and "roles/addon_keda/README.md" in res.stderr, res.stderr
    assert run(copy).returncode == 0
    assert "`\"scaling\"`" in (copy / "roles/addon_keda/README.md").read_text()


def restated(root):
    """The role inputs whose argument spec gives a default: "<role> <entry point> <input>"."""
    found = []
    for spec in sorted(root.glob("roles/*/meta/argument_specs.yml")):
        for entry, body in yaml.safe_load(spec.read_text())["argument_specs"].items():
            found += [f"{spec.parent.parent.name} {entry} {name}" for name, option in
                      (body.get("options") or {}).items() if "default" in option]
    return found


def test_argument_specs_do_not_restate_the_defaults(root):
    found = restated(root)
    assert found == [], "a role's defaults live in its defaults/main.yml only: " + ", ".join(found)


def test_a_restated_default_is_found(root, tmp_path):
    """The check above bites: a spec that gives a default is listed."""
    spec = tmp_path / "roles/example/meta/argument_specs.yml"
    spec.parent.mkdir(parents=True)
    spec.write_text("argument_specs:\n  main:\n    options:\n      example_size: {type: int, default: 3}\n")
    assert restated(tmp_path) == ["example main example_size"]
