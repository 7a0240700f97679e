# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the settings an inventory merges over the shared defaults (<name>_overrides over <name>_base):
every key must be one the defaults know, and every value of the type the defaults give it."""

from __future__ import annotations

import difflib
import json
import re

DOCUMENTATION = r"""
---
name: settings_errors
short_description: List unknown keys and wrongly typed values of settings merged over their defaults
version_added: 0.2.0
description:
  - Takes the settings an inventory merges recursively over the shared defaults, C(<name>_overrides) over
    C(<name>_base) (group_vars/all), and returns one sentence per error, each naming the key as written
    (such as C(platform_node_groups_overrides.gpu.taint)), the merged setting it lands in, the value read and what
    was probably meant. An empty list means every override fits the defaults.
  - The add-ons' settings are variables of their roles (C(addon_<name>_<setting>), defaults in the role's
    C(defaults/main.yml)); the C(triptrip.platform.addon_settings) lookup with C(schema=true) gives each add-on in
    the same shape, and each error names the variable (C(addon_keda_enabeld)).
  - B(Unknown keys.) Every mapping of the defaults is closed; a key of the override that the default does not have
    at that path is refused, with the closest known key suggested. The defaults' shape is the schema, with two
    explicit exceptions kept in this plugin, each with its reason. I(Open) paths, passed through to another
    program's schema (chart C(values), Istio's MeshConfig, an EKS add-on's configuration, resource and label maps),
    whose contents are not checked here (C(chart_values_errors) checks the workloads' chart values against each
    chart's C(values.schema.json)). I(Entries) paths, maps keyed by names the environment chooses (node groups,
    IRSA roles, ECR repositories, managed add-ons, quotas by namespace), where a new key is allowed, and its value is
    checked against the union of the defaults' entries. Keys that the roles read but the defaults leave out are
    listed as optional keys, with a value that gives their type. The workloads' own names are left to the
    workloads' check, which refuses an unknown one in its own words.
  - B(Types.) A value whose type differs from the default's is refused (a string where the default is a boolean,
    such as C("false") for C(enabled), which Jinja reads as true; a string or a float where a whole number is expected;
    a list where a mapping is expected). A whole number is accepted where the default is a float; null only where
    the default is null. Lists are compared as a whole (an override replaces a list), not item by item.
positional: _input
options:
  _input:
    description:
      - The settings by name (such as C(platform_node_groups)), each a mapping of C(base) (C(<name>_base)) and
        C(overrides) (C(<name>_overrides)), as templated by the play.
      - An add-on whose settings are variables of its role (the C(triptrip.platform.addon_settings) lookup with
        C(schema=true)) comes as C(platform_addons.<name>) with C(prefix) (C(addon_<name>_)) besides; C(base) is the
        role's defaults and C(overrides) every variable of the host with the prefix, and each error names the
        variable (C(addon_metrics_server_replicas)).
    type: dict
    required: true
  optional:
    description:
      - More optional keys, by merged path (C(*) for any key), each a mapping of key to a value of its type. They add to
        the plugin's own list, for keys whose defaults live in another variable (C(platform_ecr_defaults)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check the overrides against the defaults
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ {'platform_node_groups': {'base': platform_node_groups_base, 'overrides': platform_node_groups_overrides},
      'platform_ecr_repositories': {'base': platform_ecr_repositories_base, 'overrides': platform_ecr_repositories_overrides}}
      | combine(lookup('triptrip.platform.addon_settings', schema=true))
      | triptrip.platform.settings_errors(optional={'platform_ecr_repositories.*': platform_ecr_defaults}) }}"
# platform_node_groups_overrides: {gpu: {taint: [], scaling: {min_size: "1"}}} gives
#   platform_node_groups_overrides.gpu.taint: unknown key, did you mean taints? (platform_node_groups.gpu takes ...)
#   platform_node_groups_overrides.gpu.scaling.min_size="1" is a string, but platform_node_groups.gpu.scaling.min_size
#   takes a whole number (default 0): write 1 without quotes
# addon_keda_enabeld: false gives
#   addon_keda_enabeld: unknown setting, did you mean addon_keda_enabled? (roles/addon_keda/defaults/main.yml sets ...)
"""

RETURN = r"""
_value:
  description: One sentence per unknown key or wrongly typed value; empty when every override fits the defaults.
  type: list
  elements: str
