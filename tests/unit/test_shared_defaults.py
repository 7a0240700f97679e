"""Shared defaults (group_vars/all) reach plays that live outside the repo root, below the inventory."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml


_EFFECTIVE: dict[str, dict] = {}


def effective(root, tool_env, inventory):
    """The effective platform settings of an inventory, as a play in a subfolder sees them (one run each)."""
    if inventory not in _EFFECTIVE:
        _EFFECTIVE[inventory] = _run_show_vars(root, tool_env, inventory)
    return _EFFECTIVE[inventory]


def _run_show_vars(root, tool_env, inventory):
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


QUANTITY_SUFFIX = {"m": 1e-3, "": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(text):
    number, suffix = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text).groups()
    return float(number) * QUANTITY_SUFFIX[suffix]


@pytest.mark.parametrize("env", ["staging", "development"])
def test_staging_and_development_quotas_are_smaller_than_production_for_every_namespace(root, tool_env, env):
    production = effective(root, tool_env, "inventories/production")
    smaller = effective(root, tool_env, f"inventories/{env}")
    assert production["environment"] == "production" and smaller["environment"] == env
    assert sorted(smaller["quotas"]) == sorted(production["quotas"])
    for namespace, hard in production["quotas"].items():
        assert sorted(smaller["quotas"][namespace]) == sorted(hard), namespace
        for resource, limit in hard.items():
            assert quantity(smaller["quotas"][namespace][resource]) < quantity(limit), (namespace, resource)


@pytest.mark.parametrize("env", ["production", "staging", "development", "dr", "local"])
def test_every_inventory_passes_preflight_and_spans_three_zones(root, tool_env, env):
    got = effective(root, tool_env, f"inventories/{env}")
    assert got["environment"] == env
    assert len({s["az"] for s in got["subnets"]}) == 3
    assert all(s["az"].startswith(got["region"]) for s in got["subnets"])


MERGED = ["platform_ecr_repositories", "platform_eks_addons", "platform_irsa_roles", "platform_node_groups",
          "platform_resource_quotas", "platform_workloads"]


def test_the_platform_role_merges_each_setting_as_group_vars_defines_it(root):
    """roles/platform/tasks/settle.yml merges <name>_base and <name>_overrides once per run, with the formula of
    group_vars/all (it cannot reference <name> itself: after the first merge that is the fact it sets)."""
    defined = {}
    for path in (root / "group_vars" / "all").glob("*.yml"):
        defined.update({k: v for k, v in (yaml.safe_load(path.read_text()) or {}).items() if k in MERGED})
    settle = yaml.safe_load((root / "roles" / "platform" / "tasks" / "settle.yml").read_text())
    merged = next(t["ansible.builtin.set_fact"] for t in settle if "ansible.builtin.set_fact" in t)
    assert sorted(defined) == sorted(MERGED)
    for name in MERGED:
        assert " ".join(defined[name].split()) == f"{{{{ {name}_base | combine({name}_overrides, recursive=True) }}}}", name
        assert merged[name] == defined[name], name
    # The add-ons' view of their variables, once per run too.
    addons = yaml.safe_load((root / "group_vars" / "all" / "addons.yml").read_text())["platform_addons"]
    assert merged["platform_addons"] == addons == "{{ lookup('triptrip.platform.addon_settings') }}"
    # The only other merged-style settings of group_vars/all are listed above: a new one is merged too, or said why not.
    combined = {k for p in (root / "group_vars" / "all").glob("*.yml")
                for k, v in (yaml.safe_load(p.read_text()) or {}).items()
                if isinstance(v, str) and "_base | combine(" in v and "_overrides" in v}
    assert combined == set(MERGED)


def test_the_platform_role_links_every_shared_defaults_file(root):
    """roles/platform/defaults/main holds one link per file of group_vars/all (a link to the folder would fail
    ansible-test's symlinks test): a file without its link would be missing from every play below playbooks/. The
    add-ons' settings are not linked: they live in their roles, and the plays read them through platform_addons."""
    targets = {p.name: p for p in (root / "group_vars/all").iterdir()}
    links = root / "roles/platform/defaults/main"
    assert sorted(p.name for p in links.iterdir()) == sorted(targets)
    for name, target in targets.items():
        assert (links / name).is_symlink() and (links / name).resolve() == target.resolve(), name


def addon_variables(root):
    names = set()
    for defaults in (root / "roles").glob("addon_*/defaults/main.yml"):
        names |= set(yaml.safe_load(defaults.read_text()) or {})
    return names


def direct_reads(text, names):
    """Add-on variables a file reads by their own name: not a key it sets (`name:`), not an attribute (`.name`), not
    in a comment."""
    found = []
    for line in text.splitlines():
        code = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
        for match in re.finditer(r"(?<![.\w'\"])(addon_[a-z0-9_]+)\b(?!\s*:)", code):
            if match.group(1) in names:
                found.append(match.group(1))
    return found


def test_only_an_add_on_role_reads_its_variables_by_name(root):
    """An add-on's defaults are visible only where its role is imported (playbooks/addons.yml, upgrade.yml's
    autoscaler); every other play reads the add-ons through platform_addons (the addon_settings lookup, which falls
    back to the roles' defaults). A direct read elsewhere would be undefined, or silently the inventory's only."""
    names = addon_variables(root)
    assert "addon_argocd_repo_url" in names
    files = [p for folder in ("playbooks", "group_vars", "roles") for p in (root / folder).rglob("*")
             if p.suffix in (".yml", ".j2") and p.is_file() and not p.is_symlink()
             and not p.relative_to(root).as_posix().startswith("roles/addon_")]
    reads = {p.relative_to(root).as_posix(): direct_reads(p.read_text(), names) for p in files}
    assert {path: found for path, found in reads.items() if found} == {}
    # It bites: a play that reads one as before.
    assert direct_reads('      when: addon_argocd_enabled | bool', names) == ["addon_argocd_enabled"]
    assert direct_reads('    addon_argocd_replicas: "{{ x.addon_argocd_replicas }}"  # addon_argocd_enabled', names) == []
