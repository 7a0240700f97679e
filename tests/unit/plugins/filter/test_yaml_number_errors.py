"""yaml_number_errors: unquoted scalars that YAML 1.1 reads as octal or base-60 numbers are found at the source, in
the files Ansible loads for the host, naming the file, line, variable path, the value read and what was meant; quoted
ones, block scalars and the shipped inventories pass."""

from __future__ import annotations

import textwrap

import pytest

from ansible_collections.triptrip.platform.plugins.filter import yaml_number_errors as plugin
from ansible_collections.triptrip.platform.plugins.filter.yaml_number_errors import yaml_number_errors

INVENTORIES = {"production": "triptrip-production", "staging": "triptrip-staging", "development": "triptrip-dev",
               "dr": "triptrip-dr", "local": "triptrip-local"}


def inventory(tmp_path, text, where="group_vars/all/main.yml"):
    path = tmp_path / "inventory" / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return tmp_path / "inventory"


@pytest.mark.parametrize("environment", sorted(INVENTORIES))
def test_the_shipped_inventories_and_defaults_pass(root, environment):
    sources = [str(root / "inventories" / environment / "hosts.yml"), str(root / "playbooks")]
    assert yaml_number_errors(sources, host=INVENTORIES[environment], groups=["clusters"],
                              paths=[str(root / "roles/platform/defaults/main")]) == []


def test_octal_and_base_60_numbers_are_refused_with_the_value_read(tmp_path):
    folder = inventory(tmp_path, """\
        ---
        platform_node_groups_overrides:
          general:
            disk: {size_gb: 0200}
        addon_istio_traffic:
          service: triptrip-api
          timeout: 1:30
        platform_eks_api_allowed_cidrs: [10.0.0.0/16, 1:30:00]
        file_mode: 0o644
        """)
    got = yaml_number_errors([str(folder)])
    where = f"{folder}/group_vars/all/main.yml"
    assert got == [
        f"{where}:4: platform_node_groups_overrides.general.disk.size_gb: 0200 is read as 128 (YAML 1.1 reads a leading 0 "
        "as octal): write 200 if you meant 200, or quote it (\"0200\") to keep the text",
        f"{where}:7: addon_istio_traffic.timeout: 1:30 is read as 90 (YAML 1.1 reads numbers joined by "
        "colons as one base-60 number): quote it (\"1:30\") if you meant the text, such as a time or a duration, or write 90",
        f"{where}:8: platform_eks_api_allowed_cidrs[1]: 1:30:00 is read as 5400 (YAML 1.1 reads numbers joined by colons as "
        "one base-60 number): quote it (\"1:30:00\") if you meant the text, such as a time or a duration, or write 5400",
        f"{where}:9: file_mode: 0o644 is read as the string \"0o644\" (YAML 1.1 has no 0o prefix; YAML 1.2 reads 420): "
        "write 420 for the number, or quote it (\"0o644\") to make the string plain",
    ]


def test_quoted_block_tagged_and_ordinary_scalars_pass(tmp_path):
    folder = inventory(tmp_path, """\
        ---
        a: "0200"
        b: '1:30'
        c: !!str 0755
        d: |
          0200
        e: 200
        f: 0:30
        g: 10.0.0.0/16
        h: triptrip:platform-admins
        i: 0
        j: "{{ x }}"
        0644: key
        """)
    assert yaml_number_errors([str(folder)]) == []


def test_only_the_hosts_own_groups_and_host_vars_are_read(tmp_path):
    folder = inventory(tmp_path, "---\nsize: 0200\n", where="host_vars/other-host.yml")
    inventory(tmp_path, "---\nsize: 0300\n", where="group_vars/other-group/x.yaml")
    inventory(tmp_path, "---\nsize: 0400\n", where="group_vars/clusters/x.yml")
    inventory(tmp_path, "---\nsize: 0500\n", where="host_vars/this-host")
    inventory(tmp_path, "---\nsize: 0600\n", where="group_vars/clusters/.hidden.yml")
    got = yaml_number_errors([str(folder / "hosts.yml")], host="this-host", groups=["clusters"])
    assert [message.split(": ")[2].split(" (")[0] for message in got] == ["0400 is read as 256", "0500 is read as 320"]
    assert got[0].startswith(f"{folder}/group_vars/clusters/x.yml:2: size: ")
    assert got[1].startswith(f"{folder}/host_vars/this-host:2: size: ")


def test_unreadable_broken_and_vaulted_files_are_skipped(tmp_path):
    folder = inventory(tmp_path, "---\na: [unclosed\n")
    inventory(tmp_path, "$ANSIBLE_VAULT;1.1;AES256\n0200\n", where="group_vars/all/vault.yml")
    assert yaml_number_errors([str(folder), str(tmp_path / "missing")]) == []


def test_extra_vars_files_and_inline_yaml_are_read(tmp_path, monkeypatch):
    extra = tmp_path / "extra.yml"
    extra.write_text("---\nplatform_addons_helm_timeout: 0600\n")
    monkeypatch.setattr(plugin.context, "CLIARGS", {"extra_vars": (f"@{extra}", '{"replicas": 010}', "size=0200")})
    got = yaml_number_errors([], extra_vars=True)
    assert len(got) == 2, got
    assert got[0].startswith(f"{extra}:2: platform_addons_helm_timeout: 0600 is read as 384") and got[0].endswith("(an -e @file)")
    assert got[1].startswith("-e:1: replicas: 010 is read as 8")
    assert yaml_number_errors([], extra_vars=False) == []


def test_a_key_set_twice_in_one_mapping_is_refused_where_it_is_set_again(tmp_path):
    # Issue #26: YAML keeps the last value of a duplicated key, and Ansible only warns.
    folder = inventory(tmp_path, """\
        ---
        platform_node_groups_overrides:
          general:
            scaling: {min_size: 3, max_size: 10}
          general:
            disk: {size_gb: 200}
        defaults: &defaults {a: 1}
        merged:
          <<: *defaults
          <<: {b: 2}
        """)
    where = f"{folder}/group_vars/all/main.yml"
    assert yaml_number_errors([str(folder)]) == [
        f"{where}:5: platform_node_groups_overrides.general: is set twice in one mapping (lines 3 and 5); YAML keeps the "
        "last silently: keep one"]


def test_a_pattern_among_the_paths_reads_every_file_it_matches(tmp_path):
    # The preflight passes roles/addon_*/defaults/main.yml: ansible.builtin.fileglob globs file names only, so the
    # add-on roles' defaults were never read until the filter took the pattern itself.
    for role, text in (("addon_a", "addon_a_mode: 0644\n"), ("addon_b", "addon_b_every: 1:30\n"), ("other", "x: 0755\n")):
        (tmp_path / role / "defaults").mkdir(parents=True)
        (tmp_path / role / "defaults" / "main.yml").write_text(text)
    errors = yaml_number_errors([], paths=[str(tmp_path / "addon_*" / "defaults" / "main.yml")])
    assert len(errors) == 2 and "addon_a_mode" in errors[0] and "addon_b_every" in errors[1], errors
    assert yaml_number_errors([], paths=[str(tmp_path / "nothing_*" / "main.yml")]) == []


def test_the_preflight_reads_every_add_on_roles_defaults(root):
    pattern = str(root / "roles" / "addon_*" / "defaults" / "main.yml")
    assert len(plugin.glob.glob(pattern)) >= 12
    assert yaml_number_errors([], paths=[pattern]) == []