"""

# Open paths: the contents are another program's schema, passed through whole; only the value's own type (a mapping)
# is checked. Paths are of the merged setting; `*` is any one key, `**` any number of keys.
OPEN = (
    # Chart values merged last over what the roles compute: the chart's own schema (helm reads them).
    "platform_addons.*.values",
    "platform_addons.istio.base_values",
    "platform_addons.istio.*.values",
    # The workloads' chart values: their keys are the chart's, not platform_workloads_base's (which sets a few), so
    # chart_values_errors checks them against the chart's values.schema.json, every level closed.
    "platform_workloads.*.values",
    # Istio's own shapes, rendered whole (to_json) into istiod's meshConfig and the API's DestinationRule.
    "platform_addons.istio.mesh_config",
    "platform_addons.istio.traffic.connection_pool",
    "platform_addons.istio.traffic.outlier_detection",
    # A PodDisruptionBudget's spec (minAvailable or maxUnavailable), rendered whole into the gateway chart's values.
    "platform_addons.istio.*.pod_disruption_budget",
    # Telemetry's custom tags, keyed by the tag names the environment chooses.
    "platform_addons.istio.telemetry.tracing_custom_tags",
    # Kubernetes resource names (cpu, memory, ephemeral-storage, nvidia.com/gpu) of every container's requests and
    # limits, wherever the defaults hold them (resources, proxy_resources, resources.<component>).
    "**.requests",
    "**.limits",
    # cluster-autoscaler's command-line flags, any of its options (the chart's extraArgs).
    "platform_addons.cluster_autoscaler.flags",
    # node-problem-detector's custom monitors, keyed by their file names.
    "platform_addons.node_problem_detector.custom_monitors",
    # Argo CD's syncPolicy, in Argo CD's shape, rendered whole into every Application.
    "platform_addons.argocd.sync_policy",
    # Annotations of the ALB's Ingress (alb.ingress.kubernetes.io/...), keyed by annotation name.
    "platform_addons.aws_load_balancer_controller.ingress.annotations",
    # An EKS add-on's configuration values, sent as JSON: the add-on's own schema, which only AWS has, per build. The
    # eks_addon module checks them against it (DescribeAddonConfiguration) before it creates or updates the add-on,
    # in --check too, naming each key or value off the schema; the preflight holds only the vpc-cni's
    # enableNetworkPolicy (preflight_errors' security rules).
    "platform_eks_addons.*.configuration",
    # Node labels keyed by label name (node_group_errors checks the keys and values).
    "platform_node_groups.*.labels",
    # A quota's resource names (requests.cpu, pods, requests.nvidia.com/gpu): the quota check holds them to its list.
    "platform_resource_quotas.*",
)

# Entries paths: maps keyed by names the environment chooses. A new key is allowed; every entry is checked against
# the union of the defaults' entries (the entry's own default first).
ENTRIES = (
    # Node groups by name: an environment may add one (batch, arm64).
    "platform_node_groups",
    # IRSA roles by key: a new controller or workload identity gets its own.
    "platform_irsa_roles",
    # ECR repositories by name: every application repository of the delivery path.
    "platform_ecr_repositories",
    # EKS managed add-ons by EKS name: any add-on EKS publishes may be added (eks-pod-identity-agent).
    "platform_eks_addons",
    # Quotas by namespace (the quota check holds the names to platform_workload_namespaces).
    "platform_resource_quotas",
)

# Settings whose own names (the top-level keys) another preflight check already refuses, in its own words: an
# unknown one is left to it (and not looked into here).
NAMES_CHECKED_ELSEWHERE = (
    # The workloads' check (checks.yml): "platform_workloads_overrides: unknown workloads [...] (known: ...)"
    "platform_workloads",
)

# Keys the roles read (with a default) that the shared defaults leave out, by merged path: key -> a value of its type.
OPTIONAL = {
    # roles/eks_nodegroups: the root volume's device (default /dev/xvda); EKS's update config takes one of the two.
    "platform_node_groups.*.disk": {"device_name": "/dev/xvda"},
    "platform_node_groups.*.update_config": {"max_unavailable": 1},
    # roles/aws_irsa: `enabled: false` removes a role of the defaults.
    "platform_irsa_roles.*": {"enabled": True},
    # roles/addon_argocd: the manifests repository's credentials (a password or token, or an SSH key).
    "platform_addons.argocd.repo_credentials": {"username": "", "password": "", "ssh_private_key": ""},
    # roles/addon_aws_load_balancer_controller: more annotations of the ALB's Ingress.
    "platform_addons.aws_load_balancer_controller.ingress": {"annotations": {}},
}

KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string", list: "a list",
         dict: "a mapping", type(None): "null"}
TRUE_WORDS = ("true", "yes", "on", "y")
FALSE_WORDS = ("false", "no", "off", "n")
NUMBER = re.compile(r"^[-+]?[0-9]+(\.[0-9]*)?$")


def _kind(value):
    for cls in (bool, int, float, str, list, dict):
        if isinstance(value, cls):
            return cls
    return type(None) if value is None else type(value)


def _kind_name(cls):
    return KINDS.get(cls, cls.__name__)


def _show(value):
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _match(pattern, path):
    """Whether a path (a list of keys) matches a pattern (a list of keys, `*` any one key, `**` any number)."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, path[index:]) for index in range(len(path) + 1))
    return bool(path) and head in ("*", str(path[0])) and _match(rest, path[1:])


def _matches_any(patterns, path):
    return any(_match(pattern.split("."), path) for pattern in patterns)


def _union(entries):
    """The union of the defaults' entries: every key any entry has, mappings merged recursively (first one wins)."""
    merged = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            if key not in merged:
                merged[key] = value
            elif isinstance(merged[key], dict) and isinstance(value, dict):
                merged[key] = _union([merged[key], value])
    return merged


