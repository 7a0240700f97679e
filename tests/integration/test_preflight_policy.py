"""Preflight's policy (plugins/filter/policy_errors.py) through the playbook: the test copies each real inventory,
adds one host per broken rule (host_vars/<case>.yml over the copy's group_vars) and an unbroken control host, and
runs playbooks/validate.yml (site.yml's first play) once per environment. Each broken host must fail in preflight
with a message that names the variable; the control host must pass, so each case fails for its own rule, not for the
copy. That site.yml stops at a failed preflight before the AWS layer is test_bad_input.py's. The rules one by one,
with negative cases, are tests/unit/plugins/filter/test_preflight_errors.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

DEAD_AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
TWO_ZONES = [{"az": "ap-northeast-1a", "cidr": "10.0.0.0/19"}, {"az": "ap-northeast-1c", "cidr": "10.0.32.0/19"}]
DR_IN_TOKYO = [{"az": f"ap-northeast-1{z}", "cidr": f"10.10.{n}.0/19"} for z, n in (("a", 0), ("c", 32), ("d", 64))]
# Their public subnets, in the same zones (the network check would otherwise stop first, on the zones).
TWO_ZONES_PUBLIC = [{"az": "ap-northeast-1a", "cidr": "10.0.96.0/24"}, {"az": "ap-northeast-1c", "cidr": "10.0.97.0/24"}]
DR_IN_TOKYO_PUBLIC = [{"az": f"ap-northeast-1{z}", "cidr": f"10.10.{n}.0/24"} for z, n in (("a", 96), ("c", 97), ("d", 98))]
TINY = {name: {"scaling": {"min_size": 0, "max_size": 1, "desired_size": 0}}
        for name in ("general", "compute", "memory", "spot", "gpu")}

# (id, environment copied, settings of its host (host_vars), text the failure must contain)
BROKEN = [
    ("public-endpoint", "production", {"platform_eks_endpoint_public_access": True},
     "platform_eks_endpoint_public_access=True: production must have a private endpoint only"),
    ("two-zones", "production", {"platform_private_subnets": TWO_ZONES,
                                 "platform_public_subnets": TWO_ZONES_PUBLIC, "platform_network_nat_gateways": 2},
     "platform_private_subnets zones=[\"ap-northeast-1a\", \"ap-northeast-1c\"]: production must span at least 3"),
    ("no-deletion-protection", "dr", {"platform_eks_deletion_protection": False},
     "platform_eks_deletion_protection=False: dr must protect its cluster from deletion"),
    ("missing-log-type", "production", {"platform_eks_logging_types": ["api", "audit"]},
     "platform_eks_logging_types=[\"api\", \"audit\"]: production must log"),
    ("imds-hop-limit", "production", {"platform_node_imds_hop_limit": 2},
     "platform_node_imds_hop_limit=2: production nodes must keep pods away"),
    ("pdb-off", "staging", {"platform_workloads_overrides": {"api": {"values": {"podDisruptionBudget": {"enabled": False}}}}},
     "platform_workloads.<name>.values.podDisruptionBudget.enabled=false for api: staging must keep"),
    # The autoscaler's image follows the version (its own rule, checked earlier, stays satisfied).
    ("eks-out-of-standard-support", "production", {"platform_eks_version": "1.33", "addon_cluster_autoscaler_image_tag": "v1.33.3",
                                                   "platform_eks_addons_overrides": {"kube-proxy": {"version": "v1.33.5-eksbuild.2"}}},
     "platform_eks_version=1.33: for production it must still be in EKS standard support"),
    ("eks-unknown", "development", {"platform_eks_version": "1.29", "addon_cluster_autoscaler_image_tag": "v1.29.5"},
     "platform_eks_version=1.29: must be a minor of platform_eks_standard_support_end"),
    ("autoscaler-minor", "production", {"addon_cluster_autoscaler_image_tag": "v1.34.2"},
     "its minor must equal the cluster's (platform_eks_version=1.35)"),
    ("kube-proxy-minor", "production", {"platform_eks_addons_overrides": {"kube-proxy": {"version": "v1.34.1-eksbuild.2"}}},
     "platform_eks_addons.kube-proxy.version=v1.34.1-eksbuild.2: its minor must equal platform_eks_version=1.35"),
    ("quotas-exceed-nodes", "production", {"platform_node_groups_overrides": TINY},
     "platform_node_groups at max_size give 20 vCPU"),
    ("cluster-name", "production", {"platform_cluster_name": "prod-cluster"},
     "platform_cluster_name=prod-cluster must be triptrip-<name>"),
    ("node-group-name", "staging", {"platform_node_groups_overrides": {"Big_Nodes": {
        "instance_types": ["m5.xlarge"], "capacity_type": "ON_DEMAND", "scaling": {"min_size": 0, "max_size": 1, "desired_size": 0},
        "disk": {"size_gb": 100, "type": "gp3", "iops": 3000, "throughput": 125, "encrypted": True},
        "labels": {}, "taints": [], "update_config": {"max_unavailable_percentage": 33}}}},
     "every key of platform_node_groups"),
    ("dr-in-production-region", "dr", {"platform_aws_region": "ap-northeast-1", "platform_private_subnets": DR_IN_TOKYO,
                                       "platform_public_subnets": DR_IN_TOKYO_PUBLIC},
     "platform_aws_region=ap-northeast-1: dr must run in another region than production's"),
]


CONTROL = "control-unbroken"
FAILURE = re.compile(r"^(?:fatal|failed): \[(?P<host>[^\]]+)\].*? => (?P<result>\{.*\})$")
RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=\d+\s+failed=(?P<failed>\d+)")
ENVIRONMENTS = sorted({b[1] for b in BROKEN} | {"production", "staging", "development", "dr"})


def inventory_with_cases(root, target, environment, cases):
    """A copy of the environment's inventory: its own host renamed to the control host, and one host per case."""
    shutil.copytree(root / "inventories" / environment, target)
    main = target / "group_vars/all/main.yml"
    data = yaml.safe_load(main.read_text())
    data["platform_aws_env"] = DEAD_AWS
    main.write_text(yaml.safe_dump(data, sort_keys=False))
    host = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    names = [CONTROL] + [case_id for case_id, _settings, _message in cases]
    (target / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"clusters": {"hosts": {
        name: dict(host) for name in names}}}}}, sort_keys=False))
    (target / "host_vars").mkdir()
    for case_id, settings, _message in cases:
        (target / "host_vars" / f"{case_id}.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return target


@pytest.fixture(scope="module")
def runs(root, tool_env, tmp_path_factory):
    """validate.yml once per environment: {environment: (failure message by host, recap by host, output)}."""
    results = {}
    for environment in ENVIRONMENTS:
        cases = [(b[0], b[2], b[3]) for b in BROKEN if b[1] == environment]
        inventory = inventory_with_cases(root, tmp_path_factory.mktemp("policy") / environment, environment, cases)
        res = subprocess.run(["ansible-playbook", "playbooks/validate.yml", "-i", str(inventory)], cwd=root,
                             env=tool_env, capture_output=True, text=True, check=False, timeout=600)
        failures = {m["host"]: str(json.loads(m["result"]).get("msg", "")) for line in res.stdout.splitlines()
                    if (m := FAILURE.match(line))}
        recaps = {m["host"]: (int(m["changed"]), int(m["failed"])) for line in res.stdout.splitlines()
                  if (m := RECAP.match(line))}
        results[environment] = (failures, recaps, res.stdout)
    return results


@pytest.mark.parametrize(("environment", "case_id", "message"), [(b[1], b[0], b[3]) for b in BROKEN],
                         ids=[b[0] for b in BROKEN])
def test_a_broken_inventory_stops_in_preflight_naming_the_variable(runs, environment, case_id, message):
    failures, recaps, out = runs[environment]
    assert recaps.get(case_id) == (0, 1), out[-4000:]
    assert message in failures.get(case_id, "").replace('\\"', '"'), failures.get(case_id, out[-4000:])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_unbroken_copy_passes_preflight(runs, environment):
    failures, recaps, out = runs[environment]
    assert recaps.get(CONTROL) == (0, 0), failures.get(CONTROL, out[-3000:])


def test_ten_rules_at_least():
    assert len({b[0] for b in BROKEN}) == len(BROKEN) >= 10
