"""chart_values_errors: the workloads' chart values as Helm would get them (values.yaml, values-<profile>.yaml, then the
inventory's, a null removing a default) against each chart's values.schema.json and its templates' rules. The shipped
workloads pass with every profile; each kind of refusal names the variable path and the value; a value from the
chart's own files is named by its file; what other checks refuse is left to them; jsonschema missing stops the
preflight; each file is read once."""

from __future__ import annotations

import copy
import shutil

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter import chart_values_errors as plugin
from ansible_collections.triptrip.platform.plugins.filter.chart_values_errors import chart_values_errors


@pytest.fixture(scope="module")
def base(root):
    return yaml.safe_load((root / "group_vars/all/workloads.yml").read_text())["platform_workloads_base"]


@pytest.fixture(scope="module")
def charts(root):
    return str(root / "charts")


def over(base, name, values):
    """The shipped workloads, with `values` merged over one workload's (as platform_workloads_overrides would)."""
    workloads = copy.deepcopy(base)
    workloads[name]["values"] = plugin._combine(workloads[name]["values"], values)  # noqa: SLF001 - the role's merge
    return workloads


@pytest.mark.parametrize("profile", ["production", "staging", ""])
def test_the_shipped_workloads_pass_with_every_profile(base, charts, profile):
    assert chart_values_errors(base, charts, profile) == []


@pytest.mark.parametrize(("name", "values", "expected"), [
    # Unknown keys at every level of the chart's own mappings, with the closest known key.
    ("api", {"replicaCont": 6},
     "platform_workloads.api.values.replicaCont=6: unknown key, did you mean replicaCount?"),
    ("api", {"autoscaling": {"maxReplica": 50}},
     "platform_workloads.api.values.autoscaling.maxReplica=50: unknown key, did you mean maxReplicas? (autoscaling "
     "takes behavior, enabled, extraMetrics, maxReplicas, minReplicas, targetCPUUtilizationPercentage, "
     "targetMemoryUtilizationPercentage)"),
    ("redis", {"networkPolicy": {"clients": [{"namespace": "triptrip-api", "podSelecter": {"app": "api"}}]}},
     "platform_workloads.redis.values.networkPolicy.clients[0].podSelecter={\"app\": \"api\"}: unknown key, did you "
     "mean podSelector?"),
    ("workers", {"queueWorker": {"podDisruptionBudget": {"maxUnavailble": "50%"}}},
     "platform_workloads.workers.values.queueWorker.podDisruptionBudget.maxUnavailble=\"50%\": unknown key, did you "
     "mean maxUnavailable?"),
    # Wrong types, with what YAML made of the text.
    ("api", {"image": {"tag": 1.1}},
     "platform_workloads.api.values.image.tag=1.1: is a number, but must be a string: YAML read the number 1.1"),
    ("api", {"replicaCount": "3"},
     "platform_workloads.api.values.replicaCount=\"3\": is a string, but must be a whole number: write 3 without "
     "quotes"),
    ("redis", {"config": {"appendonly": True}},
     "platform_workloads.redis.values.config.appendonly=true: is true or false, but must be a string or a whole "
     "number: YAML reads an unquoted yes"),
    ("workers", {"queueWorker": {"scaledByKeda": "false"}},
     "platform_workloads.workers.values.queueWorker.scaledByKeda=\"false\": is a string, but must be true or false: "
     "write true or false without quotes"),
    # Ranges and formats.
    ("api", {"service": {"port": 70000}}, "platform_workloads.api.values.service.port=70000: must be at most 65535"),
    ("api", {"podDisruptionBudget": {"minAvailable": "100%"}},
     "platform_workloads.api.values.podDisruptionBudget.minAvailable=\"100%\": must be empty or a whole number of at "
     "least 1 or a percentage from 1% to 99%"),
    ("api", {"resources": {"requests": {"cpu": "half"}}},
     "platform_workloads.api.values.resources.requests.cpu=\"half\": must be a Kubernetes quantity"),
    ("api", {"initContainers": {"waitForDb": {"host": "db; sh"}}},
     "platform_workloads.api.values.initContainers.waitForDb.host=\"db; sh\": must be a DNS name"),
    ("redis", {"config": {"port": 7000}},
     "platform_workloads.redis.values.config.port: the key must be a redis.conf directive other than port and "
     "cluster-port"),
    ("redis", {"replicas": 2}, "platform_workloads.redis.values.replicas=2: must be at least 3"),
    ("workers", {"connections": {"kafka": [{"host": "kafka", "port": 9092}]}},
     "platform_workloads.workers.values.connections.kafka[0]={\"host\": \"kafka\", \"port\": 9092}: must be a broker "
     "with podSelector, or with cidrs holding at least one range"),
    # A null removes a default, which a key the templates read must keep.
    ("api", {"autoscaling": None}, "platform_workloads.api.values.autoscaling: is missing, and the templates read it"),
    # A list is the inventory's whole, a key missing from one of its items too.
    ("redis", {"networkPolicy": {"clients": [{"podSelector": {"app": "x"}}]}},
     "platform_workloads.redis.values.networkPolicy.clients[0].namespace: is missing"),
])
def test_a_value_the_chart_refuses_is_named_with_its_path_and_value(base, charts, name, values, expected):
    (error,) = chart_values_errors(over(base, name, values), charts, "production")
    assert error.startswith(expected), error
    assert error.endswith(f"(charts/{base[name]['chart']}/values.schema.json)")


