"""Shared defaults (group_vars/all) reach plays that live outside the repo root, below the inventory."""

from __future__ import annotations

import json
import re
import subprocess


def effective(root, tool_env, inventory):
    res = subprocess.run(
        ["ansible-playbook", str(root / "tests/fixtures/playbooks/show_vars.yml"), "-i", str(root / inventory)],
        capture_output=True, text=True, env=tool_env, cwd=root, check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(re.search(r'"SHOWVARS (.*)"', res.stdout).group(1).replace('\\"', '"'))


def test_local_inventory_overrides_and_shared_defaults_arrive(root, tool_env):
    got = effective(root, tool_env, "inventories/local")
    assert got["environment"] == "local"  # from the inventory
    assert got["cluster"] == "triptrip-local"  # shared default templated with the inventory's value
    assert got["region"] == "ap-northeast-1"  # shared default only
    assert got["eks"] == "1.35"
    # node groups: the inventory's size overrides merge into the shared spec without dropping its other keys
    assert got["groups"]["general"]["scaling"] == {"min_size": 3, "max_size": 6, "desired_size": 3}
    assert got["groups"]["general"]["instance_types"][0] == "m5.xlarge"
    assert got["groups"]["spot"]["taints"] == [{"key": "spot", "value": "true", "effect": "NoSchedule"}]
    assert set(got["groups"]) == {"general", "compute", "memory", "spot", "gpu"}
