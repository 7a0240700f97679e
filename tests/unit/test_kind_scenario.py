"""molecule's kind scenario (molecule/kind), as far as it can be checked without Docker: the kind config that
create.yml writes gives every node group's members the group's labels and taints (compared with the inventory's node
groups, not with the kwok role that renders them), the scenario's playbooks parse, and molecule.yml has the shape
the scenario needs (upstream charts, the kind config, the inventory's Kubernetes minor).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from molecule.model import schema_v3

SCENARIO = Path("molecule/kind")
# Labels a kubelet may set on itself under kubernetes.io and k8s.io (NodeRestriction; kubelet refuses others).
KUBELET_LABELS = {
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
}
# The fields of a kind.x-k8s.io/v1alpha4 Node (sigs.k8s.io/kind pkg/apis/config/v1alpha4/types.go).
KIND_NODE_FIELDS = {"role", "image", "labels", "extraMounts", "extraPortMappings", "gpus", "kubeadmConfigPatches",
                    "kubeadmConfigPatchesJSON6902"}


def molecule_config(root: Path) -> dict:
    return yaml.safe_load((root / SCENARIO / "molecule.yml").read_text())


def scenario_env(root: Path, ephemeral: Path, tool_env: dict) -> dict:
    """The environment molecule gives the scenario's playbooks (its own variables and molecule.yml's ansible.env)."""
    env = {**tool_env, "MOLECULE_PROJECT_DIRECTORY": str(root), "MOLECULE_EPHEMERAL_DIRECTORY": str(ephemeral)}
    for name, value in molecule_config(root)["ansible"]["env"].items():
        env[name] = expand(str(value), env)
    return env


def expand(text: str, env: dict) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], text)


def scenario_args(root: Path, env: dict) -> list[str]:
    return [expand(arg, env) for arg in molecule_config(root)["ansible"]["executor"]["args"]["ansible_playbook"]]


def run(args, root, env):
    res = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res


@pytest.fixture(scope="module")
def kind_config(root, tool_env, tmp_path_factory):
    """What create.yml hands `kind create cluster --config`, written with the scenario's own arguments."""
    ephemeral = tmp_path_factory.mktemp("kind")
    env = scenario_env(root, ephemeral, tool_env)
    out = ephemeral / "kind-config.yaml"
    run(["ansible-playbook", *scenario_args(root, env), str(SCENARIO / "kind_config.yml"),
         "-e", f"kind_config_path={out}"], root, env)
    return yaml.safe_load(out.read_text())


@pytest.fixture(scope="module")
def settings(root, tool_env, tmp_path_factory):
    """The local inventory's effective settings (playbooks/env_settings.yml, as scripts/envdiff reads them)."""
    out = tmp_path_factory.mktemp("settings") / "local.json"
    run(["ansible-playbook", "playbooks/env_settings.yml", "-i", "inventories/local", "-e", f"env_settings_file={out}"],
        root, tool_env)
    return json.loads(out.read_text())


def taints_of(node: dict) -> list[tuple[str, str, str]]:
    taints = []
    for patch in node.get("kubeadmConfigPatches", []):
        doc = yaml.safe_load(patch)
        if doc.get("kind") == "JoinConfiguration":
            taints += (doc.get("nodeRegistration") or {}).get("taints") or []
    return sorted((t["key"], str(t.get("value", "")), t["effect"]) for t in taints)


