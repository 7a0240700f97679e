# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the platform add-ons an inventory declares, before anything is touched."""

from __future__ import annotations

import re

DOCUMENTATION = r"""
---
name: addon_errors
short_description: List what is wrong with the platform add-ons' settings, one sentence per error
version_added: 0.2.0
description:
  - Takes the add-ons by name, each a mapping of setting to value (the C(triptrip.platform.addon_settings) lookup's
    view of the variables C(addon_<name>_<setting>)), and returns one sentence per invalid value, each naming the variable
    (such as C(addon_istio_version)), the value and the rule. An empty list means the settings are valid.
  - Checks each add-on's C(enabled), C(chart), C(version) (a chart version such as C(1.30.0)), C(repository),
    C(namespace) and C(values); that the weights of Istio's C(traffic.routes) sum to 100 and route to subsets its
    C(traffic.subsets) define; that istiod's and KEDA's scaled objects' and jobs' minimum replicas are at most
    their maximum; that KEDA's triggers name KEDA scalers; and that cluster-autoscaler's C(image_tag) has the
    cluster's minor.
  - C(platform_addons_overrides), the way add-ons were set before their settings moved to their roles, is refused
    key by key, with the variables to set instead.
positional: _input, overrides, kubernetes_version
options:
  _input:
    description: Add-ons by name, each a mapping of setting to value.
    type: dict
    required: true
  overrides:
    description: C(platform_addons_overrides) if an inventory still sets it; every key is refused.
    type: dict
    default: {}
  kubernetes_version:
    description: The cluster's Kubernetes minor, as C(1.35).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Check the add-ons
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ lookup('triptrip.platform.addon_settings') | triptrip.platform.addon_errors(platform_addons_overrides
      | default({}), platform_eks_version) }}"
"""

RETURN = r"""
_value:
  description: One sentence per invalid value; empty when every add-on is valid.
  type: list
  elements: str
"""

ADDON_KEYS = {"enabled", "chart", "version", "repository", "namespace", "values"}
VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
CHART = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
URL = re.compile(r"^(https?|oci)://[^\s]+$")


def addon_errors(addons, overrides=None, kubernetes_version=""):
    """One sentence per invalid value of the add-ons, each naming the variable, the value and the rule."""
    errors = []
    known = sorted(addons or {})
    for key in sorted(overrides or {}):
        if key in known:
            errors.append(f"platform_addons_overrides.{key}: {key}'s settings are variables of their own: set "
                          f"addon_{key}_<setting> instead (roles/addon_{key}/defaults/main.yml lists them)")
        else:
            errors.append(f"platform_addons_overrides.{key}: unknown add-on; the add-ons are {', '.join(known)}")
    for name, addon in sorted((addons or {}).items()):
        prefix = f"addon_{name}_"
        missing = sorted(prefix + k for k in ADDON_KEYS if k not in addon)
        if missing:
            errors.append(f"roles/addon_{name}/defaults/main.yml must set {', '.join(missing)}")
        if not isinstance(addon.get("enabled"), bool):
            errors.append(f"{prefix}enabled={addon.get('enabled')!r}: must be true or false")
        if not VERSION.match(str(addon.get("version", ""))):
            errors.append(f"{prefix}version={addon.get('version')!r}: must be a chart version such as 1.30.0")
        if not CHART.match(str(addon.get("chart", ""))):
            errors.append(f"{prefix}chart={addon.get('chart')!r}: must be a chart name (lower case, digits, dashes)")
        if not URL.match(str(addon.get("repository", ""))):
            errors.append(f"{prefix}repository={addon.get('repository')!r}: must be an http(s) or oci URL")
        if not DNS_LABEL.match(str(addon.get("namespace", ""))):
            errors.append(f"{prefix}namespace={addon.get('namespace')!r}: must be a namespace name")
        if not isinstance(addon.get("values", {}), dict):
            errors.append(f"{prefix}values={addon.get('values')!r}: must be a mapping of chart values")
        check = _CHECKS.get(name)
        if check:
            errors.extend(check(prefix, addon, kubernetes_version))
    return errors


def _weights(path, routes):
    errors = []
    if not isinstance(routes, list) or not routes:
        return [f"{path}={routes!r}: must be a non-empty list of {{subset, weight}}"]
    weights = [r.get("weight") if isinstance(r, dict) else None for r in routes]
    for index, weight in enumerate(weights):
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
            errors.append(f"{path}[{index}].weight={weight!r}: must be a whole number from 0 to 100")
    if not errors and sum(weights) != 100:
        errors.append(f"{path} weights {weights} sum to {sum(weights)}: they must sum to 100")
    return errors