def _overlay(base, over):
    """base with over's keys on top, mappings merged recursively."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def _hint(value, default, expected):
    """What was probably meant, for a value of the wrong type."""
    if expected is bool and isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return "write true without quotes (a quoted word is a string, and Jinja reads any non-empty string as true)"
        if word in FALSE_WORDS:
            return "write false without quotes (a quoted word is a string, and Jinja reads any non-empty string as true)"
        return "write true or false without quotes"
    if expected in (int, float) and isinstance(value, str) and NUMBER.match(value.strip()):
        return f"write {value.strip()} without quotes"
    if expected is int and isinstance(value, float):
        return f"write {int(value)} if that is meant" if value == int(value) else "give a whole number"
    if expected is str and isinstance(value, bool):
        return "YAML reads an unquoted yes, no, on, off, true or false as a boolean: quote the word"
    if expected is str and isinstance(value, (int, float)):
        example = " (\"1.30\", not 1.30, which is the number 1.3)" if isinstance(value, float) else ""
        return f"YAML read the number {_show(value)}: quote the text you meant{example}"
    if value is None:
        return "remove the key to keep the default, or give a value"
    return f"give {_kind_name(expected)} like the default"


class _Walk:
    def __init__(self, name, optional, prefix=None):
        self.name = name
        self.optional = optional
        self.errors = []
        # A role's settings as variables: path [platform_addons, <name>, <key>, ...] is written <prefix><key>.<...>.
        self.prefix = prefix
        self.depth = len(name.split("."))

    def over_path(self, path):
        """Where the key is written: the override, <name>_overrides.<keys>, or the variable <prefix><key>.<keys>."""
        if self.prefix:
            return ".".join([self.prefix + str(path[self.depth]), *map(str, path[self.depth + 1:])])
        return ".".join([f"{self.name}_overrides", *map(str, path[1:])])

    def merged_path(self, path):
        """Where the key lands: the merged setting, <name>.<keys> (a variable of its own: where it is written)."""
        if self.prefix and len(path) > self.depth:
            return self.over_path(path)
        return ".".join(map(str, path))

    def type_error(self, path, value, default):
        expected, got = _kind(default), _kind(value)
        if got is expected or (expected is float and got is int) or default is None:
            return False
        shown = f" (default {_show(default)})" if expected not in (list, dict) else ""
        self.errors.append(f"{self.over_path(path)}={_show(value)} is {_kind_name(got)}, but {self.merged_path(path)} "
                           f"takes {_kind_name(expected)}{shown}: {_hint(value, default, expected)}")
        return True

    def mapping(self, path, over, default):
        """Check the override `over` (a mapping) against the default `default` (a mapping) at `path`."""
        if _matches_any(OPEN, path):
            return
        entries = _matches_any(ENTRIES, path)
        template = dict(default)
        for pattern, keys in self.optional.items():
            if _match(pattern.split("."), path):
                template = _overlay(keys, template)
        union = _union(default.values()) if entries else {}
        for key, value in over.items():
            where = [*path, key]
            if entries:
                known = _overlay(union, default[key]) if isinstance(default.get(key), dict) else union
                if key in default and not isinstance(default[key], dict):
                    known = default[key]
                self.value(where, value, known)
            elif key in template:
                self.value(where, value, template[key])
            elif not (len(path) == 1 and path[0] in NAMES_CHECKED_ELSEWHERE):
                self.unknown(path, key, template)

    def value(self, path, value, default):
        if self.type_error(path, value, default):
            return
        if isinstance(value, dict) and isinstance(default, dict):
            self.mapping(path, value, default)

    def unknown(self, path, key, template):
        known = sorted(map(str, template))
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        if self.prefix and len(path) == self.depth:
            suggestion = f", did you mean {self.prefix}{close[0]}?" if close else ""
            role = self.prefix.rstrip("_")
            self.errors.append(f"{self.prefix}{key}: unknown setting{suggestion} (roles/{role}/defaults/main.yml sets "
                               f"{self.prefix}<{', '.join(known)}>)")
            return
        suggestion = f", did you mean {close[0]}?" if close else ""
        self.errors.append(f"{self.over_path([*path, key])}: unknown key{suggestion} ({self.merged_path(path)} takes "
                           f"{', '.join(known) if known else 'no keys'})")


def settings_errors(settings, optional=None):
    """One sentence per unknown key or wrongly typed value of each setting's overrides, against its defaults."""
    extra = dict(OPTIONAL)
    for pattern, keys in (optional or {}).items():
        extra[pattern] = _overlay(extra.get(pattern, {}), keys)
    errors = []
    for name, pair in (settings or {}).items():
        base, overrides = pair.get("base"), pair.get("overrides")
        if not isinstance(overrides, dict) or not isinstance(base, dict):
            errors.append(f"{name}_overrides={_show(overrides)}: must be a mapping merged over {name}_base")
            continue
        prefix = pair.get("prefix")
        walk = _Walk(name, extra, prefix)
        walk.mapping(name.split(".") if prefix else [name], overrides, base)
        errors.extend(walk.errors)
    return errors


class FilterModule:
    def filters(self):
        return {"settings_errors": settings_errors}