def problems(config: dict, settings: dict) -> list[str]:
    """Where the kind config's nodes differ from the inventory's node groups (empty: they match)."""
    found = []
    if config.get("kind") != "Cluster" or config.get("apiVersion") != "kind.x-k8s.io/v1alpha4":
        found.append(f"not a kind v1alpha4 Cluster: {config.get('kind')} {config.get('apiVersion')}")
    nodes = config.get("nodes") or []
    for node in nodes:
        if set(node) - KIND_NODE_FIELDS:
            found.append(f"fields kind does not know: {sorted(set(node) - KIND_NODE_FIELDS)}")
    if [n.get("role") for n in nodes].count("control-plane") != 1:
        found.append("not exactly one control-plane node")
    groups = settings["platform_node_groups"]
    zones = [subnet["az"] for subnet in settings["platform_private_subnets"]]
    region = settings["platform_aws_region"]
    members: dict[str, list[dict]] = {name: [] for name in groups}
    for index, node in enumerate(nodes):
        if node.get("role") != "worker":
            continue
        labels = node.get("labels") or {}
        name = labels.get("eks.amazonaws.com/nodegroup")
        if name not in groups:
            found.append(f"node {index}: eks.amazonaws.com/nodegroup={name!r} is no node group of the inventory")
            continue
        members[name].append(node)
        group = groups[name]
        wanted = {str(k): str(v) for k, v in (group.get("labels") or {}).items()}
        wanted |= {"eks.amazonaws.com/nodegroup": name, "eks.amazonaws.com/capacityType": group["capacity_type"],
                   "node.kubernetes.io/instance-type": group["instance_types"][0],
                   "topology.kubernetes.io/region": region}
        for key, value in wanted.items():
            if labels.get(key) != value:
                found.append(f"node {index} ({name}): label {key}={labels.get(key)!r}, the node group says {value!r}")
        if labels.get("topology.kubernetes.io/zone") not in zones:
            found.append(f"node {index} ({name}): zone {labels.get('topology.kubernetes.io/zone')!r} not in {zones}")
        for key in sorted(set(labels) - set(wanted) - {"topology.kubernetes.io/zone"}):
            found.append(f"node {index} ({name}): label {key} is not the node group's")
        for key in labels:
            if re.search(r"(^|\.)(kubernetes|k8s)\.io/", key) and key not in KUBELET_LABELS:
                found.append(f"node {index} ({name}): a kubelet may not set {key}")
        taints = sorted((t["key"], str(t.get("value", "")), t["effect"]) for t in group.get("taints") or [])
        if taints_of(node) != taints:
            found.append(f"node {index} ({name}): taints {taints_of(node)}, the node group says {taints}")
    for name, group in groups.items():
        size = int(group["scaling"]["desired_size"])
        if len(members[name]) != size:
            found.append(f"node group {name}: {len(members[name])} kind workers, desired_size is {size}")
        spread = Counter(node["labels"].get("topology.kubernetes.io/zone") for node in members[name])
        counts = [spread.get(zone, 0) for zone in zones]
        if members[name] and max(counts) - min(counts) > 1:
            found.append(f"node group {name}: spread over the zones as {dict(spread)}")
    return found


def test_the_kind_nodes_carry_the_node_groups_labels_and_taints(kind_config, settings):
    assert problems(kind_config, settings) == []
    # Not vacuous: every node group with members, and the taints that keep workloads off the special nodes.
    workers = [n for n in kind_config["nodes"] if n["role"] == "worker"]
    assert len(workers) == sum(int(g["scaling"]["desired_size"]) for g in settings["platform_node_groups"].values()) > 0
    assert {t for n in workers for t in taints_of(n)} >= {("workload-type", "memory", "NoSchedule"),
                                                          ("workload-type", "compute", "NoSchedule")}


def first(config, group):
    return next(n for n in config["nodes"] if (n.get("labels") or {}).get("eks.amazonaws.com/nodegroup") == group)


def drop_taint(config):
    node = first(config, "memory")
    node["kubeadmConfigPatches"] = [yaml.safe_dump({"kind": "JoinConfiguration", "nodeRegistration": {"taints": []}})]


def change_effect(config):
    node = first(config, "compute")
    node["kubeadmConfigPatches"] = [yaml.safe_dump({"kind": "JoinConfiguration", "nodeRegistration": {"taints": [
        {"key": "workload-type", "value": "compute", "effect": "PreferNoSchedule"}]}})]


def drop_label(config):
    del first(config, "spot")["labels"]["lifecycle"]


def kwok_marker(config):
    first(config, "general")["labels"]["type"] = "kwok"


def refused_label(config):
    first(config, "general")["labels"]["app.kubernetes.io/managed-by"] = "triptrip-platform"


def drop_member(config):
    config["nodes"].remove(first(config, "general"))


