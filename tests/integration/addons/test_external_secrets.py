"""External Secrets Operator on the converged local platform (spec 6.3.1): the release at the pinned version in
`external-secrets`, its service account `external-secrets` on EKS Pod Identity, the ClusterSecretStore `aws-secrets-manager`
(Secrets Manager in the region, authenticated with that service account), the API's ExternalSecret
`database-credentials` at external-secrets.io/v1 with the spec's refresh, target template (Go placeholders reaching
the API server literally) and five keys of this environment's secret, and field-by-field checking by the API
server."""

from __future__ import annotations

import json

NS = "external-secrets"
CLUSTER = "triptrip-local"
REGION = "ap-northeast-1"
LABELS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}
DATABASE_URL = ("postgresql://{{ .username }}:{{ .password }}@{{ .host }}:{{ .port }}/{{ .database }}"
                "?sslmode=require")


def test_the_service_account_external_secrets_gets_its_role_through_pod_identity(addons):
    values = addons.values("external-secrets", NS)
    assert values["serviceAccount"]["name"] == "external-secrets"
    ways = addons.credentials(NS, "external-secrets")
    assert ways["irsa"] == "" and ways["pod_identity"].endswith(f":role/{CLUSTER}-external-secrets"), ways
    operator = addons.get("deployment", "external-secrets", NS)
    assert operator["spec"]["template"]["spec"]["serviceAccountName"] == "external-secrets"


def test_the_operator_and_webhook_are_highly_available_in_the_restricted_namespace(addons):
    assert addons.get("namespace", NS)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    values = addons.values("external-secrets", NS)
    assert values["leaderElect"] is True and values["replicaCount"] == 2
    assert values["installCRDs"] is True
    for name, replicas in [("external-secrets", 2), ("external-secrets-webhook", 2),
                           ("external-secrets-cert-controller", 1)]:
        deployment = addons.get("deployment", name, NS)
        assert deployment["status"].get("readyReplicas") == replicas, name
        assert deployment["spec"]["template"]["spec"]["priorityClassName"] == "triptrip-platform-critical", name


def test_the_cluster_secret_store_reads_secrets_manager_with_the_operators_identity(addons):
    store = addons.get("clustersecretstore", "aws-secrets-manager")
    assert store["apiVersion"] == "external-secrets.io/v1"
    assert LABELS.items() <= store["metadata"]["labels"].items()
    assert store["spec"]["provider"] == {"aws": {
        "service": "SecretsManager", "region": REGION,
        "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": NS}}},
    }}


def test_the_database_credentials_are_the_specs_from_this_environments_secret(addons):
    secret = addons.get("externalsecret", "database-credentials", "triptrip-api")
    assert secret["apiVersion"] == "external-secrets.io/v1"
    assert LABELS.items() <= secret["metadata"]["labels"].items()
    spec = secret["spec"]
    assert spec["refreshInterval"] == "1h"
    assert spec["secretStoreRef"] == {"name": "aws-secrets-manager", "kind": "ClusterSecretStore"}
    assert spec["target"] == {"name": "database-credentials", "creationPolicy": "Owner",
                              "template": {"type": "Opaque", "engineVersion": "v2",
                                           "data": {"DATABASE_URL": DATABASE_URL}}}
    keys = ["username", "password", "host", "port", "database"]
    assert spec["data"] == [{"secretKey": key, "remoteRef": {"key": "triptrip/production/database", "property": key}}
                            for key in keys]


def test_the_operator_may_reach_aws_and_the_control_plane_its_webhook(addons):
    # From the flow catalog (addon_external_secrets_flows, roles/addon_external_secrets/defaults/main.yml), applied by
    # the cluster baseline.
    egress = addons.get("networkpolicy", "flow-external-secrets-secrets-manager-out", NS)
    assert egress["metadata"]["annotations"]["triptrip.io/flow"] == "external_secrets/secrets-manager"
    assert egress["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "external-secrets"}}
    [rule] = egress["spec"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
    assert rule["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert "169.254.0.0/16" in rule["to"][0]["ipBlock"]["except"]
    ingress = addons.get("networkpolicy", "flow-external-secrets-webhook-from-control-plane-in", NS)["spec"]
    assert ingress["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "external-secrets-webhook"}}
    assert ingress["ingress"] == [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}],
                                   "ports": [{"protocol": "TCP", "port": 10250}]}]


def test_a_misspelt_field_or_unknown_service_of_the_store_is_rejected(addons):
    secret = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
              "metadata": {"name": "database-credentials", "namespace": "triptrip-api"},
              "spec": {"refreshIntervall": "1h"}}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=pytest", "-f", "-",
                         stdin=json.dumps(secret))
    assert res.returncode != 0
    assert ".spec.refreshIntervall: field not declared in schema" in res.stderr
    store = {"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
             "metadata": {"name": "pytest-store"},
             "spec": {"provider": {"aws": {"service": "SecretManager", "region": REGION}}}}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=pytest", "-f", "-",
                         stdin=json.dumps(store))
    assert res.returncode != 0
    assert 'Unsupported value: "SecretManager"' in res.stderr
