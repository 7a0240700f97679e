"""manifest_name_errors: the inventory's strings that the roles' templates write raw into manifests as YAML text hold
Kubernetes' rules (DNS-1123 names, label values, qualified keys) or a shape without YAML punctuation; a newline and a
key after it are refused, the shipped settings pass, and every path it checks exists in the defaults."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter.manifest_name_errors import PATHS, _values, manifest_name_errors
from ansible_collections.triptrip.platform.plugins.lookup.addon_settings import role_settings


@pytest.fixture(scope="module")
def settings(root):
    """The merged settings the preflight hands the filter, from group_vars/all and the add-on roles' defaults (templates
    rendered by hand)."""
    merged = {}
    for path in sorted((root / "group_vars" / "all").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    addons = copy.deepcopy(role_settings(root / "roles"))
    addons["fluent_bit"]["cloudwatch"].update(region="ap-northeast-1", log_group="/aws/eks/triptrip-production/containers")
    return {"platform_addons": addons, "platform_workloads": merged["platform_workloads_base"],
            "platform_storage_class": merged["platform_storage_class"],
            "platform_priority_classes": merged["platform_priority_classes"], "platform_rbac_groups": merged["platform_rbac_groups"]}


def changed(settings, path, value):
    """A copy of settings with the value at a dotted path (list items as [i]) replaced."""
    copied = copy.deepcopy(settings)
    *parents, last = path.replace("[", ".[").split(".")
    node = copied
    for part in parents:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return copied


def test_the_shipped_settings_pass(settings):
    assert manifest_name_errors(settings) == []


def test_every_checked_path_reaches_a_value_of_the_defaults(settings):
    # A path that matches nothing would check nothing (a rename in group_vars/all would silently end the check).
    for pattern, _rule in PATHS:
        name, *rest = pattern.split(".")
        if pattern.endswith(("annotations.<keys>", "annotations.*")):
            continue  # optional: the defaults give the Ingress no annotations of its own
        assert list(_values(settings[name], rest, name)), pattern


@pytest.mark.parametrize("path, value, message", [
    ("platform_addons.istio.traffic.service", "triptrip-api\nnamespace: kube-system",
     'addon_istio_traffic.service="triptrip-api\\nnamespace: kube-system": must be a DNS-1123 label'),
    ("platform_addons.istio.traffic.subsets[0]", {"name": "stable", "labels": {"version": "stable\nextra: key"}},
     'addon_istio_traffic.subsets[0].labels.version="stable\\nextra: key": must be a Kubernetes label value'),
    ("platform_addons.istio.traffic.subsets[1]", {"name": "canary", "labels": {"bad key": "canary"}},
     'addon_istio_traffic.subsets[1].labels key "bad key": must be a Kubernetes label or annotation key'),
    ("platform_addons.istio.traffic.canary_header", {"name": "x-canary: yes\nx", "exact": "true"},
     "addon_istio_traffic.canary_header.name="),
    ("platform_addons.istio.traffic.timeout", 90, "addon_istio_traffic.timeout=90: must be a duration"),
    ("platform_addons.aws_load_balancer_controller.ingress.hosts", ["https://api.triptrip.com/"],
     'addon_aws_load_balancer_controller_ingress.hosts[0]="https://api.triptrip.com/": must be a lower-case DNS name'),
    ("platform_addons.keda.scaled_objects[0].name", "Worker", 'addon_keda_scaled_objects[0].name="Worker"'),
    ("platform_addons.vpa.autoscalers[0].target", {"kind": "Deployment\nspec: {}", "name": "triptrip-api"},
     "addon_vpa_autoscalers[0].target.kind="),
    ("platform_addons.fluent_bit.cloudwatch.log_group", "/aws/eks/x\n[OUTPUT]",
     "addon_fluent_bit_cloudwatch.log_group=\"/aws/eks/x\\n[OUTPUT]\": must be one word"),
    ("platform_workloads.api.release", "TripTrip-API", 'platform_workloads.api.release="TripTrip-API": must be a Helm release name'),
    ("platform_workloads.api.release", "a" * 54, "platform_workloads.api.release="),
    ("platform_storage_class.name", "gp3 encrypted", 'platform_storage_class.name="gp3 encrypted"'),
    ("platform_priority_classes[0].value", "1000\npreemptionPolicy: Never",
     'platform_priority_classes[0].value="1000\\npreemptionPolicy: Never": must be a whole number'),
    ("platform_rbac_groups.developers", "triptrip: developers",
     'platform_rbac_groups.developers="triptrip: developers": must be a Kubernetes group name'),
])
def test_a_value_that_would_break_its_manifest_is_refused(settings, path, value, message):
    got = manifest_name_errors(changed(settings, path, value))
    assert len(got) == 1 and got[0].startswith(message), got


@pytest.mark.parametrize("path, value", [
    ("platform_addons.aws_load_balancer_controller.ingress.hosts", ["*.triptrip.com", "api.triptrip.com"]),
    ("platform_addons.aws_load_balancer_controller.ingress.annotations", {"alb.ingress.kubernetes.io/tags": "a=b, c=d"}),
    ("platform_addons.istio.traffic.timeout", "1h30m"),
    ("platform_addons.istio.traffic.subsets[0]", {"name": "stable", "labels": {"app.kubernetes.io/version": "v1.2_3"}}),
    ("platform_addons.keda.scaled_jobs[0].priority_class", ""),
    ("platform_workloads.api.release", "a" * 53),
    ("platform_rbac_groups.developers", "arn:aws:iam::123456789012:role/dev@team"),
])
def test_valid_values_of_the_same_fields_pass(settings, path, value):
    assert manifest_name_errors(changed(settings, path, value)) == []


def test_values_of_another_shape_are_left_to_the_type_check(settings):
    # settings_errors refuses a list where a mapping belongs; this filter reaches nothing there instead of failing.
    assert manifest_name_errors(changed(settings, "platform_addons.istio.traffic", "not a mapping")) == []
