"""The triptrip-redis chart renders the spec's Redis Cluster (Doc-IA-002 3.2.1) as Pod Security `restricted` admits it,
for every values file, and refuses member counts Redis Cluster cannot use."""

from __future__ import annotations


import pytest
import yaml
from chartlib import KUBE_VERSION, VALUES_FILES, one, pod_specs, restricted_violations

CHART = "charts/triptrip-redis"
RELEASE = "redis-cluster"
NAMESPACE = "triptrip-cache"


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_chart_passes_strict_lint(helm, values_file):
    result = helm("lint", "--strict", CHART, "-f", f"{CHART}/{values_file}")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_statefulset_is_the_specs_six_member_parallel_cluster(render, values_file):
    sts = one(render(values_file), "StatefulSet", "redis-cluster")
    spec = sts["spec"]
    assert spec["serviceName"] == "redis-cluster"
    assert spec["replicas"] == 6
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["selector"]["matchLabels"] == {"app": "redis-cluster"}
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "redis-cluster"
    assert pod["priorityClassName"] == "triptrip-business-standard"
    (redis,) = pod["containers"]
    assert redis["command"] == ["redis-server"]
    assert redis["args"][:5] == [
        "/etc/redis/redis.conf", "--cluster-enabled", "yes", "--cluster-config-file", "/data/nodes.conf",
    ]
    assert {p["name"]: p["containerPort"] for p in redis["ports"]} == {"redis": 6379, "cluster-bus": 16379}
    assert redis["readinessProbe"]["exec"]["command"][-1] == "ping"
    assert redis["livenessProbe"]["initialDelaySeconds"] == 30
    assert {m["mountPath"] for m in redis["volumeMounts"]} >= {"/data", "/etc/redis"}


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_deleting_or_scaling_the_statefulset_keeps_the_claims(render, values_file):
    sts = one(render(values_file), "StatefulSet", "redis-cluster")
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_members_never_share_a_node_and_may_use_the_tainted_memory_group(render, values_file):
    pod = one(render(values_file), "StatefulSet", "redis-cluster")["spec"]["template"]["spec"]
    (anti,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    assert anti["labelSelector"]["matchLabels"] == {"app": "redis-cluster"}
    (term,) = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "workload-type", "operator": "In", "values": ["memory", "general"]}]
    # The memory group's taint (group_vars/all/node_groups.yml) must be tolerated, or the affinity above is a lie.
    assert {"key": "workload-type", "operator": "Equal", "value": "memory", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]


def test_the_toleration_matches_the_platforms_memory_taint(root, render):
    groups = yaml.safe_load((root / "group_vars/all/node_groups.yml").read_text())["platform_node_groups_base"]
    pod = one(render(), "StatefulSet", "redis-cluster")["spec"]["template"]["spec"]
    for taint in groups["memory"]["taints"]:
        assert {**taint, "operator": "Equal"} in pod["tolerations"], taint


@pytest.mark.parametrize(("values_file", "size"), [
    ("values.yaml", "50Gi"), ("values-staging.yaml", "20Gi"), ("values-production.yaml", "50Gi"),
])
def test_claims_use_the_platforms_encrypted_gp3_class(root, render, values_file, size):
    storage_class = yaml.safe_load((root / "group_vars/all/scheduling.yml").read_text())["platform_storage_class"]
    (claim,) = one(render(values_file), "StatefulSet", "redis-cluster")["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["storageClassName"] == storage_class["name"] == "gp3-encrypted"
    assert claim["spec"]["resources"]["requests"]["storage"] == size


def test_production_has_the_specs_resources(render):
    (redis,) = one(render("values-production.yaml"), "StatefulSet", "redis-cluster")["spec"]["template"]["spec"][
        "containers"
    ]
    assert redis["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2000m", "memory": "4Gi"},
    }


def test_priority_class_is_one_the_platform_creates(root, render):
    classes = yaml.safe_load((root / "group_vars/all/scheduling.yml").read_text())["platform_priority_classes"]
    pod = one(render(), "StatefulSet", "redis-cluster")["spec"]["template"]["spec"]
    assert pod["priorityClassName"] in {c["name"] for c in classes}