def wrong_zone(config):
    first(config, "general")["labels"]["topology.kubernetes.io/zone"] = "us-east-1a"


@pytest.mark.parametrize("breakage, says", [
    (drop_taint, "taints []"),
    (change_effect, "PreferNoSchedule"),
    (drop_label, "label lifecycle=None"),
    (kwok_marker, "label type is not the node group's"),
    (refused_label, "a kubelet may not set app.kubernetes.io/managed-by"),
    (drop_member, "node group general: 2 kind workers"),
    (wrong_zone, "zone 'us-east-1a'"),
])
def test_the_check_bites(kind_config, settings, breakage, says):
    broken = copy.deepcopy(kind_config)
    breakage(broken)
    found = problems(broken, settings)
    assert any(says in problem for problem in found), found


@pytest.mark.parametrize("playbook", ["create.yml", "destroy.yml", "kind_config.yml", "converge", "verify"])
def test_the_scenarios_playbooks_parse(root, tool_env, tmp_path, playbook):
    if playbook in ("converge", "verify"):
        playbook = molecule_config(root)["ansible"]["playbooks"][playbook]
    env = scenario_env(root, tmp_path, tool_env)
    run(["ansible-playbook", "--syntax-check", *scenario_args(root, env), str(SCENARIO / playbook)], root, env)


def test_molecule_yml_shape(root, settings):
    config = molecule_config(root)
    assert schema_v3.validate(config) == []
    assert config["driver"] == {"name": "default", "options": {"managed": False}}
    assert config["platforms"], "molecule needs a platform"
    sequence = config["scenario"]["test_sequence"]
    assert [step for step in sequence if step in ("create", "converge", "idempotence", "verify")] == [
        "create", "converge", "idempotence", "verify"]
    assert sequence[0] == sequence[-1] == "destroy"
    playbooks = config["ansible"]["playbooks"]
    for name in ("create", "converge", "verify", "destroy"):
        assert (root / SCENARIO / playbooks[name]).resolve().is_file(), name
    assert (root / SCENARIO / playbooks["converge"]).resolve() == (root / "site.yml").resolve()

    args = config["ansible"]["executor"]["args"]["ansible_playbook"]
    assert "--inventory=${MOLECULE_PROJECT_DIRECTORY}/inventories/local" in args
    assert "--extra-vars=platform_local_nodes=false" in args
    # The upstream charts, from their repositories: not the local inventory's mirror of tests/charts' doubles.
    assert "--extra-vars=platform_addons_chart_source=repository" in args
    assert not [a for a in args if "mirror" in a or "tests/charts" in a], args

    # kind's node image at the inventory's Kubernetes minor.
    image = config["ansible"]["env"]["TRIPTRIP_KIND_NODE_IMAGE"]
    assert re.fullmatch(rf"kindest/node:v{re.escape(settings['platform_eks_version'])}\.\d+(@sha256:[0-9a-f]{{64}})?", image)


def test_create_hands_kind_the_generated_config(root):
    plays = yaml.safe_load((root / SCENARIO / "create.yml").read_text())

    def commands(play):
        return [t["ansible.builtin.command"]["argv"] for t in play.get("tasks", []) if "ansible.builtin.command" in t]

    moto = next(i for i, p in enumerate(plays) if any("--fresh" in argv for argv in commands(p)))
    config = next(i for i, p in enumerate(plays) if p.get("ansible.builtin.import_playbook") == "kind_config.yml")
    kind = next(i for i, p in enumerate(plays) if any(argv[:3] == ["kind", "create", "cluster"] for argv in commands(p)))
    # The config is written after moto's `up --fresh` (which wipes the state folder), before kind reads it.
    assert moto < config < kind
    state = "{{ lookup('ansible.builtin.env', 'TRIPTRIP_LOCAL_STATE') }}"
    assert plays[config]["vars"]["kind_config_path"] == f"{state}/kind-config.yaml"
    assert plays[kind]["vars"]["__kind_state"] == state
    argv = next(argv for argv in commands(plays[kind]) if argv[:3] == ["kind", "create", "cluster"])
    assert argv[argv.index("--config") + 1] == "{{ __kind_state }}/kind-config.yaml"
