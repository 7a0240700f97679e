"""addon_chart and addon_errors: where Helm finds each chart, and preflight of the add-ons' declarations."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter.addon_chart import addon_chart
from ansible_collections.triptrip.platform.plugins.filter.addon_errors import addon_errors
from ansible_collections.triptrip.platform.plugins.lookup.addon_settings import role_settings

ADDON = {"enabled": True, "chart": "istiod", "version": "1.30.0",
         "repository": "https://istio-release.storage.googleapis.com/charts", "namespace": "istio-system", "values": {},
         "traffic": {"routes": [{"subset": "stable", "weight": 95}, {"subset": "canary", "weight": 5}],
                     "canary_subset": "canary", "subsets": [{"name": "stable"}, {"name": "canary"}]},
         "pilot": {"replicas": 2, "min_replicas": 2, "max_replicas": 5}}
KEDA = {**copy.deepcopy(ADDON), "chart": "keda", "scaled_objects": [
    {"name": "worker", "min_replicas": 1, "max_replicas": 50, "triggers": [{"type": "aws-sqs-queue"}, {"type": "kafka"}]}],
    "scaled_jobs": [{"name": "batch", "max_replicas": 20, "triggers": [{"type": "aws-sqs-queue"}]}]}


@pytest.fixture(scope="module")
def shipped(root):
    """Every add-on as its role's defaults (addon_<name>_*) declare it."""
    addons = role_settings(root / "roles")
    assert len(addons) == len(list((root / "roles").glob("addon_*")))
    assert not list((root / "group_vars" / "all").glob("addon_*.yml"))
    return addons


def test_repository_source_names_the_chart_version_and_repository():
    assert addon_chart(ADDON, "repository") == {
        "ref": "istiod", "version": "1.30.0", "repo_url": "https://istio-release.storage.googleapis.com/charts"}


def test_an_oci_upstream_repository_is_addressed_as_registry_and_chart():
    addon = {**ADDON, "chart": "node-problem-detector", "version": "2.4.0",
             "repository": "oci://ghcr.io/deliveryhero/helm-charts"}
    assert addon_chart(addon, "repository") == {
        "ref": "oci://ghcr.io/deliveryhero/helm-charts/node-problem-detector", "version": "2.4.0"}


def test_oci_source_appends_the_chart_to_the_registry():
    got = addon_chart(ADDON, "oci", "oci://123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/charts/", "", "base")
    assert got == {"ref": "oci://123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/charts/base", "version": "1.30.0"}


def test_mirror_source_is_the_packaged_chart_helm_pull_writes():
    assert addon_chart(ADDON, "mirror", "", "/srv/charts/") == {"ref": "/srv/charts/istiod-1.30.0.tgz"}