def test_empty_priority_class_is_left_out(render):
    pod = one(render("values.yaml", "priorityClassName="), "StatefulSet", "redis-cluster")["spec"]["template"]["spec"]
    assert "priorityClassName" not in pod


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_headless_service_lists_members_that_are_not_ready(render, values_file):
    svc = one(render(values_file), "Service", "redis-cluster")["spec"]
    assert svc["clusterIP"] == "None"
    assert svc["publishNotReadyAddresses"] is True
    assert svc["selector"] == {"app": "redis-cluster"}
    assert {p["name"]: p["port"] for p in svc["ports"]} == {"redis": 6379, "tcp-cluster-bus": 16379}


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_config_map_is_the_one_the_pods_mount(render, values_file):
    docs = render(values_file)
    conf = one(docs, "ConfigMap", "redis-config")["data"]["redis.conf"].splitlines()
    for line in ("port 6379", "cluster-enabled yes", "appendonly yes", "dir /data"):
        assert line in conf
    assert any(line.startswith("cluster-node-timeout ") for line in conf)
    pod = one(docs, "StatefulSet", "redis-cluster")["spec"]["template"]["spec"]
    assert {"name": "config", "configMap": {"name": "redis-config"}} in pod["volumes"]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_pod_meets_pod_security_restricted(render, values_file):
    specs = pod_specs(render(values_file))
    assert specs
    for name, spec in specs:
        assert restricted_violations(spec) == [], name


def test_restricted_checker_flags_what_restricted_refuses():
    bad = {
        "hostNetwork": True,
        "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}],
        "initContainers": [{"name": "init", "securityContext": {"privileged": True}}],
        "containers": [{
            "name": "app",
            "ports": [{"containerPort": 80, "hostPort": 80}],
            "securityContext": {
                "allowPrivilegeEscalation": False, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
                "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]},
            },
        }],
    }
    found = " | ".join(restricted_violations(bad))
    for expected in ("hostNetwork", "hostPath", "init: privileged", "init: runAsNonRoot", "init: seccomp",
                     "NET_ADMIN", "app: hostPort"):
        assert expected in found


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_network_policy_admits_clients_on_6379_and_members_on_both_ports(render, values_file):
    policy = one(render(values_file), "NetworkPolicy", "redis-cluster")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app": "redis-cluster"}
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    client_namespaces = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["ingress"] for peer in rule["from"] if "namespaceSelector" in peer
        if [p["port"] for p in rule["ports"]] == [6379]
    }
    assert {"triptrip-api", "triptrip-workers"} <= client_namespaces
    members = {"podSelector": {"matchLabels": {"app": "redis-cluster"}}}
    both = [{"protocol": "TCP", "port": 6379}, {"protocol": "TCP", "port": 16379}]
    assert {"from": [members], "ports": both} in policy["ingress"]
    assert policy["egress"] == [{"to": [members], "ports": both}]


def test_service_account_is_left_to_the_platform_by_default(root, render):
    accounts = yaml.safe_load((root / "group_vars/all/rbac.yml").read_text())["platform_service_accounts"]
    assert "redis-cluster" in accounts[NAMESPACE]
    assert not [d for d in render() if d["kind"] == "ServiceAccount"]


def test_service_account_when_created_mounts_no_token(render):
    account = one(render("values.yaml", "serviceAccount.create=true"), "ServiceAccount", "redis-cluster")
    assert account["automountServiceAccountToken"] is False


def test_disruption_budget_allows_one_member_down(render):
    assert one(render(), "PodDisruptionBudget", "redis-cluster")["spec"]["maxUnavailable"] == 1


def test_no_hook_job_is_rendered(render):
    docs = render()
    assert not [d for d in docs if d["kind"] in ("Job", "Pod")]
    assert not [d for d in docs if "helm.sh/hook" in d["metadata"].get("annotations", {})]


@pytest.mark.parametrize(("sets", "message"), [
    (("replicas=5",), "not a multiple"),
    (("replicas=4",), "at least 3"),
    (("replicas=3", "clusterReplicas=0"), "no replica"),
])
def test_unusable_member_counts_are_refused(helm, sets, message):
    args = ["template", RELEASE, CHART, "-n", NAMESPACE, "--kube-version", KUBE_VERSION]
    for s in sets:
        args += ["--set", s]
    result = helm(*args)
    assert result.returncode != 0
    assert message in result.stderr


def test_password_secret_reaches_the_server_and_the_probes(render):
    (redis,) = one(render("values.yaml", "auth.existingSecret=redis-auth"), "StatefulSet", "redis-cluster")["spec"][
        "template"
    ]["spec"]["containers"]
    assert "--requirepass" in redis["args"]
    assert "--masterauth" in redis["args"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in redis["env"]}
    assert env == {"REDIS_PASSWORD": "redis-auth", "REDISCLI_AUTH": "redis-auth"}


def test_every_object_names_the_release_namespace(render):
    # So the rendered manifests apply as they are (kubectl, the static scans of playbooks/render.yml).
    assert {d["metadata"]["namespace"] for d in render()} == {NAMESPACE}
