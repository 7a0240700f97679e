"""Fluent Bit on the converged local platform (spec 3.3.1): the release at the pinned version in `monitoring`, the
spec's DaemonSet settings (every taint tolerated, system-node-critical, resources, one pod at a time, the
prometheus annotations on port 2020, NODE_NAME and CLUSTER_NAME) in the values and on the workload, and a pipeline
that tails containerd's logs, adds Kubernetes metadata and writes to CloudWatch Logs in the platform's region."""

from __future__ import annotations

import json
import re

NS = "monitoring"
CLUSTER = "triptrip-local"  # platform_cluster_name of the local inventory
REGION = "ap-northeast-1"


def sections(conf: str, kind: str) -> list[dict[str, str]]:
    """The [INPUT]/[FILTER]/[OUTPUT] sections of a classic Fluent Bit config, each as {key: value}."""
    found, current = [], None
    for line in conf.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            current = {} if stripped == f"[{kind}]" else None
            if current is not None:
                found.append(current)
        elif current is not None and stripped and not stripped.startswith("#"):
            key, _space, value = stripped.partition(" ")
            current[key] = value.strip()
    return found


def test_the_values_carry_the_daemonset_settings_of_spec_3_3_1(addons):
    values = addons.values("fluent-bit", NS)
    assert values["kind"] == "DaemonSet"
    assert values["image"] == {"repository": "cr.fluentbit.io/fluent/fluent-bit", "tag": "5.1.2"}
    assert values["serviceAccount"]["name"] == "fluent-bit"
    assert values["priorityClassName"] == "system-node-critical"
    assert values["tolerations"] == [{"operator": "Exists"}]
    assert values["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                   "limits": {"cpu": "500m", "memory": "512Mi"}}
    assert values["metricsPort"] == 2020
    assert values["podAnnotations"] == {"prometheus.io/scrape": "true", "prometheus.io/port": "2020",
                                        "prometheus.io/path": "/api/v2/metrics/prometheus"}
    env = {e["name"]: e for e in values["env"]}
    assert env["NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    assert env["CLUSTER_NAME"]["value"] == CLUSTER


def test_it_runs_one_pod_on_every_node_including_the_tainted_ones(addons):
    nodes = json.loads(addons.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert any(n["spec"].get("taints") for n in nodes), "the local platform has tainted node groups"
    ds = addons.get("daemonset", "fluent-bit", NS)
    assert ds["status"]["desiredNumberScheduled"] == len(nodes)
    assert ds["status"]["numberReady"] == len(nodes)
    pod = ds["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == "system-node-critical"
    assert pod["serviceAccountName"] == "fluent-bit"
    assert ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] == 1
    annotations = ds["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/port"] == "2020"
    ports = pod["containers"][0]["ports"]
    assert [p["containerPort"] for p in ports] == [2020]


def test_it_reads_containerd_logs_under_var_log_read_only_and_not_dockers_folder(addons):
    pod = addons.get("daemonset", "fluent-bit", NS)["spec"]["template"]["spec"]
    host_paths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert host_paths == {"varlog": "/var/log", "state": "/var/fluent-bit/state"}
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["varlog"]["mountPath"] == "/var/log" and mounts["varlog"]["readOnly"] is True
    assert "/var/lib/docker/containers" not in json.dumps(pod)


def test_the_pipeline_tails_container_logs_adds_kubernetes_metadata_and_writes_to_cloudwatch(addons):
    config = addons.values("fluent-bit", NS)["config"]
    [service] = sections(config["service"], "SERVICE")
    assert service["HTTP_Server"] == "On" and service["HTTP_Port"] == "2020"
    [tail] = sections(config["inputs"], "INPUT")
    assert tail["Name"] == "tail" and tail["Tag"] == "kube.*"
    assert tail["Path"] == "/var/log/containers/*.log"
    assert tail["multiline.parser"] == "cri"
    assert tail["DB"].startswith("/var/fluent-bit/state/")
    filters = sections(config["filters"], "FILTER")
    kubernetes = next(f for f in filters if f["Name"] == "kubernetes")
    assert kubernetes["Match"] == "kube.*" and kubernetes["Kube_Tag_Prefix"] == "kube.var.log.containers."
    [output] = sections(config["outputs"], "OUTPUT")
    assert output["Name"] == "cloudwatch_logs" and output["Match"] == "kube.*"
    assert output["region"] == REGION
    assert output["log_group_name"] == f"/aws/eks/{CLUSTER}/containers"
    # The group belongs to the AWS layer: Fluent Bit's role gets no logs:CreateLogGroup.
    assert output["auto_create_group"] == "Off"
    # What the pods read: the chart's ConfigMap holds the same pipeline.
    conf = addons.get("configmap", "fluent-bit", NS)["data"]
    text = "\n".join(conf.values())
    assert re.search(rf"log_group_name\s+{re.escape(f'/aws/eks/{CLUSTER}/containers')}", text)
