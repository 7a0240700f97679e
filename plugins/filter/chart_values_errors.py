# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the workloads' chart values: the values each chart would get, against the chart's own
values.schema.json and the rules its templates refuse, before any change."""

from __future__ import annotations

import difflib
import json
import os

import yaml

try:
    import jsonschema
except ImportError:  # pragma: no cover - the message below says what to install
    jsonschema = None

DOCUMENTATION = r"""
---
name: chart_values_errors
short_description: List the workloads' chart values that their chart's values.schema.json or templates refuse
version_added: 0.2.0
description:
  - Takes the workloads (C(platform_workloads)), each with its C(chart) (a folder of C(charts_dir)) and its
    C(values), and returns one sentence per value the chart would refuse, each naming the variable path (such as
    C(platform_workloads.api.values.autoscaling.maxReplica)), the value read and the rule. An empty list means Helm
    would take every workload's values.
  - The values checked are the ones Helm gets, merged as the workloads role and Argo CD merge them. The chart's
    C(values.yaml), then its C(values-<profile>.yaml), then the workload's C(values) (mappings merged, lists
    replaced, a null removing a default). They are checked against the chart's C(values.schema.json) (JSON Schema
    draft-07, which Helm itself checks on install, upgrade, lint and template), so an unknown key at any level of
    the chart's own mappings (C(replicaCont), C(autoscaling.maxReplica)) is refused with the closest known key, as
    are wrong types (an unquoted C(1.10) image tag), out-of-range values and malformed names, quantities and ports.
  - Then, for a workload whose values fit the schema, the rules that the chart's templates refuse with C(fail),
    across values (a schema cannot compare two values) or better said in words. An HPA's minimum above its
    maximum, a disruption budget that lets no pod be evicted, a Redis member count that is not whole shards, a
    worker image tagged latest. Each rule's sentence is the template's own, after the variable.
  - A value set in the chart's files rather than in the inventory is named by its file
    (C(charts/triptrip-api/values-production.yaml)). A workload whose chart folder is missing, or whose values are
    not a mapping, is left to the checks that refuse those in their own words.
  - Each chart's schema and values files are read once per process (cached by path and modification time).
  - Needs the Python package C(jsonschema) on the controller; without it the filter returns one sentence saying
    so, and the preflight stops.
positional: _input
options:
  _input:
    description: The workloads by name (C(platform_workloads)), each a mapping with C(chart) and C(values).
    type: dict
    required: true
  charts_dir:
    description: The collection's C(charts/) folder, where each workload's chart is a folder.
    type: path
    required: true
  profile:
    description:
      - Which values file of each chart holds this environment's settings, C(values-<profile>.yaml)
        (C(platform_workloads_profile)); empty for the chart's C(values.yaml) alone.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Check the workloads' values against their charts
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ platform_workloads | triptrip.platform.chart_values_errors(charts_dir=playbook_dir ~ '/charts',
      profile=platform_workloads_profile) }}"
# platform_workloads_overrides: {api: {values: {autoscaling: {maxReplica: 50}}}} gives
#   platform_workloads.api.values.autoscaling.maxReplica=50: unknown key, did you mean maxReplicas? ...
"""

RETURN = r"""
_value:
  description: One sentence per value the charts would refuse; empty when Helm would take every workload's values.
  type: list
  elements: str
