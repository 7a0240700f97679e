"""The NVIDIA device plugin on the converged local platform: the local inventory keeps the spec's gpu node group
(AL2023 NVIDIA AMI, one kwok node), so the release is installed at the pinned version in kube-system with values
from that group's labels and taint, and its DaemonSet runs on the gpu nodes and on no other node. Turning the
group's AMI into Bottlerocket's NVIDIA one (which runs the plugin itself) removes the release and nothing else."""

from __future__ import annotations

import json

import yaml

NS = "kube-system"
RELEASE = "nvidia-device-plugin"
ADDONS = "playbooks/addons.yml"


def local_groups(root) -> dict:
    """The local inventory's node group overrides (what an extra var of the same name would replace)."""
    inventory = yaml.safe_load((root / "inventories/local/group_vars/all/main.yml").read_text())
    return inventory["platform_node_groups_overrides"]


def gpu_group(root) -> dict:
    return yaml.safe_load((root / "group_vars/all/node_groups.yml").read_text())["platform_node_groups_base"]["gpu"]


def nodes(addons) -> list[dict]:
    return json.loads(addons.kubectl("get", "nodes", "-o", "json").stdout)["items"]


def revisions(addons) -> dict[str, int]:
    return {name: int(r["revision"]) for name, r in addons.releases().items()}


def test_the_release_is_deployed_at_the_pinned_version(addons, root):
    pinned = yaml.safe_load((root / "roles/addon_nvidia_device_plugin/defaults/main.yml").read_text())
    version = pinned["addon_nvidia_device_plugin_version"]
    release = addons.releases()[RELEASE]
    assert release["namespace"] == NS
    assert release["chart"] == f"nvidia-device-plugin-{version}"
    assert release["status"] == "deployed"


def test_the_values_select_the_gpu_group_and_tolerate_its_taint(addons, root):
    group = gpu_group(root)
    values = addons.values(RELEASE, NS)
    assert values["nodeSelector"] == {k: str(v) for k, v in group["labels"].items()}
    assert values["tolerations"] == [{**t, "operator": "Equal"} for t in group["taints"]]
    assert values["priorityClassName"] == "system-node-critical"


def test_the_daemonset_runs_on_every_gpu_node_and_no_other(addons):
    gpu = {n["metadata"]["name"] for n in nodes(addons) if n["metadata"]["labels"].get("eks.amazonaws.com/nodegroup") == "gpu"}
    assert gpu, "the local platform has a gpu node"
    assert len(gpu) < len(nodes(addons))
    ds = addons.get("daemonset", RELEASE, NS)
    assert ds["status"]["desiredNumberScheduled"] == len(gpu)
    assert ds["status"]["numberReady"] == len(gpu)
    pods = json.loads(addons.kubectl("get", "pods", "-n", NS, "-l", f"app.kubernetes.io/instance={RELEASE}",
                                     "-o", "json").stdout)["items"]
    assert {p["spec"]["nodeName"] for p in pods} == gpu
    assert ds["spec"]["template"]["spec"]["priorityClassName"] == "system-node-critical"


def test_a_bottlerocket_nvidia_group_removes_the_release_and_nothing_else(addons, root):
    before = revisions(addons)
    groups = local_groups(root)
    groups["gpu"] = {**groups["gpu"], "ami_type": "BOTTLEROCKET_x86_64_NVIDIA"}
    res = addons.playbook("-e", json.dumps({"platform_node_groups_overrides": groups}), playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    after = revisions(addons)
    assert RELEASE not in after
    assert after == {k: v for k, v in before.items() if k != RELEASE}, "another release changed"
    assert not addons.exists("daemonset", RELEASE, NS)

    res = addons.playbook("--tags", "nvidia_device_plugin", playbook=ADDONS)  # the inventory's AL2023 NVIDIA again
    assert res.returncode == 0, res.stdout[-3000:]
    assert addons.releases()[RELEASE]["status"] == "deployed"