@pytest.mark.parametrize(("source", "oci", "mirror", "message"), [
    ("mirror", "", "", "platform_addons_chart_mirror is empty"),
    ("oci", "https://registry.example.com", "", "platform_addons_chart_oci_registry='https://registry.example.com'"),
    ("git", "", "", "platform_addons_chart_source='git' must be repository, oci or mirror"),
])
def test_bad_chart_source_names_the_variable(source, oci, mirror, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        addon_chart(ADDON, source, oci, mirror)


def test_the_shipped_addons_are_valid(shipped):
    assert shipped, "no add-on role found"
    # An `enabled` derived from other settings (nvidia_device_plugin's, from the node groups) is a Jinja expression
    # here; preflight checks its value on every inventory (test_shared_defaults.py), its results are tested in
    # tests/unit/test_addon_nvidia_device_plugin.py.
    derived = {name: {**addon, "enabled": True} for name, addon in shipped.items() if str(addon.get("enabled")).startswith("{{")}
    assert sorted(derived) == ["nvidia_device_plugin"]
    assert addon_errors({**shipped, **derived}, {}, "1.35") == []


def test_every_shipped_addon_has_a_test_double_chart(root, shipped):
    for name, addon in shipped.items():
        for chart in [addon["chart"], *addon.get("extra_charts", [])]:
            double = root / "tests" / "charts" / chart / "Chart.yaml"
            assert double.exists(), f"{name}: no test-double chart {double}"
            meta = yaml.safe_load(double.read_text())
            assert meta["name"] == chart
            assert meta["annotations"]["triptrip.io/test-double"] == "true"
            assert meta["description"].startswith("TEST DOUBLE")


def errors_of(change, name="istio", overrides=None, kubernetes="1.35"):
    addon = copy.deepcopy(ADDON)
    change(addon)
    return addon_errors({name: addon, "keda": copy.deepcopy(KEDA)}, overrides or {}, kubernetes)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda a: a.update(version="1.30"), "addon_istio_version='1.30': must be a chart version such as 1.30.0"),
    (lambda a: a.update(version="latest"), "addon_istio_version='latest': must be a chart version"),
    (lambda a: a.update(enabled="yes"), "addon_istio_enabled='yes': must be true or false"),
    (lambda a: a.update(chart="Istio_D"), "addon_istio_chart='Istio_D': must be a chart name"),
    (lambda a: a.update(repository="istio-release"), "addon_istio_repository='istio-release': must be an"),
    (lambda a: a.update(namespace="Istio System"), "addon_istio_namespace='Istio System': must be a namespace"),
    (lambda a: a.update({"values": ["a"]}), "addon_istio_values=['a']: must be a mapping of chart values"),
    (lambda a: a["traffic"]["routes"][1].update(weight=10),
     "addon_istio_traffic.routes weights [95, 10] sum to 105: they must sum to 100"),
    (lambda a: a["traffic"]["routes"][0].update(weight="95"),
     "addon_istio_traffic.routes[0].weight='95': must be a whole number from 0 to 100"),
    (lambda a: a["traffic"].update(routes=[]), "addon_istio_traffic.routes=[]: must be a non-empty list"),
    (lambda a: a.pop("namespace"), "roles/addon_istio/defaults/main.yml must set addon_istio_namespace"),
    # Issue #26: combinations each valid alone.
    (lambda a: a["traffic"]["routes"][1].update(subset="canray"),
     "addon_istio_traffic.routes[1].subset='canray': not a subset of addon_istio_traffic.subsets (stable, canary)"),
    (lambda a: a["traffic"].update(canary_subset="beta"), "addon_istio_traffic.canary_subset='beta': not a subset"),
    (lambda a: a["pilot"].update(min_replicas=6, max_replicas=3),
     "addon_istio_pilot: min_replicas=6 is above max_replicas=3: the autoscaler refuses it"),
    (lambda a: a["pilot"].update(replicas=9), "addon_istio_pilot: replicas=9 is outside min_replicas=2..max_replicas=5"),
    (lambda a: a["pilot"].update(max_replicas="5"), "addon_istio_pilot: min_replicas=2, max_replicas='5'"),
])
def test_each_rule_names_the_variable_and_the_value(change, expected):
    errors = errors_of(change)
    assert any(e.startswith(expected) for e in errors), errors


def test_the_overrides_of_before_are_refused_with_the_variables_to_set():
    errors = errors_of(lambda a: None, overrides={"linkerd": {"enabled": True}, "keda": {"replicas": 2}})
    assert errors == ["platform_addons_overrides.keda: keda's settings are variables of their own: set addon_keda_<setting> "
                      "instead (roles/addon_keda/defaults/main.yml lists them)",
                      "platform_addons_overrides.linkerd: unknown add-on; the add-ons are istio, keda"]


def test_cluster_autoscaler_image_minor_must_equal_the_cluster_minor():
    addon = {**copy.deepcopy(ADDON), "chart": "cluster-autoscaler", "image_tag": "v1.34.2"}
    errors = addon_errors({"cluster_autoscaler": addon}, {}, "1.35")
    assert errors == ["addon_cluster_autoscaler_image_tag='v1.34.2': its minor must equal the cluster's "
                      "(platform_eks_version=1.35); cluster-autoscaler supports only the Kubernetes minor it was built for"]
    addon["image_tag"] = "v1.35.0"
    assert addon_errors({"cluster_autoscaler": addon}, {}, "1.35") == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda k: k["scaled_objects"][0]["triggers"][0].update(type="aws-sqs"),
     "addon_keda_scaled_objects[0].triggers[0].type='aws-sqs': not a KEDA scaler"),
    (lambda k: k["scaled_objects"][0].update(min_replicas=60),
     "addon_keda_scaled_objects[0]: min_replicas=60 is above max_replicas=50"),
    (lambda k: k["scaled_jobs"][0]["triggers"][0].update(type="sqs"),
     "addon_keda_scaled_jobs[0].triggers[0].type='sqs': not a KEDA scaler"),
])
def test_keda_s_scaled_objects_and_jobs_are_held_to_keda_s_rules(change, expected):
    keda = copy.deepcopy(KEDA)
    assert addon_errors({"keda": keda}, {}, "1.35") == []
    change(keda)
    errors = addon_errors({"keda": keda}, {}, "1.35")
    assert len(errors) == 1 and errors[0].startswith(expected), errors