"""

SCHEMA = "values.schema.json"
TYPE_WORDS = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "object": "a mapping", "array": "a list", "null": "null"}
TRUE_FALSE_WORDS = ("true", "false", "yes", "no", "on", "off")
# An unknown key's sentence lists the keys its mapping takes up to this many (the chart's values.yaml lists them all).
MOST_KEYS_LISTED = 16
_CACHE: dict = {}
# The value shown for a key that is itself wrong (propertyNames) or missing: the sentence names the key alone.
KEY = object()


def _show(value):
    shown = json.dumps(value, sort_keys=True, default=str)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _kind(value):
    for name, cls in (("true or false", bool), ("a whole number", int), ("a number", float), ("a string", str),
                      ("a list", list), ("a mapping", dict)):
        if isinstance(value, cls):
            return name
    return "null" if value is None else type(value).__name__


def _path(parts):
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _cached(path, load):
    stamp = (path, os.stat(path).st_mtime_ns)
    if stamp not in _CACHE:
        _CACHE[stamp] = load(path)
    return _CACHE[stamp]


def _yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


def _validator(path):
    with open(path, encoding="utf-8") as handle:
        schema = json.load(handle)
    return jsonschema.Draft7Validator(schema)


def _combine(base, over):
    """over merged into base as Ansible's combine(recursive=True) does: mappings merged, anything else replaced."""
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _combine(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) \
            else value
    return merged


def _coalesce(defaults, given):
    """The given values over the chart's defaults as Helm coalesces them: a null removes the default it replaces."""
    merged = dict(given)
    for key, default in defaults.items():
        if key not in merged:
            merged[key] = default
        elif merged[key] is None:
            del merged[key]
        elif isinstance(merged[key], dict) and isinstance(default, dict):
            merged[key] = _coalesce(default, merged[key])
    return merged


def _holds(values, parts):
    """Whether `values` sets the value at `parts` (the key itself, or a whole value or list at a path above it)."""
    node = values
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        else:
            # A list is replaced whole, so everything in it is the list's giver's; and a whole value given where the
            # chart has a mapping is the giver's too.
            return True
    return True


