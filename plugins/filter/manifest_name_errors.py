# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the inventory's strings that the roles' templates write into manifests as YAML text."""

from __future__ import annotations

import json
import re

DOCUMENTATION = r"""
---
name: manifest_name_errors
short_description: List inventory values that would not make a valid name, label or field of a rendered manifest
version_added: 0.2.0
description:
  - The roles render several manifests and chart values as YAML text (C(templates/*.yml.j2)), where a value written
    raw (C({{ name }}), not C({{ name | to_json }})) becomes YAML itself. A name holding a newline, a colon and
    a space or a C(#) would add keys to the manifest or change its meaning; a name Kubernetes forbids fails only
    when the object is applied, after the AWS layer was built.
  - Takes the settings by variable name (C(platform_addons), C(platform_workloads), C(platform_storage_class),
    C(platform_priority_classes), C(platform_rbac_groups)), after the merge, and returns one sentence per value
    that breaks its rule, naming the variable and the path in it (such as C(addon_istio_traffic.service); the
    add-ons' settings are the variables C(addon_<name>_<setting>) that C(platform_addons) gathers), the value and
    the rule. The rules are Kubernetes' own (a name is a DNS-1123 label or subdomain, a label value at most 63
    characters of C([A-Za-z0-9][-A-Za-z0-9_.]*) ending alphanumeric, a label or annotation key a qualified name),
    and for the other fields written raw a shape without spaces or YAML punctuation (a duration, an enum word, an
    API version, a Helm release name of at most 53 characters).
  - Each rule lists the template the value reaches. Names checked elsewhere in preflight (namespaces, service
    accounts, node groups and their labels and taints) are not repeated here.
positional: _input
options:
  _input:
    description: The merged settings, by variable name.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the names and labels that reach the rendered manifests
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ {'platform_addons': platform_addons, 'platform_workloads': platform_workloads,
      'platform_storage_class': platform_storage_class, 'platform_priority_classes': platform_priority_classes,
      'platform_rbac_groups': platform_rbac_groups} | triptrip.platform.manifest_name_errors }}"
# addon_istio_traffic: {service: "triptrip-api\nnamespace: kube-system", ...} gives
#   addon_istio_traffic.service="triptrip-api\nnamespace: kube-system": must be a DNS-1123 label ...
"""

RETURN = r"""
_value:
  description: One sentence per value that breaks its rule; empty when every value is valid.
  type: list
  elements: str
"""

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = rf"{_LABEL}(\.{_LABEL})*"
_NAME_PART = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

# Rule name -> (pattern, most characters, what the rule is).
RULES = {
    "dns_label": (rf"^{_LABEL}$", 63, "a DNS-1123 label: at most 63 of a-z, 0-9 and -, starting and ending with a "
                  "letter or digit (it is also written as a label value)"),
    "release": (rf"^{_LABEL}$", 53, "a Helm release name: at most 53 of a-z, 0-9 and -, starting and ending with a "
                "letter or digit"),
    "dns_subdomain": (rf"^{_SUBDOMAIN}$", 253, "a DNS-1123 subdomain: dot-separated labels of a-z, 0-9 and -, at "
                      "most 253 characters"),
    "priority_class": (rf"^({_SUBDOMAIN})?$", 253, "a PriorityClass name (a DNS-1123 subdomain), or empty for none"),
    "host": (rf"^(\*\.)?{_SUBDOMAIN}$", 253, "a lower-case DNS name, optionally starting with *. (no scheme, port "
             "or path)"),
    "label_value": (rf"^({_NAME_PART})?$", 63, "a Kubernetes label value: at most 63 of A-Z, a-z, 0-9, -, _ and ., "
                    "starting and ending with a letter or digit (quote true, false and numbers)"),
    "qualified_name": (rf"^({_SUBDOMAIN}/)?{_NAME_PART}$", 316, "a Kubernetes label or annotation key: an optional "
                       "DNS subdomain prefix and /, then at most 63 of A-Z, a-z, 0-9, -, _ and ., starting and "
                       "ending with a letter or digit"),
    "header": (r"^[A-Za-z0-9][-A-Za-z0-9_]*$", 256, "an HTTP header name: letters, digits, - and _"),
    "duration": (r"^([0-9]+(\.[0-9]+)?(h|m|s|ms|us|ns))+$", 32, "a duration such as 30s, 500ms or 1h30m"),
    "word": (r"^[A-Za-z][A-Za-z0-9_]*$", 63, "one of the field's fixed words (letters, digits and _, such as "
             "LEAST_REQUEST or ClusterIP)"),
    "provider": (r"^[A-Za-z0-9][-A-Za-z0-9_.]*$", 253, "an Istio extension provider's name: letters, digits, -, _ "
                 "and ."),
    "api_version": (rf"^({_SUBDOMAIN}/)?v[0-9]+([a-z]+[0-9]+)?$", 253, "an API version such as apps/v1"),
    "group": (r"^[A-Za-z0-9][-A-Za-z0-9_.:@/]*$", 253, "a Kubernetes group name: letters, digits and -_.:@/, "
              "without spaces"),
    "one_word": (r"^[^\s\"'#]+$", 512, "one word: no spaces, tabs, newlines, quotes or # (it is a line of Fluent "
                 "Bit's configuration)"),
    "text": (r"^[^\x00]*$", 262144, "a string"),
    "integer": (None, None, "a whole number"),
}

