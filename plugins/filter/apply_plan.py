# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""What the applier (roles/apply) does with the components the roles of a play published."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
---
name: apply_plan
short_description: Plan what roles/apply installs, applies and removes for a play's components
version_added: 0.1.0
description:
  - Each baseline, add-on and workload role publishes one component (C(<role>_out)) with what it is, its state, its
    Helm releases and its objects. This filter turns the play's components into the applier's plan, in the play's
    order.
  - Components with C(state=absent) are removed in reverse order (a later component may depend on an earlier one);
    one with neither releases nor objects is left out.
  - The releases of the present components become chains for P(triptrip.platform.helm_release_waves#filter), one
    chain per component in list order (C(in_order)), or one chain per release when they are independent; each release
    carries its component's helm settings and stage.
  - The objects of the present components are grouped by field manager (one server-side apply each), in the order
    they came. In check mode, a component with a release not deployed yet has its objects only planned (their CRDs
    come with that release).
  - Unknown component keys fail, naming the component and the key.
positional: _input, deployed, check_mode
options:
  _input:
    description: The components, in the order of the play's roles.
    type: list
    elements: dict
    required: true
  deployed:
    description: The deployed releases as C(namespace/name) strings.
    type: list
    elements: str
    required: true
  check_mode:
    description: Whether the run is a C(--check) run.
    type: bool
    required: true
"""

EXAMPLES = r"""
- name: Plan the play's apply
  ansible.builtin.set_fact:
    plan: "{{ [addon_istio_out, addon_keda_out] | triptrip.platform.apply_plan(['istio-system/istio-base'], ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    absent:
      description: Components to remove, in removal order, with every key set.
      type: list
      elements: dict
    chains:
      description: Chains of releases to install or upgrade, each release with C(what), C(stage) and C(helm).
      type: list
      elements: list
    applied:
      description: One C({field_manager, objects}) per field manager, in first-seen order.
      type: list
      elements: dict
    planned:
      description: Check mode only, C({what, undeployed, objects}) per component whose objects wait for a release.
      type: list
      elements: dict
    secrets:
      description: Objects applied with their values hidden (never rendered).
      type: list
      elements: dict
    delete:
      description: Objects to delete where they exist (of any component, present or absent).
      type: list
      elements: dict
"""

DEFAULTS = {
    "state": "present",
    "releases": [],
    "objects": [],
    "secrets": [],
    "delete": [],
    "in_order": True,
    "stage": 0,
    "wait": True,
    "timeout": 600,
    "history_max": 10,
    "take_ownership": False,
    "remove_finalizers": True,
    "field_manager": "triptrip-platform",
}


def _component(raw, index):
    if not isinstance(raw, dict) or not raw.get("what"):
        raise AnsibleFilterError(f"apply_components[{index}] must be a dict with `what`, got {raw!r:.200}")
    unknown = sorted(set(raw) - set(DEFAULTS) - {"what"})
    if unknown:
        raise AnsibleFilterError(f"apply_components[{index}] ({raw['what']}): unknown keys {unknown}; known: {sorted(DEFAULTS)}")
    component = {**DEFAULTS, **raw}
    if component["state"] not in ("present", "absent"):
        raise AnsibleFilterError(f"apply_components[{index}] ({raw['what']}): state={component['state']!r} is not present or absent")
    return component


def apply_plan(components, deployed, check_mode):
    components = [_component(raw, index) for index, raw in enumerate(components or [])]
    deployed = set(deployed or [])
    plan = {"absent": [c for c in reversed(components) if c["state"] == "absent" and (c["releases"] or c["objects"])],
            "chains": [], "applied": [], "planned": [], "secrets": [], "delete": []}
    plan["delete"] = [ref for component in components for ref in component["delete"]]
    managers = {}
    for component in (c for c in components if c["state"] == "present"):
        settings = {"what": component["what"], "stage": int(component["stage"]),
                    "helm": {key: component[key] for key in ("wait", "timeout", "history_max", "take_ownership")}}
        releases = [{**release, **settings} for release in component["releases"]]
        if releases:
            plan["chains"] += [releases] if component["in_order"] else [[release] for release in releases]
        plan["secrets"] += component["secrets"]
        if not component["objects"]:
            continue
        undeployed = [f"{r['namespace']}/{r['release']}" for r in component["releases"]
                      if f"{r['namespace']}/{r['release']}" not in deployed]
        if check_mode and undeployed:
            plan["planned"].append({"what": component["what"], "undeployed": undeployed, "objects": component["objects"]})
            continue
        managers.setdefault(component["field_manager"], []).extend(component["objects"])
    plan["applied"] = [{"field_manager": manager, "objects": objects} for manager, objects in managers.items()]
    return plan


class FilterModule:
    def filters(self):
        return {"apply_plan": apply_plan}