def _istio(prefix, addon, kubernetes_version):
    traffic = addon.get("traffic") or {}
    errors = _weights(f"{prefix}traffic.routes", traffic.get("routes"))
    subsets = [s.get("name") for s in traffic.get("subsets") or [] if isinstance(s, dict)]
    routed = [(f"{prefix}traffic.routes[{i}].subset", r.get("subset"))
              for i, r in enumerate(traffic.get("routes") or []) if isinstance(r, dict)]
    for path, subset in routed + [(f"{prefix}traffic.canary_subset", traffic.get("canary_subset"))]:
        if subset not in subsets:
            errors.append(f"{path}={subset!r}: not a subset of {prefix}traffic.subsets ({', '.join(map(str, subsets))}); "
                          "Envoy answers 503 to the requests routed to a subset the DestinationRule does not define")
    errors += _replicas(f"{prefix}pilot", addon.get("pilot") or {})
    return errors


def _replicas(path, scaled):
    """min_replicas <= max_replicas (and replicas between them, where set): the HPA refuses the other way round."""
    low, high, now = scaled.get("min_replicas"), scaled.get("max_replicas"), scaled.get("replicas")
    numbers = [v for v in (low, high, now) if v is not None]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in numbers):
        return [f"{path}: min_replicas={low!r}, max_replicas={high!r} and replicas={now!r} must be whole numbers"]
    if low is not None and high is not None and (low > high or high < 1):
        return [f"{path}: min_replicas={low} is above max_replicas={high}: the autoscaler refuses it (the minimum must "
                "be at most the maximum, and the maximum at least 1)"]
    if now is not None and low is not None and high is not None and not low <= now <= high:
        return [f"{path}: replicas={now} is outside min_replicas={low}..max_replicas={high}"]
    return []


# KEDA's scalers by trigger type (https://keda.sh/docs/2.20/scalers/, the pinned chart's KEDA): a misspelt type
# makes KEDA's admission webhook refuse the ScaledObject, after the release and every other object went in.
KEDA_TRIGGERS = frozenset("""
activemq apache-kafka arangodb artemis-queue aws-cloudwatch aws-dynamodb aws-dynamodb-streams aws-kinesis-stream
aws-sqs-queue azure-app-insights azure-blob azure-data-explorer azure-eventhub azure-log-analytics azure-monitor
azure-pipelines azure-queue azure-servicebus beanstalkd cassandra couchdb cpu cron datadog dynatrace elasticsearch
etcd external external-push gcp-cloudtasks gcp-pubsub gcp-stackdriver gcp-storage github-runner graphite
huawei-cloudeyes ibmmq influxdb kafka kubernetes-workload liiklus loki memory metrics-api mongodb mssql mysql
nats-jetstream new-relic nsq openstack-metric openstack-swift postgresql predictkube prometheus pulsar rabbitmq redis
redis-cluster redis-cluster-streams redis-sentinel redis-sentinel-streams redis-streams selenium-grid solace-event-queue
solr splunk stan temporal
""".split())


def _keda(prefix, addon, kubernetes_version):
    errors = []
    for kind in ("scaled_objects", "scaled_jobs"):
        for index, scaled in enumerate(addon.get(kind) or []):
            if not isinstance(scaled, dict):
                continue
            path = f"{prefix}{kind}[{index}]"
            errors += _replicas(path, scaled)
            for number, trigger in enumerate(scaled.get("triggers") or []):
                kind_of = trigger.get("type") if isinstance(trigger, dict) else None
                if kind_of not in KEDA_TRIGGERS:
                    errors.append(f"{path}.triggers[{number}].type={kind_of!r}: not a KEDA scaler (keda.sh/docs/scalers); "
                                  "KEDA's webhook would refuse the object after the rest of the platform went in")
    return errors


def _cluster_autoscaler(prefix, addon, kubernetes_version):
    tag = str(addon.get("image_tag", ""))
    match = re.match(r"^v([0-9]+)\.([0-9]+)\.[0-9]+$", tag)
    if not match:
        return [f"{prefix}image_tag={tag!r}: must be a cluster-autoscaler release such as v1.35.0"]
    if kubernetes_version and f"{match.group(1)}.{match.group(2)}" != str(kubernetes_version):
        return [f"{prefix}image_tag={tag!r}: its minor must equal the cluster's (platform_eks_version="
                f"{kubernetes_version}); cluster-autoscaler supports only the Kubernetes minor it was built for"]
    return []


_CHECKS = {"istio": _istio, "cluster_autoscaler": _cluster_autoscaler, "keda": _keda}


class FilterModule:
    def filters(self):
        return {"addon_errors": addon_errors}