def test_a_rule_of_the_templates_is_refused_once_the_schema_holds(base, charts):
    assert chart_values_errors(over(base, "api", {"autoscaling": {"maxReplicas": 3}}), charts, "production") == [
        "platform_workloads.api.values: autoscaling.minReplicas=5 is above autoscaling.maxReplicas=3: the API server "
        "refuses such a HorizontalPodAutoscaler (over charts/triptrip-api/values.yaml, values-production.yaml)"]
    # With a schema error too, only the schema error: the rules read the values as valid.
    errors = chart_values_errors(over(base, "api", {"autoscaling": {"maxReplicas": 3, "minReplica": 1}}), charts,
                                 "production")
    assert len(errors) == 1 and "minReplica=1: unknown key" in errors[0]


def test_a_null_removes_an_optional_default_as_helm_does(base, charts):
    # targetCPUUtilizationPercentage: null drops the CPU metric (values.yaml); a null of a key the chart lacks is a key.
    assert chart_values_errors(over(base, "api", {"autoscaling": {"targetCPUUtilizationPercentage": None}}),
                               charts, "production") == []
    (error,) = chart_values_errors(over(base, "api", {"autoscaling": {"targetCPU": None}}), charts, "production")
    assert error.startswith("platform_workloads.api.values.autoscaling.targetCPU=null: unknown key")


def test_a_list_is_replaced_whole_not_merged(base, charts):
    clients = [{"namespace": "triptrip-api"}]
    assert chart_values_errors(over(base, "redis", {"networkPolicy": {"clients": clients}}), charts, "production") == []


def test_the_profile_file_decides_what_the_values_land_on(base, charts):
    # Staging's HPA maximum is 8: a minimum of 10 is above it there, and below production's 100.
    values = {"autoscaling": {"minReplicas": 10}, "podDisruptionBudget": {"minAvailable": "50%"}}
    assert chart_values_errors(over(base, "api", values), charts, "production") == []
    (error,) = chart_values_errors(over(base, "api", values), charts, "staging")
    assert "autoscaling.minReplicas=10 is above autoscaling.maxReplicas=8" in error
    assert error.endswith("(over charts/triptrip-api/values.yaml, values-staging.yaml)")


def test_a_wrong_value_of_the_charts_own_files_is_named_by_its_file(base, root, tmp_path):
    charts = tmp_path / "charts"
    shutil.copytree(root / "charts" / "triptrip-redis", charts / "triptrip-redis")
    profile = charts / "triptrip-redis" / "values-staging.yaml"
    profile.write_text(profile.read_text().replace("size: 20Gi", "size: 20 GB"))
    (error,) = chart_values_errors({"redis": base["redis"]}, str(charts), "staging")
    assert error.startswith("platform_workloads.redis: charts/triptrip-redis/values-staging.yaml sets "
                            "persistence.size=\"20 GB\": must be a Kubernetes quantity")


def test_what_other_checks_refuse_is_left_to_them(base, charts):
    workloads = copy.deepcopy(base)
    workloads["api"]["values"] = None  # settings_errors: values must be a mapping
    workloads["redis"]["chart"] = "triptrip-redsi"  # preflight_errors: every chart a folder of charts/
    workloads["workers"] = "on"  # settings_errors: a workload is a mapping
    assert chart_values_errors(workloads, charts, "production") == []
    # An unknown profile reads no profile file (preflight_errors refuses the profile).
    assert chart_values_errors(base, charts, "prod") == []


def test_without_jsonschema_the_preflight_stops_saying_so(base, charts, monkeypatch):
    monkeypatch.setattr(plugin, "jsonschema", None)
    (error,) = chart_values_errors(base, charts, "production")
    assert "the Python package jsonschema is missing on the controller" in error


def test_each_chart_file_is_read_once(base, charts, monkeypatch):
    monkeypatch.setattr(plugin, "_CACHE", {})
    reads = []
    monkeypatch.setattr(plugin, "_yaml", lambda path, real=plugin._yaml: reads.append(path) or real(path))
    monkeypatch.setattr(plugin, "_validator", lambda path, real=plugin._validator: reads.append(path) or real(path))
    for _run in range(3):
        assert chart_values_errors(base, charts, "production") == []
    # values.yaml, values-production.yaml and values.schema.json of each of the three charts.
    assert len(reads) == len(set(reads)) == 9
