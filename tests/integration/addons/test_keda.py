"""KEDA on the converged local platform (spec 4.4.1): the release at the pinned version in `keda` with the operator's
service account on EKS Pod Identity, a TriggerAuthentication of the operator's identity in each namespace whose triggers use it, the queue workers'
ScaledObject and the batch ScaledJob as the spec writes them (SQS queue URLs of this account and region), a Job
template that Pod Security `restricted` and the namespace quota admit, and field-by-field checking by the API server."""

from __future__ import annotations

import json

import pytest

NS = "keda"
CLUSTER = "triptrip-local"
REGION = "ap-northeast-1"
LABELS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}
AUTH = {"name": "keda-aws-credentials"}


@pytest.fixture(scope="module")
def account(addons) -> str:
    """The account of the role KEDA's operator gets through its pod identity association
    (arn:aws:iam::<account>:role/<cluster>-keda)."""
    arn = addons.credentials(NS, "keda-operator")["pod_identity"]
    assert arn.endswith(f":role/{CLUSTER}-keda"), arn
    return arn.split(":")[4]


def queue_url(account: str, queue: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{account}/{queue}"


def test_the_operator_service_account_is_keda_operator_on_pod_identity(addons, account):
    values = addons.values("keda", NS)
    assert values["serviceAccount"]["operator"]["name"] == "keda-operator"
    # EKS Pod Identity (platform_aws_identity): the chart's IRSA annotation is off, the association gives the role.
    assert values["podIdentity"]["aws"]["irsa"] == {"enabled": False, "roleArn": ""}
    assert addons.credentials(NS, "keda-operator") == {"irsa": "", "pod_identity": f"arn:aws:iam::{account}:role/{CLUSTER}-keda"}
    operator = addons.get("deployment", "keda-operator", NS)
    assert operator["spec"]["template"]["spec"]["serviceAccountName"] == "keda-operator"
    assert len(account) == 12 and account.isdigit()


def test_the_workloads_run_in_the_restricted_namespace(addons):
    namespace = addons.get("namespace", NS)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for name, replicas in [("keda-operator", 2), ("keda-operator-metrics-apiserver", 1), ("keda-admission-webhooks", 1)]:
        deployment = addons.get("deployment", name, NS)
        assert deployment["status"].get("readyReplicas") == replicas, name
        assert deployment["spec"]["template"]["spec"]["priorityClassName"] == "triptrip-platform-critical"


def test_a_trigger_authentication_on_the_operators_identity_where_triggers_use_it(addons):
    listed = json.loads(addons.kubectl("get", "triggerauthentications", "-A", "-o", "json").stdout)["items"]
    assert sorted((t["metadata"]["namespace"], t["metadata"]["name"]) for t in listed) == [
        ("triptrip-batch", "keda-aws-credentials"), ("triptrip-workers", "keda-aws-credentials")]
    for item in listed:
        assert LABELS.items() <= item["metadata"]["labels"].items()
        assert item["spec"] == {"podIdentity": {"provider": "aws", "identityOwner": "keda"}}


def test_the_queue_worker_scaled_object_is_the_spec(addons, account):
    so = addons.get("scaledobject", "triptrip-queue-worker", "triptrip-workers")
    assert LABELS.items() <= so["metadata"]["labels"].items()
    assert so["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "triptrip-queue-worker"},
        "pollingInterval": 15,
        "cooldownPeriod": 300,
        "minReplicaCount": 1,
        "maxReplicaCount": 50,
        "fallback": {"failureThreshold": 3, "replicas": 5},
        "triggers": [
            {"type": "aws-sqs-queue", "authenticationRef": AUTH,
             "metadata": {"queueURL": queue_url(account, "triptrip-task-queue"), "queueLength": "10",
                          "awsRegion": REGION}},
            {"type": "kafka",
             "metadata": {"bootstrapServers": "kafka-cluster.triptrip-workers.svc.cluster.local:9092", "consumerGroup": "triptrip-consumer",
                          "topic": "booking-events", "lagThreshold": "100"}},
            {"type": "redis-cluster-streams",
             "metadata": {"addresses": "redis-cluster.triptrip-cache.svc.cluster.local:6379", "stream": "events", "consumerGroup": "triptrip-workers",
                          "pendingEntriesCount": "50"}},
        ],
    }


def test_the_batch_scaled_job_is_the_spec_with_a_pinned_restricted_container(addons, account):
    sj = addons.get("scaledjob", "triptrip-batch-processor", "triptrip-batch")
    spec = sj["spec"]
    assert LABELS.items() <= sj["metadata"]["labels"].items()
    assert (spec["pollingInterval"], spec["maxReplicaCount"]) == (30, 20)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 5)
    job = spec["jobTargetRef"]
    assert (job["parallelism"], job["completions"], job["backoffLimit"]) == (1, 1, 3)
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["name"] == "processor"
    repository, _colon, tag = container["image"].rpartition(":")
    assert repository == "triptrip/batch-processor" and tag not in ("", "latest")
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert spec["triggers"] == [
        {"type": "aws-sqs-queue", "authenticationRef": AUTH,
         "metadata": {"queueURL": queue_url(account, "triptrip-batch-queue"), "queueLength": "1",
                      "awsRegion": REGION}},
    ]


def test_the_job_template_is_admitted_by_pod_security_restricted_and_the_quota(addons):
    """What KEDA would create: a Job and its pod from the template, dry-run in the restricted, quota'd namespace."""
    sj = addons.get("scaledjob", "triptrip-batch-processor", "triptrip-batch")
    template = sj["spec"]["jobTargetRef"]["template"]
    objects = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "keda-template-check", "namespace": "triptrip-batch"},
         "spec": {"backoffLimit": 0, "template": template}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "keda-template-check", "namespace": "triptrip-batch"},
         "spec": template["spec"]},
    ]}
    res = addons.kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(objects))
    assert res.returncode == 0, res.stderr
    assert "violate PodSecurity" not in res.stderr


@pytest.mark.parametrize("kind,name,namespace,path,typo", [
    ("scaledobject", "triptrip-queue-worker", "triptrip-workers", [], "pollingIntervall"),
    ("scaledjob", "triptrip-batch-processor", "triptrip-batch", ["jobTargetRef"], "backoffLimitt"),
    ("triggerauthentication", "keda-aws-credentials", "triptrip-workers", ["podIdentity"], "identityOwnr"),
])
def test_the_api_server_rejects_a_misspelt_field(addons, kind, name, namespace, path, typo):
    obj = addons.get(kind, name, namespace)
    spec = obj["spec"]
    target = spec
    for key in path:
        target = target[key]
    target[typo] = 1
    typoed = {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
              "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=test", "--force-conflicts",
                         "-f", "-", stdin=json.dumps(typoed))
    assert res.returncode != 0
    assert f"{typo}: field not declared in schema" in res.stderr
