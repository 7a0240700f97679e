"""node-problem-detector on the converged local platform (spec 3.3.1): the release at the pinned version in
kube-system, the spec's DaemonSet settings (host network and PID, privileged, every taint tolerated,
system-node-critical, resources) in the values and on the workload, the image of the cluster's Kubernetes minor, and
the monitors that fit containerd nodes (kernel, read-only filesystem, journal) instead of the spec's docker-monitor."""

from __future__ import annotations

import json

NS = "kube-system"
MONITORS = ["/config/kernel-monitor.json", "/config/readonly-monitor.json", "/config/systemd-monitor.json"]


def daemonset(addons) -> dict:
    return addons.get("daemonset", "node-problem-detector", NS)


def test_the_values_carry_the_daemonset_settings_of_spec_3_3_1(addons):
    values = addons.values("node-problem-detector", NS)
    assert values["hostNetwork"] is True and values["hostPID"] is True
    assert values["securityContext"] == {"privileged": True}
    assert values["priorityClassName"] == "system-node-critical"
    assert values["tolerations"] == [{"operator": "Exists"}]
    assert values["resources"] == {"requests": {"cpu": "10m", "memory": "80Mi"},
                                   "limits": {"cpu": "100m", "memory": "200Mi"}}
    assert values["serviceAccount"]["name"] == "node-problem-detector"
    assert values["updateStrategy"] == "RollingUpdate" and values["maxUnavailable"] == 1


def test_the_image_is_the_release_for_the_clusters_kubernetes_minor(addons):
    values = addons.values("node-problem-detector", NS)
    assert values["image"] == {"repository": "registry.k8s.io/node-problem-detector/node-problem-detector",
                               "tag": "v1.35.3"}
    version = json.loads(addons.kubectl("version", "-o", "json").stdout)["serverVersion"]
    assert values["image"]["tag"].startswith(f"v1.{version['minor'].rstrip('+')}.")


def test_it_loads_the_containerd_node_monitors_and_not_docker_monitor(addons):
    assert addons.values("node-problem-detector", NS)["settings"]["log_monitors"] == MONITORS
    command = daemonset(addons)["spec"]["template"]["spec"]["containers"][0]["command"]
    assert f"--config.system-log-monitor={','.join(MONITORS)}" in command
    assert "--logtostderr" in command
    assert not any("docker-monitor" in arg for arg in command)


def test_it_runs_one_privileged_host_pod_on_every_node_including_the_tainted_ones(addons):
    nodes = json.loads(addons.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert any(n["spec"].get("taints") for n in nodes), "the local platform has tainted node groups"
    ds = daemonset(addons)
    assert ds["status"]["desiredNumberScheduled"] == len(nodes)
    assert ds["status"]["numberReady"] == len(nodes)
    pod = ds["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["hostPID"] is True
    assert pod["priorityClassName"] == "system-node-critical"
    assert pod["containers"][0]["securityContext"]["privileged"] is True
    host_paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    # /var/log (the journal of AL2023 nodes), /dev/kmsg (kernel messages, spec), /etc/machine-id (the journal's folder).
    assert {"/dev/kmsg", "/etc/machine-id"} <= host_paths
    assert any(p.rstrip("/") == "/var/log" for p in host_paths)