def _resolve(root, schema):
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _describe(root, schema):
    """A schema in words, for a value that matched none of several: its title, else what its keywords say."""
    schema = _resolve(root, schema)
    if "title" in schema:
        return schema["title"]
    if "const" in schema:
        return "empty" if schema["const"] == "" else _show(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(map(_show, schema["enum"]))
    if "allOf" in schema:
        return " and ".join(_describe(root, sub) for sub in schema["allOf"])
    types = [schema["type"]] if isinstance(schema.get("type"), str) else schema.get("type", [])
    words = " or ".join(TYPE_WORDS.get(t, t) for t in types)
    if "minimum" in schema:
        words += f" of at least {schema['minimum']}"
    return words or "valid"


def _json_type(value):
    for name, cls in (("boolean", bool), ("integer", int), ("number", float), ("string", str), ("array", list),
                      ("object", dict)):
        if isinstance(value, cls):
            return name
    return "null"


def _types(root, schemas):
    """The JSON types any of several schemas accepts (a const or enum by its members' types)."""
    found = set()
    for schema in schemas:
        schema = _resolve(root, schema)
        if "type" in schema:
            found.update([schema["type"]] if isinstance(schema["type"], str) else schema["type"])
        elif "const" in schema or "enum" in schema:
            found.update(_json_type(member) for member in schema.get("enum", [schema.get("const")]))
        elif "anyOf" in schema or "allOf" in schema:
            found.update(_types(root, schema.get("anyOf", schema.get("allOf"))))
        else:
            found.update(TYPE_WORDS)
    return found


def _type_hint(value, expected):
    if "string" in expected and isinstance(value, bool):
        return ": YAML reads an unquoted yes, no, on, off, true or false as a boolean; quote the word"
    if "string" in expected and isinstance(value, (int, float)):
        return f": YAML read the number {_show(value)}; quote the text meant (\"1.10\", not 1.10, which is 1.1)"
    if "boolean" in expected and isinstance(value, str) and value.strip().lower() in TRUE_FALSE_WORDS:
        return ": write true or false without quotes"
    if {"integer", "number"} & set(expected) and isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return f": write {value.strip()} without quotes"
    if "integer" in expected and isinstance(value, float):
        return ": give a whole number"
    return ""


def _reasons(root, error):
    """(path below the error's own, value, reason) for one schema error; several for several unknown keys."""
    validator, expected, value, schema = error.validator, error.validator_value, error.instance, error.schema
    if "propertyNames" in error.relative_schema_path:
        return [([value], KEY, f"the key must be {_describe(root, schema)}")]
    if validator == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        found = []
        for key in sorted(set(value) - set(known), key=str):
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            takes = ", ".join(known) if len(known) <= MOST_KEYS_LISTED else "the keys of its values.yaml"
            found.append(([key], value[key], "unknown key" + (f", did you mean {close[0]}?" if close else "")
                          + f" ({_path(error.absolute_path) or 'the chart'} takes {takes})"))
        return found
    if validator == "required":
        return [([key], KEY, "is missing, and the templates read it (a null removes a chart default; this one must "
                 "stay)") for key in expected if key not in value]
    if validator == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        return [([], value, f"is {_kind(value)}, but must be {' or '.join(TYPE_WORDS[t] for t in wanted)}"
                 + _type_hint(value, wanted))]
    if validator in ("anyOf", "oneOf"):
        accepted = _types(root, expected)
        if _json_type(value) not in accepted and not ("number" in accepted and _json_type(value) == "integer"):
            wanted = [t for t in TYPE_WORDS if t in accepted]
            return [([], value, f"is {_kind(value)}, but must be {' or '.join(TYPE_WORDS[t] for t in wanted)}"
                     + _type_hint(value, wanted))]
        if "title" in schema:
            return [([], value, f"must be {schema['title']}")]
        return [([], value, "must be " + " or ".join(_describe(root, sub) for sub in expected))]
    if validator == "not":
        return [([], value, f"must not be {_describe(root, expected)}")]
    if validator == "pattern":
        return [([], value, f"must be {schema.get('title', 'a string matching ' + expected)}")]
    words = {
        "enum": lambda: "must be one of " + ", ".join(map(_show, expected)),
        "const": lambda: f"must be {_show(expected)}",
        "minimum": lambda: f"must be at least {expected}",
        "maximum": lambda: f"must be at most {expected}",
        "minLength": lambda: "must not be empty" if expected == 1 else f"must be at least {expected} characters",
        "maxLength": lambda: f"must be at most {expected} characters",
        "minItems": lambda: f"must list at least {expected}",
    }
    return [([], value, words[validator]() if validator in words else error.message)]


def _api_rules(v):
    """charts/triptrip-api/templates: hpa.yaml, pdb.yaml and externalsecret.yaml."""
    errors = []
    scaling, pdb, secrets = v["autoscaling"], v["podDisruptionBudget"], v["externalSecrets"]
    if scaling["enabled"] and scaling["minReplicas"] > scaling["maxReplicas"]:
        errors.append(f"autoscaling.minReplicas={scaling['minReplicas']} is above autoscaling.maxReplicas="
                      f"{scaling['maxReplicas']}: the API server refuses such a HorizontalPodAutoscaler")
    if pdb["enabled"]:
        keep, drop = pdb.get("minAvailable"), pdb.get("maxUnavailable")
        floor_key = "autoscaling.minReplicas" if scaling["enabled"] else "replicaCount"
        floor = scaling["minReplicas"] if scaling["enabled"] else v["replicaCount"]
        if keep and drop:
            errors.append("podDisruptionBudget: set minAvailable or maxUnavailable, not both")
        elif not keep and not drop:
            errors.append("podDisruptionBudget: minAvailable or maxUnavailable is required")
        elif keep and not isinstance(keep, str) and keep >= floor:
            errors.append(f"podDisruptionBudget.minAvailable={keep} is not below {floor_key}={floor}: the budget would "
                          "let no pod be evicted, and every node drain would stall")
    if secrets["enabled"] and not (secrets.get("secrets") or secrets.get("data")):
        errors.append("externalSecrets.enabled needs externalSecrets.secrets or externalSecrets.data")
    return errors


def _redis_rules(v):
    """charts/triptrip-redis/templates/_helpers.tpl, triptrip-redis.validate."""
    replicas, per_primary, pdb = v["replicas"], v["clusterReplicas"], v["podDisruptionBudget"]
    shard = per_primary + 1
    if replicas % shard:
        return [f"replicas={replicas} is not a multiple of 1 + clusterReplicas ({shard})"]
    if replicas // shard < 3:
        return [f"replicas={replicas} gives {replicas // shard} primaries; Redis Cluster needs at least 3"]
    if pdb["enabled"] and per_primary < 1:
        return ["clusterReplicas=0 leaves no replica to fail over to; a disruption budget cannot keep such a cluster "
                "up"]
    if pdb["enabled"] and pdb["maxUnavailable"] > per_primary:
        return [f"podDisruptionBudget.maxUnavailable={pdb['maxUnavailable']} is above clusterReplicas={per_primary}: a "
                "drain could take a primary and all its replicas at once"]
    return []


def _workers_rules(v):
    """charts/triptrip-workers/templates/_helpers.tpl, triptrip-workers.image."""
    tag = v["queueWorker"]["image"]["tag"]
    return [f"queueWorker.image.tag={json.dumps(tag)} must name a release, not latest or nothing"] \
        if tag in ("", "latest") else []


# The rules each chart's templates refuse with `fail` (by chart folder): across values, which a schema cannot state,
# or better said in the template's words. They run once the values fit the schema; tests/unit/charts checks that
# helm refuses each with the same sentence.
RULES = {"triptrip-api": _api_rules, "triptrip-redis": _redis_rules, "triptrip-workers": _workers_rules}


def _workload_errors(name, workload, charts_dir, profile):
    chart = str(workload.get("chart"))
    chart_dir = os.path.join(charts_dir, chart)
    schema_file = os.path.join(chart_dir, SCHEMA)
    given = workload.get("values", {})
    if not os.path.isfile(schema_file) or not isinstance(given, dict):
        return []
    profile_file = f"values-{profile}.yaml" if profile else ""
    profile_values = {}
    if profile_file and os.path.isfile(os.path.join(chart_dir, profile_file)):
        profile_values = _cached(os.path.join(chart_dir, profile_file), _yaml)
    values = _coalesce(_cached(os.path.join(chart_dir, "values.yaml"), _yaml), _combine(profile_values, given))
    validator = _cached(schema_file, _validator)
    errors = []
    for error in sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path]):
        for below, value, reason in _reasons(validator.schema, error):
            parts = [*error.absolute_path, *below]
            where = _path(parts) + ("" if value is KEY else f"={_show(value)}")
            if _holds(given, parts):
                errors.append(f"platform_workloads.{name}.values.{where}: {reason} "
                              f"(charts/{chart}/{SCHEMA})")
            else:
                source = profile_file if profile_file and _holds(profile_values, parts) else "values.yaml"
                errors.append(f"platform_workloads.{name}: charts/{chart}/{source} sets {where}: "
                              f"{reason} ({SCHEMA})")
    if errors or chart not in RULES:
        return errors
    under = ", ".join(["values.yaml", *([profile_file] if profile_values else [])])
    return [f"platform_workloads.{name}.values: {rule} (over charts/{chart}/{under})" for rule in RULES[chart](values)]


def chart_values_errors(workloads, charts_dir, profile=""):
    """One sentence per value of the workloads that their chart's values.schema.json or templates refuse."""
    if not isinstance(workloads, dict):
        return []
    if jsonschema is None:
        return ["platform_workloads.<name>.values cannot be checked against the charts' values.schema.json: the "
                "Python package jsonschema is missing on the controller (pip install jsonschema==4.26.0, as "
                "requirements/constraints.txt pins it)"]
    errors = []
    for name, workload in workloads.items():
        if isinstance(workload, dict):
            errors.extend(_workload_errors(name, workload, charts_dir, profile or ""))
    return errors


class FilterModule:
    def filters(self):
        return {"chart_values_errors": chart_values_errors}