# Paths of the merged settings (`*` any key of a mapping, `[]` any item of a list, `<keys>` the keys of a mapping
# themselves), the rule of the value, and the template that writes it raw (not through to_json).
PATHS = (
    # roles/addon_aws_load_balancer_controller/templates/ingress.yml.j2
    ("platform_addons.aws_load_balancer_controller.ingress.name", "dns_label"),
    ("platform_addons.aws_load_balancer_controller.ingress.namespace", "dns_label"),
    ("platform_addons.aws_load_balancer_controller.ingress.hosts.[]", "host"),
    ("platform_addons.aws_load_balancer_controller.ingress.gateway_service", "dns_label"),
    ("platform_addons.aws_load_balancer_controller.ingress.annotations.<keys>", "qualified_name"),
    ("platform_addons.aws_load_balancer_controller.ingress.annotations.*", "text"),
    # roles/addon_istio/templates/gateway.yml.j2, telemetry.yml.j2, values_gateway.yml.j2
    ("platform_addons.istio.gateway.name", "dns_label"),
    ("platform_addons.istio.gateway.hosts.[]", "host"),
    ("platform_addons.istio.telemetry.name", "dns_label"),
    ("platform_addons.istio.telemetry.access_logging.provider", "provider"),
    ("platform_addons.istio.telemetry.metrics.provider", "provider"),
    ("platform_addons.istio.tracing.provider", "provider"),
    ("platform_addons.istio.mtls_mode", "word"),
    ("platform_addons.istio.cni.release", "release"),
    ("platform_addons.istio.ingress_gateway.release", "release"),
    ("platform_addons.istio.egress_gateway.release", "release"),
    ("platform_addons.istio.ingress_gateway.service_type", "word"),
    ("platform_addons.istio.egress_gateway.service_type", "word"),
    # roles/addon_istio/templates/virtual_service.yml.j2, destination_rule.yml.j2 (the header name is a YAML key)
    ("platform_addons.istio.traffic.service", "dns_label"),
    ("platform_addons.istio.traffic.namespace", "dns_label"),
    ("platform_addons.istio.traffic.canary_subset", "dns_label"),
    ("platform_addons.istio.traffic.canary_header.name", "header"),
    ("platform_addons.istio.traffic.routes.[].subset", "dns_label"),
    ("platform_addons.istio.traffic.timeout", "duration"),
    ("platform_addons.istio.traffic.retries.perTryTimeout", "duration"),
    ("platform_addons.istio.traffic.load_balancer", "word"),
    ("platform_addons.istio.traffic.tls_mode", "word"),
    ("platform_addons.istio.traffic.subsets.[].name", "dns_label"),
    ("platform_addons.istio.traffic.subsets.[].labels.<keys>", "qualified_name"),
    ("platform_addons.istio.traffic.subsets.[].labels.*", "label_value"),
    # roles/addon_keda/templates/scaledobjects.yml.j2, scaledjobs.yml.j2, triggerauthentications.yml.j2
    ("platform_addons.keda.aws_trigger_authentication", "dns_label"),
    ("platform_addons.keda.scaled_objects.[].name", "dns_label"),
    ("platform_addons.keda.scaled_objects.[].namespace", "dns_label"),
    ("platform_addons.keda.scaled_objects.[].target.name", "dns_subdomain"),
    ("platform_addons.keda.scaled_objects.[].target.kind", "word"),
    ("platform_addons.keda.scaled_objects.[].target.api_version", "api_version"),
    ("platform_addons.keda.scaled_jobs.[].name", "dns_label"),
    ("platform_addons.keda.scaled_jobs.[].namespace", "dns_label"),
    ("platform_addons.keda.scaled_jobs.[].priority_class", "priority_class"),
    ("platform_addons.keda.scaled_jobs.[].container.name", "dns_label"),
    # roles/addon_vpa/templates/verticalpodautoscalers.yml.j2
    ("platform_addons.vpa.autoscalers.[].name", "dns_label"),
    ("platform_addons.vpa.autoscalers.[].namespace", "dns_label"),
    ("platform_addons.vpa.autoscalers.[].target.name", "dns_subdomain"),
    ("platform_addons.vpa.autoscalers.[].target.kind", "word"),
    ("platform_addons.vpa.autoscalers.[].target.api_version", "api_version"),
    # roles/addon_external_secrets/templates/clustersecretstore.yml.j2, externalsecret.yml.j2
    ("platform_addons.external_secrets.service_account", "dns_subdomain"),
    ("platform_addons.external_secrets.cluster_secret_store.name", "dns_label"),
    ("platform_addons.external_secrets.cluster_secret_store.service", "word"),
    ("platform_addons.external_secrets.database_credentials.name", "dns_label"),
    ("platform_addons.external_secrets.database_credentials.namespace", "dns_label"),
    # roles/addon_argocd/templates/appproject.yml.j2, roles/workloads/templates/applications.yml.j2
    ("platform_addons.argocd.project.name", "dns_label"),
    # roles/addon_fluent_bit/templates/values.yml.j2: lines of Fluent Bit's configuration, inside a YAML block
    ("platform_addons.fluent_bit.container_log_path", "one_word"),
    ("platform_addons.fluent_bit.state_dir", "one_word"),
    ("platform_addons.fluent_bit.cloudwatch.region", "one_word"),
    ("platform_addons.fluent_bit.cloudwatch.log_group", "one_word"),
    ("platform_addons.fluent_bit.cloudwatch.log_stream_prefix", "one_word"),
    # roles/workloads/templates/applications.yml.j2, releases.yml.j2
    ("platform_workloads.*.release", "release"),
    # roles/k8s_scheduling/templates/scheduling.yml.j2
    ("platform_storage_class.name", "dns_label"),
    ("platform_priority_classes.[].name", "dns_label"),
    ("platform_priority_classes.[].value", "integer"),
    ("platform_priority_classes.[].preemption_policy", "word"),
    # roles/k8s_rbac/templates/rbac.yml.j2 (the subjects' group names)
    ("platform_rbac_groups.*", "group"),
)


