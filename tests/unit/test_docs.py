"""ansible-doc renders every module, filter and lookup of the collection (DOCUMENTATION, EXAMPLES, RETURN)."""

from __future__ import annotations

import json
import subprocess

import pytest


def plugins(root, kind):
    # One plugin per file, named as the file, so ansible-doc finds its DOCUMENTATION.
    folder = {"module": "modules", "filter": "filter", "lookup": "lookup"}[kind]
    return sorted(p.stem for p in (root / "plugins" / folder).glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("kind", ["module", "filter", "lookup"])
def test_ansible_doc_renders_every_plugin(root, tool_env, kind):
    names = plugins(root, kind)
    assert names
    for name in names:
        res = subprocess.run(
            ["ansible-doc", "-t", kind, "--json", f"triptrip.platform.{name}"],
            capture_output=True, text=True, env=tool_env, cwd=root, check=False,
        )
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)[f"triptrip.platform.{name}"]
        assert doc["doc"]["short_description"], name
        assert doc["examples"].strip(), f"{name} has no EXAMPLES"
        assert doc["return"], f"{name} has no RETURN"
