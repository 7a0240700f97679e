"""Preflight's policy (roles/preflight/tasks/policy.yml): the test generates broken inventories, one rule each, from
copies of the real ones, and runs site.yml with them. Each must stop in preflight, before the AWS layer starts,
with a message that names the variable. The copies point AWS at a closed local port, so nothing could be changed
even if preflight let one through."""

from __future__ import annotations

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

# (id, environment copied, settings added to its main.yml, text the failure must contain)
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
     "platform_eks_version=1.33: must be a minor of platform_eks_standard_support_end"),
    ("eks-unknown", "development", {"platform_eks_version": "1.29", "addon_cluster_autoscaler_image_tag": "v1.29.5"},
     "platform_eks_version=1.29: must be a minor of platform_eks_standard_support_end"),
    ("autoscaler-minor", "production", {"addon_cluster_autoscaler_image_tag": "v1.34.2"},
     "its minor must equal the cluster's (platform_eks_version=1.35)"),
    ("kube-proxy-minor", "production", {"platform_eks_addons_overrides": {"kube-proxy": {"version": "v1.34.1-eksbuild.2"}}},
     "platform_eks_addons.kube-proxy.version=v1.34.1-eksbuild.2: its minor must equal platform_eks_version=1.35"),
    ("quotas-exceed-nodes", "production", {"platform_node_groups_overrides": TINY},
     "platform_node_groups at max_size give 20 vCPU"),
    ("cluster-name", "production", {"platform_cluster_name": "TripTrip-Prod"},
     "platform_cluster_name=TripTrip-Prod"),
    ("node-group-name", "staging", {"platform_node_groups_overrides": {"Big_Nodes": {
        "instance_types": ["m5.xlarge"], "capacity_type": "ON_DEMAND", "scaling": {"min_size": 0, "max_size": 1, "desired_size": 0},
        "disk": {"size_gb": 100, "type": "gp3", "iops": 3000, "throughput": 125, "encrypted": True},
        "labels": {}, "taints": [], "update_config": {"max_unavailable_percentage": 33}}}},
     "every key of platform_node_groups"),
    ("dr-in-production-region", "dr", {"platform_aws_region": "ap-northeast-1", "platform_private_subnets": DR_IN_TOKYO,
                                       "platform_public_subnets": DR_IN_TOKYO_PUBLIC},
     "platform_aws_region=ap-northeast-1: dr must run in another region than production's"),
]


def broken_inventory(root, tmp_path, environment, settings):
    inventory = tmp_path / environment
    shutil.copytree(root / "inventories" / environment, inventory)
    main = inventory / "group_vars/all/main.yml"
    data = yaml.safe_load(main.read_text())
    data.update(settings)
    data["platform_aws_env"] = DEAD_AWS
    main.write_text(yaml.safe_dump(data, sort_keys=False))
    return inventory


@pytest.mark.parametrize(("environment", "settings", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_inventory_stops_in_preflight_naming_the_variable(root, tool_env, tmp_path, environment, settings,
                                                                   message):
    inventory = broken_inventory(root, tmp_path, environment, settings)
    run = subprocess.run(["ansible-playbook", "site.yml", "-i", str(inventory)], cwd=root, env=tool_env,
                         capture_output=True, text=True, check=False)
    assert run.returncode != 0
    output = run.stdout.replace('\\"', '"')
    assert message in output, output[-4000:]
    recap = re.search(r"ok=\d+\s+changed=(\d+)", run.stdout)
    assert recap and recap.group(1) == "0"
    assert "Build the AWS layer" not in run.stdout, "the run went past preflight"


def test_ten_rules_at_least_and_each_case_breaks_only_one(root, tool_env, tmp_path):
    assert len({b[0] for b in BROKEN}) >= 10
    # The unbroken copies pass preflight: each case above fails for its own rule, not for the copy.
    for environment in ("production", "staging", "development", "dr"):
        inventory = broken_inventory(root, tmp_path, environment, {})
        run = subprocess.run(["ansible-playbook", "playbooks/validate.yml", "-i", str(inventory)], cwd=root,
                             env=tool_env, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout[-3000:]
