# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""triptrip.platform.addon_settings: every add-on's settings, read from its role's variables as the host has them.

An add-on's settings live in one place, its role's defaults/main.yml, one variable per setting (addon_<name>_<key>),
and an inventory sets those variables directly. The plays' readers that take every add-on at once (the network flows,
preflight, verify, destroy) read them through this lookup, in the shape of platform_addons: {name: {key: value}}."""

from __future__ import annotations

DOCUMENTATION = r"""
name: addon_settings
author: TripTrip Platform Team (@triptrip)
short_description: The add-ons' settings from their roles' variables, one mapping per add-on
version_added: 0.2.0
description:
  - An add-on keeps its settings in its role, C(roles/addon_<name>/defaults/main.yml), one variable per setting
    (C(addon_<name>_enabled), C(addon_<name>_version), ...); an inventory sets those variables directly. Which
    add-ons do is read from the roles, never listed (every role C(addon_<name>) whose defaults set
    C(addon_<name>_enabled)).
  - Returns one mapping of the add-ons by name, each a mapping of its settings by key (the variable's name without
    C(addon_<name>_)) to the value the host has (the inventory's, else the role's default), for the readers that take
    every add-on at once.
  - With O(schema=true), returns the input of the C(triptrip.platform.settings_errors) filter instead, one entry per
    add-on, C(platform_addons.<name>), with C(base) (the role's defaults, rendered as the play renders them), C(overrides) (every variable of the host
    named C(addon_<name>_*), so that a misspelt one is there to be refused) and C(prefix) (C(addon_<name>_)).
options:
  schema:
    description: Return the input of settings_errors instead of the settings.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Every add-on's namespace
  ansible.builtin.debug:
    msg: "{{ lookup('triptrip.platform.addon_settings') | dict2items | map(attribute='value.namespace') }}"

- name: Refuse misspelt and wrongly typed add-on settings
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ lookup('triptrip.platform.addon_settings', schema=true) | triptrip.platform.settings_errors }}"
"""

RETURN = r"""
_raw:
  description: One mapping, by add-on name (the role's name without C(addon_)).
  type: list
  elements: dict
"""

import functools
from collections import ChainMap
from pathlib import Path

import yaml
from ansible.plugins.lookup import LookupBase
from ansible.template import trust_as_template

ROLES = Path(__file__).resolve().parents[2] / "roles"


@functools.lru_cache(maxsize=None)
def role_settings(roles: Path = ROLES) -> dict:
    """{name: {key: default}} of every add-on role whose defaults set addon_<name>_enabled, keys without the prefix."""
    found = {}
    for role in sorted(roles.glob("addon_*")):
        name, path = role.name[len("addon_"):], role / "defaults" / "main.yml"
        prefix = f"addon_{name}_"
        defaults = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
        if isinstance(defaults, dict) and f"{prefix}enabled" in defaults:
            found[name] = {key[len(prefix):]: value for key, value in defaults.items() if key.startswith(prefix)}
    return found


@functools.lru_cache(maxsize=None)
def role_wiring(name: str, roles: Path = ROLES) -> frozenset:
    """The names of the role's vars/main.yml: what the platform gives the role (an IRSA role's ARN), not settings."""
    path = roles / f"addon_{name}" / "vars" / "main.yml"
    return frozenset(yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else frozenset()


def host_names(name: str, variables, wiring=frozenset()) -> list[str]:
    """The host's variables named addon_<name>_*, but the role's published result (addon_<name>_out) and what the
    platform gives the role (its vars/main.yml, visible where the play imports the role)."""
    prefix = f"addon_{name}_"
    return sorted(v for v in variables if v.startswith(prefix) and v != f"{prefix}out" and v not in wiring)


def trusted(value):
    """The role's defaults as Ansible reads them: its own files, whose templates it renders (yaml.safe_load's strings
    are untrusted, and left as they are)."""
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return trust_as_template(value) if isinstance(value, str) else value


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        schema = self.get_option("schema")
        result = {}
        settings = role_settings()
        templar = self._templar
        known = variables
        if any(f"addon_{name}_{key}" not in variables for name, keys in settings.items() for key in keys):
            # A play that does not import the add-on roles (every play but playbooks/addons.yml) sees the inventory's
            # addon_* variables but not the roles' defaults: the defaults fill in under them, as they would in a role.
            fallback = {f"addon_{name}_{key}": trusted(value) for name, keys in settings.items() for key, value in keys.items()}
            known = ChainMap(variables, fallback)
            templar = self._templar.copy_with_new_env(available_variables=known)
        for name, defaults in settings.items():
            prefix = f"addon_{name}_"
            # The schema's overrides are what the host sets (so that a misspelt name is there); the settings, every key.
            names = host_names(name, variables, role_wiring(name)) if schema else [prefix + key for key in defaults]
            values = {n[len(prefix):]: templar.template(known[n]) for n in names}
            # A default may be a template of the platform's settings (Argo CD's destination namespaces): the check holds
            # a variable to what its default renders to, as the play would see it.
            result[f"platform_addons.{name}" if schema else name] = (
                {"base": templar.template(trusted(defaults)), "overrides": values, "prefix": prefix} if schema else values)
        return [result]
