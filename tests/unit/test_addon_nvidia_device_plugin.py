"""The nvidia_device_plugin add-on as Ansible computes it, with no cluster: production's release (playbooks/render.yml)
selects the gpu node group's nodes and tolerates its taint, and the test-double chart turns those values into a
DaemonSet held to them; the add-on is on where a node group has an NVIDIA AMI without the plugin (production, local),
off on Bottlerocket's NVIDIA AMI and without any NVIDIA group, off when an inventory says so, and preflight refuses
turning it on with no NVIDIA group."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

RELEASE = "nvidia-device-plugin"
CHART = "tests/charts/nvidia-device-plugin"


def playbook(root, tool_env, *args):
    return subprocess.run(["ansible-playbook", *args], capture_output=True, text=True, env=tool_env, cwd=root,
                          check=False)


def effective_addon(root, tool_env, tmp_path, inventory="inventories/production", extra=None):
    """platform_addons.nvidia_device_plugin as preflight leaves it (tests/fixtures/playbooks/show_vars.yml)."""
    out = tmp_path / "addons.json"
    res = playbook(root, tool_env, "tests/fixtures/playbooks/show_vars.yml", "-i", str(root / inventory),
                   "-e", f"show_vars_addons_file={out}", *(["-e", json.dumps(extra)] if extra else []))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    return json.loads(out.read_text())["nvidia_device_plugin"]


@pytest.fixture(scope="module")
def gpu_group(root):
    return yaml.safe_load((root / "group_vars/all/node_groups.yml").read_text())["platform_node_groups_base"]["gpu"]


@pytest.fixture(scope="module")
def production_release(root, tool_env, tmp_path_factory):
    """The release production's add-on layer would install, as playbooks/render.yml writes it."""
    out = tmp_path_factory.mktemp("render")
    res = playbook(root, tool_env, "playbooks/render.yml", "-i", str(root / "inventories/production"),
                   "-e", f"platform_render_dir={out}", "--tags", "nvidia_device_plugin")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    return yaml.safe_load((out / "triptrip-production" / f"{RELEASE}.release.yaml").read_text())


def test_production_installs_the_pinned_chart_in_kube_system(root, production_release):
    pinned = yaml.safe_load((root / "roles/addon_nvidia_device_plugin/defaults/main.yml").read_text())
    addon = {"version": pinned["addon_nvidia_device_plugin_version"]}
    assert production_release["namespace"] == "kube-system"
    assert production_release["chart"] == {"ref": "nvidia-device-plugin", "version": addon["version"],
                                           "repo_url": "https://nvidia.github.io/k8s-device-plugin"}


def test_production_values_select_the_gpu_nodes_and_tolerate_the_gpu_taint(production_release, gpu_group):
    values = production_release["values"]
    # The gpu group's own labels and taint (group_vars/all/node_groups.yml), not literals of the role.
    assert values["nodeSelector"] == {k: str(v) for k, v in gpu_group["labels"].items()}
    assert values["nodeSelector"] == {"workload-type": "gpu", "nvidia.com/gpu": "true"}
    assert values["tolerations"] == [{**taint, "operator": "Equal"} for taint in gpu_group["taints"]]
    (term,) = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == {"matchExpressions": [{"key": "eks.amazonaws.com/nodegroup", "operator": "In", "values": ["gpu"]}]}
    assert values["priorityClassName"] == "system-node-critical"
    assert values["resources"] == {"requests": {"cpu": "10m", "memory": "64Mi"},
                                   "limits": {"cpu": "100m", "memory": "128Mi"}}
    assert values["gfd"] == {"enabled": False} and values["nfd"] == {"enabled": False}


def test_the_chart_renders_production_values_into_a_daemonset_on_the_gpu_nodes_only(root, tool_env, production_release,
                                                                                    tmp_path):
    values = tmp_path / "values.json"
    values.write_text(json.dumps(production_release["values"]))
    res = subprocess.run([str(root / ".tools/bin/helm"), "template", RELEASE, CHART, "-n", "kube-system", "-f", str(values)],
                         capture_output=True, text=True, env=tool_env, cwd=root, check=False)
    assert res.returncode == 0, res.stderr
    (ds,) = [d for d in yaml.safe_load_all(res.stdout) if d and d["kind"] == "DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"workload-type": "gpu", "nvidia.com/gpu": "true"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    # The chart's default affinity (Node Feature Discovery's labels, absent from EKS nodes) is replaced, not merged.
    assert "feature.node.kubernetes.io" not in json.dumps(pod["affinity"])
    assert pod["affinity"] == production_release["values"]["affinity"]
    assert pod["priorityClassName"] == "system-node-critical"


@pytest.mark.parametrize("inventory", ["inventories/production", "inventories/local"])
def test_it_is_on_where_a_node_group_has_the_nvidia_ami(root, tool_env, tmp_path, inventory):
    assert effective_addon(root, tool_env, tmp_path, inventory)["enabled"] is True


@pytest.mark.parametrize("ami_type", ["AL2023_x86_64_STANDARD", "BOTTLEROCKET_x86_64_NVIDIA"])
def test_it_is_off_without_an_nvidia_group_that_lacks_the_plugin(root, tool_env, tmp_path, ami_type):
    extra = {"platform_node_groups_overrides": {"gpu": {"ami_type": ami_type}}}
    assert effective_addon(root, tool_env, tmp_path, extra=extra)["enabled"] is False


def test_an_inventory_can_turn_it_off(root, tool_env, tmp_path):
    extra = {"addon_nvidia_device_plugin_enabled": False}
    assert effective_addon(root, tool_env, tmp_path, extra=extra)["enabled"] is False


def test_preflight_refuses_turning_it_on_without_an_nvidia_group(root, tool_env):
    extra = {"platform_node_groups_overrides": {"gpu": {"ami_type": "BOTTLEROCKET_x86_64_NVIDIA"}},
             "addon_nvidia_device_plugin_enabled": True}
    res = playbook(root, tool_env, "tests/fixtures/playbooks/show_vars.yml", "-i", str(root / "inventories/production"),
                   "-e", json.dumps(extra))
    assert res.returncode != 0
    assert "addon_nvidia_device_plugin_enabled is true, but no node group" in res.stdout
    assert '"gpu": "BOTTLEROCKET_x86_64_NVIDIA"' in res.stdout.replace('\\"', '"')