def _show(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _values(value, pattern, path):
    """(path, value, whether it is a key) of every value the pattern reaches; missing keys and values of another
    shape reach nothing."""
    if not pattern:
        yield path, value, False
        return
    head, rest = pattern[0], pattern[1:]
    if head == "[]":
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _values(item, rest, f"{path}[{index}]")
    elif head == "<keys>":
        if isinstance(value, dict):
            for key in value:
                yield path, key, True
    elif head == "*":
        if isinstance(value, dict):
            for key, item in value.items():
                yield from _values(item, rest, f"{path}.{key}")
    elif isinstance(value, dict) and head in value:
        yield from _values(value[head], rest, f"{path}.{head}")


def _broken(value, rule):
    pattern, most = RULES[rule][:2]
    if rule == "integer":
        return not isinstance(value, int) or isinstance(value, bool)
    if not isinstance(value, str) or len(value) > most or not re.match(pattern, value):
        return True
    if rule == "qualified_name":
        return len(value.rpartition("/")[2]) > 63 or len(value.rpartition("/")[0]) > 253
    return False


def _variable(path):
    """Where the value is set: platform_addons.<name>.<setting>... is the variable addon_<name>_<setting>..."""
    parts = re.match(r"^platform_addons\.([a-z0-9_]+)\.([a-z0-9_]+)(.*)$", path, re.S)
    return f"addon_{parts.group(1)}_{parts.group(2)}{parts.group(3)}" if parts else path


def manifest_name_errors(settings):
    """One sentence per value of `settings` that breaks the rule of the manifest field it is written into."""
    errors = []
    for pattern, rule in PATHS:
        name, *rest = pattern.split(".")
        if name not in (settings or {}):
            continue
        for where, value, key in _values(settings[name], rest, name):
            path = _variable(where)
            if _broken(value, rule):
                errors.append(f"{path} key {_show(value)}: must be {RULES[rule][2]}" if key
                              else f"{path}={_show(value)}: must be {RULES[rule][2]}")
    return errors


class FilterModule:
    def filters(self):
        return {"manifest_name_errors": manifest_name_errors}
