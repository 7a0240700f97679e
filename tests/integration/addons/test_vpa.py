"""The Vertical Pod Autoscaler on the converged local platform (spec 4.2.1): the official chart at the pinned version
in kube-system with its recommender, updater and admission controller running, and the spec's two
VerticalPodAutoscalers exactly as written (the API's Auto with its container policy, the workers' Off), which the
API server checks field by field."""

from __future__ import annotations

import json

NS = "kube-system"
LABELS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}


def test_recommender_updater_and_admission_controller_are_enabled_and_running(addons):
    values = addons.values("vertical-pod-autoscaler", NS)
    for key, name in [("recommender", "recommender"), ("updater", "updater"),
                      ("admissionController", "admission-controller")]:
        assert values[key]["enabled"] is True, key
        assert values[key]["replicas"] == 2, key
        assert values[key]["priorityClassName"] == "triptrip-platform-critical", key
        deployment = addons.get("deployment", f"vertical-pod-autoscaler-{name}", NS)
        assert deployment["status"].get("readyReplicas") == 2, name
        assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"] == values[key]["resources"]


def test_the_api_vpa_is_the_spec_auto_policy(addons):
    vpa = addons.get("verticalpodautoscaler", "triptrip-api-vpa", "triptrip-api")
    assert LABELS.items() <= vpa["metadata"]["labels"].items()
    assert vpa["spec"] == {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "triptrip-api"},
        "updatePolicy": {"updateMode": "Auto"},
        "resourcePolicy": {"containerPolicies": [{
            "containerName": "api",
            "minAllowed": {"cpu": "250m", "memory": "256Mi"},
            "maxAllowed": {"cpu": "4", "memory": "8Gi"},
            "controlledResources": ["cpu", "memory"],
            "controlledValues": "RequestsAndLimits",
        }]},
    }


def test_the_worker_vpa_only_recommends(addons):
    vpa = addons.get("verticalpodautoscaler", "triptrip-worker-vpa", "triptrip-workers")
    assert LABELS.items() <= vpa["metadata"]["labels"].items()
    assert vpa["spec"] == {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "triptrip-queue-worker"},
        "updatePolicy": {"updateMode": "Off"},
        "resourcePolicy": {"containerPolicies": [{
            "containerName": "worker",
            "minAllowed": {"cpu": "100m", "memory": "128Mi"},
            "maxAllowed": {"cpu": "2", "memory": "4Gi"},
        }]},
    }


def test_the_api_server_rejects_a_misspelt_field_or_an_unknown_update_mode(addons):
    vpa = addons.get("verticalpodautoscaler", "triptrip-api-vpa", "triptrip-api")
    spec = json.loads(json.dumps(vpa["spec"]))
    spec["resourcePolicy"]["containerPolicies"][0]["maxAlowed"] = spec["resourcePolicy"]["containerPolicies"][0].pop(
        "maxAllowed")
    typo = {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
            "metadata": {"name": "triptrip-api-vpa", "namespace": "triptrip-api"}, "spec": spec}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test", "--force-conflicts",
                         "-f", "-", stdin=json.dumps(typo))
    assert res.returncode != 0
    assert "maxAlowed: field not declared in schema" in res.stderr
    typo["spec"] = {**vpa["spec"], "updatePolicy": {"updateMode": "Automatic"}}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test", "--force-conflicts",
                         "-f", "-", stdin=json.dumps(typo))
    assert res.returncode != 0
    assert 'Unsupported value: "Automatic"' in res.stderr
