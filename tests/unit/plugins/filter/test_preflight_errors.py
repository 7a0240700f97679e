"""preflight_errors and policy_errors: a valid environment passes, and each rule bites on one broken value, naming
the variable. The playbook side (every inventory passes; a broken one stops before any change) is
tests/integration/test_bad_input.py and test_preflight_policy.py."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ansible_collections.triptrip.platform.plugins.filter.policy_errors import policy_errors
from ansible_collections.triptrip.platform.plugins.filter.preflight_errors import preflight_errors
from ansible_collections.triptrip.platform.plugins.module_utils.eks_access_policies import ACCESS_POLICY_NAMES

ROOT = Path(__file__).resolve().parents[4]
PATHS = {"irsa_policies_dir": str(ROOT / "roles/aws_irsa/templates/policies"), "charts_dir": str(ROOT / "charts")}
PRIVATE = [{"az": f"ap-northeast-1{z}", "cidr": f"10.0.{n}.0/19"} for z, n in (("a", 0), ("c", 32), ("d", 64))]
PUBLIC = [{"az": f"ap-northeast-1{z}", "cidr": f"10.0.{n}.0/24"} for z, n in (("a", 96), ("c", 97), ("d", 98))]
GROUP = {"instance_types": ["m5.xlarge"], "capacity_type": "ON_DEMAND",
         "scaling": {"min_size": 1, "max_size": 10, "desired_size": 2},
         "disk": {"size_gb": 100, "type": "gp3", "iops": 3000, "throughput": 125, "encrypted": True},
         "labels": {}, "taints": [], "update_config": {"max_unavailable_percentage": 33}}
GITHUB = "triptrip/api"
# A valid production: every rule of both filters holds.
BASE = {
    "addon_argocd_enabled": True, "addon_aws_load_balancer_controller_enabled": True,
    "addon_aws_load_balancer_controller_ingress": {"name": "triptrip-public", "scheme": "internet-facing"},
    "addon_nvidia_device_plugin_enabled": False,
    "platform_addon_namespaces": ["istio-system", "monitoring"], "platform_addons": {}, "platform_addons_overrides": {},
    "platform_addons_chart_source": "repository", "platform_addons_chart_oci_registry": "",
    "platform_addons_chart_mirror": "",
    "platform_aws_account_id": "123456789012", "platform_aws_region": "ap-northeast-1",
    "platform_baseline_flows": [], "platform_flows_extra": [], "platform_cluster_name": "triptrip-production",
    "platform_delivery_branches": {"main": "production"}, "platform_delivery_ci_role_prefix": "triptrip-ci-",
    "platform_delivery_github_oidc_url": "https://token.actions.githubusercontent.com",
    "platform_delivery_manifests_repository": "triptrip/manifests",
    "platform_ecr_defaults": {"image_tag_mutability": "IMMUTABLE", "scan_on_push": True, "untagged_expire_days": 7,
                              "keep_images": 30, "encryption": {"type": "AES256"}, "github_repository": "",
                              "ci_subjects": []},
    "platform_ecr_repositories": {"triptrip-api": {"github_repository": GITHUB, "chart_path": "charts/triptrip-api",
                                                   "ci_subjects": [f"repo:{GITHUB}:ref:refs/heads/main"]}},
    "platform_eks_access_entries": [{"role_name": "platform-admins", "access_policies": [
        {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
         "access_scope": {"type": "cluster"}}]}],
    "platform_eks_addons": {"kube-proxy": {"version": "v1.35.0-eksbuild.2", "irsa": "vpc-cni"}},
    "platform_eks_addons_enabled": True, "platform_eks_api_access": "vpc",
    "platform_eks_api_allowed_cidrs": ["10.0.0.0/16"], "platform_eks_api_proxy_url": "",
    "platform_eks_api_public_cidrs": [], "platform_eks_api_temporary_public_allowed": False,
    "platform_eks_deletion_protection": True, "platform_eks_endpoint_public_access": False,
    "platform_eks_zonal_shift": True,
    "platform_eks_kms_key_arn": "", "platform_eks_logging_types": ["api", "audit", "authenticator",
                                                                   "controllerManager", "scheduler"],
    "platform_eks_standard_support_end": {"1.34": "2026-12-02", "1.35": "2027-03-27"},
    "platform_eks_version": "1.35", "platform_environment": "production",
    "platform_instance_types": {"m5.xlarge": {"cpu": 4, "memory_gib": 16, "gpu": 0}},
    "platform_irsa_roles": {"vpc-cni": {"namespace": "kube-system", "service_account": "aws-node",
                                        "managed_policies": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}},
    "platform_limit_range": {"default_request": {"cpu": "100m", "memory": "128Mi"},
                             "default": {"cpu": "500m", "memory": "512Mi"}, "max": {"cpu": "8", "memory": "32Gi"}},
    "platform_network_egress": "nat", "platform_network_endpoint_services": [], "platform_network_nat_gateways": 3,
    "platform_node_groups": {"general": copy.deepcopy(GROUP)}, "platform_node_imds_hop_limit": 1,
    "platform_node_role_policies": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                                    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"],
    "platform_pod_security_level": "restricted", "platform_render_dir": "",
    "platform_rbac_groups": {"platform_admins": "triptrip:platform-admins"},
    "platform_pod_security_exceptions": {"monitoring": {"level": "privileged", "reason": "node agents"}},
    "platform_pod_security_version": "v1.35", "platform_policy_serving_environments": ["production", "dr", "staging"],
    "platform_policy_strict_environments": ["production", "dr"], "platform_primary_region": "ap-northeast-1",
    "platform_private_subnets": PRIVATE, "platform_public_subnets": PUBLIC,
    "platform_resource_quotas": {"triptrip-api": {"requests.cpu": "10", "limits.cpu": "20",
                                                  "requests.memory": "20Gi", "limits.memory": "40Gi", "pods": 100}},
    "platform_secrets": ["triptrip/production/db"], "platform_secrets_replica_regions": ["ap-northeast-3"],
    "platform_service_accounts": {"triptrip-api": ["api"]},
    "platform_storage_class": {"iops": 3000, "throughput": 125}, "platform_subnet_ids": [],
    "platform_system_namespaces": ["kube-system", "default"], "platform_vpc_cidr": "10.0.0.0/16",
    "platform_vpc_id": "", "platform_workload_namespaces": ["triptrip-api"],
    "platform_workloads": {"api": {"enabled": True, "namespace": "triptrip-api", "chart": "triptrip-api",
                                   "values": {"podDisruptionBudget": {"enabled": True}}}},
    "platform_workloads_base": {"api": {}}, "platform_workloads_overrides": {},
    "platform_workloads_owner": "helm", "platform_workloads_profile": "production",
}
TODAY = "2026-12-07"


def broken(**changes):
    settings = copy.deepcopy(BASE)
    settings.update(copy.deepcopy(changes))
    return settings


def test_a_valid_production_passes_both():
    assert preflight_errors(BASE, **PATHS) == []
    assert policy_errors(BASE, today=TODAY) == []


# (id, the one change, text the single error must contain)
VALUE_CASES = [
    ("cluster-name", {"platform_cluster_name": "Triptrip"}, 'platform_cluster_name="Triptrip" must be lower-case'),
    ("eks-version", {"platform_eks_version": "1.35.1"}, 'platform_eks_version="1.35.1" must be a minor'),
    ("pss-version", {"platform_pod_security_version": "1.35"}, 'platform_pod_security_version="1.35" must be'),
    ("region-city", {"platform_aws_region": "tokyo"}, "platform_aws_region=tokyo must be an AWS region code"),
    ("account-short", {"platform_aws_account_id": "12345"}, 'platform_aws_account_id="12345" must be empty or'),
    ("kms-other-region", {"platform_eks_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abc"},
     "platform_eks_kms_key_arn=\"arn:aws:kms:us-east-1:123456789012:key/abc\" must be empty or a KMS key ARN"),
    ("vpc-without-subnets", {"platform_vpc_id": "vpc-0123abcd"}, "set both (to adopt an existing VPC) or neither"),
    ("vpc-cidr-host-bits", {"platform_vpc_cidr": "10.0.0.1/16"}, "platform_vpc_cidr=10.0.0.1/16 is not an IPv4"),
    ("secret-name", {"platform_secrets": ["bad name"]}, 'platform_secrets=["bad name"] must hold secret names'),
    ("replica-own-region", {"platform_secrets_replica_regions": ["ap-northeast-1"]},
     "platform_secrets_replica_regions=[\"ap-northeast-1\"] region names other than"),
    ("namespace-twice", {"platform_addon_namespaces": ["istio-system", "monitoring", "triptrip-api"]},
     'more than once: ["triptrip-api"]'),
    ("namespace-not-dns", {"platform_addon_namespaces": ["Istio", "monitoring"]}, 'not: ["Istio"]'),
    ("pss-exception-no-reason", {"platform_pod_security_exceptions": {"monitoring": {"level": "privileged"}}},
     "platform_pod_security_exceptions.monitoring="),
    ("quota-unknown-namespace", {"platform_resource_quotas": {"nowhere": {"pods": 1}}},
     "platform_resource_quotas.nowhere="),
    ("quota-bad-quantity", {"platform_resource_quotas": {"triptrip-api": {"requests.cpu": "ten"}}},
     "platform_resource_quotas.triptrip-api="),
    ("quota-request-above-limit", {"platform_resource_quotas": {"triptrip-api": {"requests.cpu": "30",
                                                                                 "limits.cpu": "20"}}},
     "platform_resource_quotas.triptrip-api: requests.cpu=30 is above limits.cpu=20"),
    ("limit-range-key", {"platform_limit_range": {"default_request": {"gpu": "1"}, "default": {}, "max": {}}},
     "platform_limit_range={"),
    ("limit-range-order", {"platform_limit_range": {"default_request": {"cpu": "2"}, "default": {"cpu": "1"},
                                                    "max": {"cpu": "8"}}},
     "platform_limit_range cpu: default_request=2, default=1, max=8: must be default_request <= default <= max"),
    ("service-account-namespace", {"platform_service_accounts": {"nowhere": ["api"]}},
     "platform_service_accounts.nowhere="),
    ("storage-throughput", {"platform_storage_class": {"iops": 3000, "throughput": 1000}},
     "platform_storage_class.iops=3000 and platform_storage_class.throughput=1000: gp3"),
    ("irsa-unknown-policy", {"platform_irsa_roles": {**BASE["platform_irsa_roles"],
                                                     "x": {"namespace": "a", "service_account": "b", "policy": "nope"}}},
     "platform_irsa_roles.x="),
    ("eks-addon-build", {"platform_eks_addons": {"kube-proxy": {"version": "1.35", "irsa": "vpc-cni"}}},
     "platform_eks_addons.kube-proxy="),
    ("access-policy-arn", {"platform_eks_access_entries": [{"role_name": "x", "access_policies": [
        {"policy_arn": "arn:aws:iam::aws:policy/Admin", "access_scope": {"type": "cluster"}}]}]},
     "platform_eks_access_entries[0]="),
    ("access-mode", {"platform_eks_api_access": "public"}, "platform_eks_api_access='public'"),
    # A misspelt access policy EKS would refuse, with the one probably meant (issue #26).
    ("access-policy-misspelt", {"platform_eks_access_entries": [{"role_name": "x", "access_policies": [
        {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolcy",
         "access_scope": {"type": "cluster"}}]}]},
     'platform_eks_access_entries[0].access_policies[0].policy_arn="arn:aws:eks::aws:cluster-access-policy/'
     'AmazonEKSClusterAdminPolcy": AmazonEKSClusterAdminPolcy is not an EKS access policy; did you mean '
     "AmazonEKSClusterAdminPolicy?"),
    ("access-policy-wrong-case", {"platform_eks_access_entries": [{"role_name": "x", "access_policies": [
        {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
         "access_scope": {"type": "cluster"}}]}, {"role_name": "y", "access_policies": [
             {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
              "access_scope": {"type": "cluster"}},
             {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEksViewPolicy",
              "access_scope": {"type": "namespace", "namespaces": ["triptrip-api"]}}]}]},
     "platform_eks_access_entries[1].access_policies[1].policy_arn=\"arn:aws:eks::aws:cluster-access-policy/"
     "AmazonEksViewPolicy\": AmazonEksViewPolicy is not an EKS access policy; did you mean AmazonEKSViewPolicy?"),
    ("nvidia-without-group", {"addon_nvidia_device_plugin_enabled": True},
     "addon_nvidia_device_plugin_enabled is true, but no node group"),
    ("chart-source-oci", {"platform_addons_chart_source": "oci", "platform_addons_chart_oci_registry": "registry"},
     "platform_addons_chart_source=oci: must be repository, oci"),
    ("workload-unknown", {"platform_workloads_overrides": {"apii": {}}}, "unknown workloads [apii]"),
    ("workload-chart-missing", {"platform_workloads": {"api": {"enabled": True, "namespace": "triptrip-api",
                                                               "chart": "nope"}}}, "(missing: [nope])"),
    ("workload-enabled-string", {"platform_workloads": {"api": {"enabled": "false", "namespace": "triptrip-api",
                                                                "chart": "triptrip-api"}}},
     "every platform_workloads.<name>.enabled must be true or false"),
    ("owner-argocd-off", {"platform_workloads_owner": "argocd", "addon_argocd_enabled": False},
     'platform_workloads_owner="argocd" must be helm or argocd, and argocd only while Argo CD runs'),
    ("ecr-name", {"platform_ecr_repositories": {"Bad_Name": {}}}, "platform_ecr_repositories.Bad_Name: the name"),
    ("ecr-scan-string", {"platform_ecr_repositories": {"triptrip-api": {"scan_on_push": "yes"}}},
     'platform_ecr_repositories.triptrip-api.scan_on_push="yes" must be true or false'),
    ("ecr-subject-wildcard", {"platform_ecr_repositories": {"triptrip-api": {
        "github_repository": GITHUB, "chart_path": "charts/api",
        "ci_subjects": [f"repo:{GITHUB}:ref:refs/heads/main", f"repo:{GITHUB}:*"]}}},
     "platform_ecr_repositories.triptrip-api.ci_subjects=["),
    ("ecr-subject-missing-branch", {"platform_ecr_repositories": {"triptrip-api": {
        "github_repository": GITHUB, "chart_path": "charts/api", "ci_subjects": [f"repo:{GITHUB}:pull_request"]}}},
     "platform_ecr_repositories.triptrip-api.ci_subjects lacks"),
    # Issue #26: what the rendered workflow writes into its shell steps and GitHub expressions.
    ("ecr-chart-path-shell", {"platform_ecr_repositories": {"triptrip-api": {
        "github_repository": GITHUB, "ci_subjects": [f"repo:{GITHUB}:ref:refs/heads/main"],
        "chart_path": "charts/api; curl evil.example"}}},
     'platform_ecr_repositories.triptrip-api.chart_path="charts/api; curl evil.example" must be a folder'),
    ("ecr-chart-path-parent", {"platform_ecr_repositories": {"triptrip-api": {
        "github_repository": GITHUB, "ci_subjects": [f"repo:{GITHUB}:ref:refs/heads/main"],
        "chart_path": "charts/../../etc"}}},
     'platform_ecr_repositories.triptrip-api.chart_path="charts/../../etc" must be a folder'),
    ("pull-request-branch-quote", {"platform_delivery_pull_request_branches": ["main'"]},
     'platform_delivery_branches or platform_delivery_pull_request_branches hold "main\'": a branch name'),
    ("oidc-url", {"platform_delivery_github_oidc_url": "http://x"}, 'platform_delivery_github_oidc_url="http://x"'),
    # Issue #27: node auto repair's thresholds, refused here rather than by eks_nodegroup after the cluster is built.
    ("node-repair-percentage", {"platform_node_repair": {"enabled": True, "max_unhealthy_node_threshold_percentage": 0}},
     "platform_node_repair.max_unhealthy_node_threshold_percentage must be between 1 and 100, got 0"),
    ("node-repair-off-with-thresholds", {"platform_node_repair": {"enabled": False,
                                                                  "max_parallel_nodes_repaired_count": 2}},
     "apply only with enabled=true"),
    ("manifests-repository", {"platform_delivery_manifests_repository": "manifests"},
     'platform_delivery_manifests_repository="manifests" must be owner/name'),
    # Issue #26: a name read from a `|` block keeps its newline, which `$` would let through.
    ("name-trailing-newline", {"platform_cluster_name": "triptrip-production\n"},
     'platform_cluster_name="triptrip-production\\n" must be lower-case'),
    # Combinations: each value valid alone.
    ("iam-role-name-too-long", {"platform_cluster_name": "triptrip-" + "x" * 50},
     "the IAM role names made from it exceed IAM's 64 characters"),
    ("quota-memory-milli", {"platform_resource_quotas": {"triptrip-api": {"requests.memory": "20m"}}},
     'platform_resource_quotas.triptrip-api.requests.memory="20m": memory is counted in bytes'),
    ("quota-cpu-mega", {"platform_resource_quotas": {"triptrip-api": {"limits.cpu": "40M"}}},
     'platform_resource_quotas.triptrip-api.limits.cpu="40M": CPU is counted in cores'),
    ("eks-addon-misspelt", {"platform_eks_addons_base": {"vpc-cni": {}}, "platform_eks_addons_overrides": {"vpc-cnii": {}}},
     "platform_eks_addons_overrides.vpc-cnii: not an add-on of platform_eks_addons_base; did you mean vpc-cni?"),
    ("spot-one-type", {"platform_node_groups": {"spot": {**GROUP, "capacity_type": "SPOT"}}},
     'platform_node_groups.spot.instance_types=["m5.xlarge"]: a SPOT group needs at least two instance types'),
    ("gpu-without-taint", {"platform_node_groups": {"gpu": {**GROUP, "ami_type": "AL2023_x86_64_NVIDIA"}}},
     "platform_node_groups.gpu.taints=[]: a group of NVIDIA nodes needs the taint nvidia.com/gpu"),
    ("gp2-with-iops", {"platform_node_groups": {"general": {**GROUP, "disk": {**GROUP["disk"], "type": "gp2"}}}},
     "platform_node_groups.general.disk="),
    ("subnets-too-small", {"platform_private_subnets": [
        {"az": f"ap-northeast-1{z}", "cidr": f"10.0.0.{n}/28"} for z, n in (("a", 0), ("c", 16), ("d", 32))]},
     "platform_private_subnets: 10.0.0.0/28, 10.0.0.16/28, 10.0.0.32/28 cannot hold their share of the node groups' "
     "10 nodes at max_size: 68 addresses a zone"),
    ("node-role-without-policies", {"platform_node_role_policies": []},
     "platform_node_role_policies=[]: a node cannot join the cluster or pull its images without "
     "AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryReadOnly or AmazonEC2ContainerRegistryPullOnly"),
    # Security that an inventory could switch off or get around.
    ("admins-everyone", {"platform_rbac_groups": {"platform_admins": "system:authenticated"}},
     'platform_rbac_groups.platform_admins="system:authenticated": a group of Kubernetes\' own'),
    ("controller-administrator", {"platform_irsa_roles": {"vpc-cni": {
        "namespace": "kube-system", "service_account": "aws-node",
        "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}},
     "platform_irsa_roles.vpc-cni.managed_policies: arn:aws:iam::aws:policy/AdministratorAccess gives"),
    ("pod-security-privileged", {"platform_pod_security_level": "privileged"},
     'platform_pod_security_level="privileged": the workload namespaces enforce restricted'),
    ("workload-exception-privileged", {"platform_pod_security_exceptions": {
        "triptrip-api": {"level": "privileged", "reason": "debug"}}},
     "platform_pod_security_exceptions.triptrip-api.level=privileged: a workload namespace may be lowered to baseline"),
    ("cni-network-policy-off", {"platform_eks_addons": {"vpc-cni": {"version": "v1.21.1-eksbuild.3", "configuration": {
        "enableNetworkPolicy": "false"}}}},
     'platform_eks_addons.vpc-cni.configuration.enableNetworkPolicy="false": the VPC CNI\'s network policy agent'),
    ("render-dir-left-set", {"platform_render_dir": "/tmp/rendered"},
     'platform_render_dir="/tmp/rendered": only playbooks/render.yml writes the objects to files'),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in VALUE_CASES], ids=[c[0] for c in VALUE_CASES])
def test_each_value_rule_bites_naming_the_variable(change, message):
    errors = preflight_errors(broken(**change), **PATHS)
    # The rule's own error comes first (a wrong region also puts every zone outside it: those follow).
    assert errors and message in errors[0], errors
    assert len(errors) == 1 or change == {"platform_aws_region": "tokyo"}, errors


POLICY_CASES = [
    ("public-endpoint", {"platform_eks_endpoint_public_access": True},
     "platform_eks_endpoint_public_access=True: production must have a private endpoint only"),
    ("deletion-protection", {"platform_eks_deletion_protection": False},
     "platform_eks_deletion_protection=False: production must protect"),
    ("zonal-shift-off", {"platform_eks_zonal_shift": False},
     "platform_eks_zonal_shift=False: production must let an impaired availability zone's traffic shift"),
    ("log-types", {"platform_eks_logging_types": ["api"]}, 'platform_eks_logging_types=["api"]: production must log'),
    ("imds", {"platform_node_imds_hop_limit": 2}, "platform_node_imds_hop_limit=2: production nodes"),
    # Issue #26: no cluster admin of production's own once the runner's entry is gone.
    ("no-access-entries", {"platform_eks_access_entries": []},
     "platform_eks_access_entries=[]: production must keep at least one access entry with AmazonEKSClusterAdminPolicy "
     "at cluster scope"),
    ("admin-only-in-namespaces", {"platform_eks_access_entries": [{"role_name": "platform-admins", "access_policies": [
        {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
         "access_scope": {"type": "namespace", "namespaces": ["triptrip-api"]}}]}]},
     "production must keep at least one access entry with AmazonEKSClusterAdminPolicy at cluster scope"),
    ("admin-policy-elsewhere", {"platform_eks_access_entries": [
        {"role_name": "viewers", "access_policies": [
            {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
             "access_scope": {"type": "cluster"}}]},
        {"role_name": "platform-admins", "kubernetes_groups": ["triptrip:platform-admins"]}]},
     'platform_eks_access_entries=[{"role_name": "viewers", "access_policies": [{"policy_arn": '
     '"arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"'),
    ("two-zones", {"platform_private_subnets": PRIVATE[:2]},
     'platform_private_subnets zones=["ap-northeast-1a", "ap-northeast-1c"]: production must span at least 3'),
    ("pdb-off", {"platform_workloads": {"api": {"enabled": True, "values": {"podDisruptionBudget": {"enabled": False}}}}},
     "podDisruptionBudget.enabled=false for api: production must keep"),
    ("support-ended", {"platform_eks_version": "1.34",
                       "platform_eks_addons": {"kube-proxy": {"version": "v1.34.1-eksbuild.2"}}},
     "platform_eks_version=1.34: for production it must still be in EKS standard support on 2026-12-07"),
    ("unknown-minor", {"platform_eks_version": "1.29", "platform_eks_addons": {}},
     "platform_eks_version=1.29: must be a minor of platform_eks_standard_support_end (1.34, 1.35)"),
    ("kube-proxy-minor", {"platform_eks_addons": {"kube-proxy": {"version": "v1.34.1-eksbuild.2"}}},
     "platform_eks_addons.kube-proxy.version=v1.34.1-eksbuild.2: its minor must equal platform_eks_version=1.35"),
    ("capacity", {"platform_resource_quotas": {"triptrip-api": {"requests.cpu": "41"}}},
     "platform_node_groups at max_size give 40 vCPU and 160 GiB"),
    ("cluster-name", {"platform_cluster_name": "prod"}, "platform_cluster_name=prod must be triptrip-<name>"),
    ("node-group-name", {"platform_node_groups": {"Big": GROUP}}, "every key of platform_node_groups (Big)"),
    ("dr-region", {"platform_environment": "dr"}, "platform_aws_region=ap-northeast-1: dr must run in another region"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in POLICY_CASES], ids=[c[0] for c in POLICY_CASES])
def test_each_policy_rule_bites_naming_the_variable(change, message):
    errors = policy_errors(broken(**change), today=TODAY)
    assert len(errors) == 1, errors
    assert message in errors[0]


def test_a_strict_environment_keeps_a_cluster_admin_of_its_own_among_any_entries():
    """Any entry may hold it (a role name or a principal ARN, among other policies and entries), in any partition;
    the other environments may rely on the runner's entry alone."""
    admin = {"policy_arn": "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
             "access_scope": {"type": "cluster"}}
    view = {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "access_scope": {"type": "cluster"}}
    edit = {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
            "access_scope": {"type": "namespace", "namespaces": ["triptrip-api"]}}
    entries = [{"role_name": "viewers", "access_policies": [view]},
               {"principal_arn": "arn:aws:iam::123456789012:user/ops", "access_policies": [edit, admin]}]
    for environment in ("production", "dr"):
        held = broken(platform_environment=environment, platform_eks_access_entries=entries,
                      platform_aws_region="ap-northeast-3")
        assert policy_errors(held, today=TODAY) == [], environment
    for environment in ("staging", "development", "local"):
        assert policy_errors(broken(platform_environment=environment, platform_eks_access_entries=[]),
                             today=TODAY) == [], environment
    added = broken(platform_environment="development", platform_eks_access_entries=[],
                   platform_policy_strict_environments=["development"])
    assert any(e.startswith("platform_eks_access_entries=[]: development must keep") for e in
               policy_errors(added, today=TODAY))


def test_the_strict_and_serving_rules_spare_the_other_environments():
    lax = broken(platform_environment="development", platform_eks_endpoint_public_access=True,
                 platform_eks_deletion_protection=False, platform_private_subnets=PRIVATE[:2], platform_eks_version="1.34",
                 platform_eks_addons={"kube-proxy": {"version": "v1.34.1-eksbuild.2"}})
    assert policy_errors(lax, today=TODAY) == []
    staging = broken(platform_environment="staging", platform_eks_endpoint_public_access=True)
    assert policy_errors(staging, today=TODAY) == []
    assert policy_errors(broken(platform_environment="staging", platform_private_subnets=PRIVATE[:2]), today=TODAY)


def test_every_error_of_a_thoroughly_broken_inventory_is_reported_at_once_in_reading_order():
    errors = preflight_errors(broken(platform_cluster_name="X", platform_storage_class={"iops": 1},
                                     platform_delivery_github_oidc_url=""), **PATHS)
    assert [e.split("=")[0].split(".")[0] for e in errors] == [
        "platform_cluster_name", "platform_storage_class", "platform_delivery_github_oidc_url"]


def test_the_policy_passes_over_malformed_capacity_inputs_that_the_value_rules_name():
    for change in ({"platform_node_groups": {"general": {**GROUP, "instance_types": ["m7i.xlarge"]}}},
                   {"platform_resource_quotas": {"triptrip-api": {"requests.cpu": "10 cores"}}},
                   {"platform_node_groups": {"batch": {"instance_types": ["m5.xlarge"]}}}):
        assert policy_errors(broken(**change), today=TODAY) == []
        assert preflight_errors(broken(**change), **PATHS)


def test_an_inventory_cannot_lift_its_own_policy_only_add_to_it():
    """Production's own inventory emptying both lists keeps production strict and serving (issue #26); a list can
    hold another environment to the rules."""
    lifted = broken(platform_policy_strict_environments=[], platform_policy_serving_environments=[],
                    platform_eks_endpoint_public_access=True, platform_private_subnets=PRIVATE[:2])
    errors = policy_errors(lifted, today=TODAY)
    assert any("production must have a private endpoint only" in e for e in errors), errors
    assert any(e.startswith("platform_private_subnets") for e in errors), errors
    dev = {"platform_environment": "development", "platform_eks_endpoint_public_access": True}
    assert policy_errors(broken(**dev), today=TODAY) == []
    held = policy_errors(broken(**dev, platform_policy_strict_environments=["development"]), today=TODAY)
    assert any("development must have a private endpoint only" in e for e in held), held


def test_every_documented_access_policy_and_a_name_unlike_any_pass():
    """Every name of the collection's list passes, in any partition; so does a name far from all of them (a policy AWS
    may have added since: eks_access_entry checks it against ListAccessPolicies before any change)."""
    names = sorted(ACCESS_POLICY_NAMES) + ["DatadogClusterAgentAccess"]
    entries = [{"role_name": "platform-admins", "access_policies": [
        {"policy_arn": f"arn:{partition}:eks::aws:cluster-access-policy/{name}", "access_scope": {"type": "cluster"}}
        for name in names]} for partition in ("aws", "aws-cn")]
    assert preflight_errors(broken(platform_eks_access_entries=entries), **PATHS) == []


def test_what_the_new_rules_let_through():
    """render.yml sets platform_rendering; a new managed add-on that EKS has (EFS's CSI driver, one letter from EBS's)
    or far from every name of ours (a marketplace one) is an addition, not a typo;
    a group of NVIDIA nodes with its taint, gp2 without iops and throughput, and PullOnly for the registry pass."""
    gpu = {**GROUP, "ami_type": "AL2023_x86_64_NVIDIA", "taints": [{"key": "nvidia.com/gpu", "effect": "NO_SCHEDULE"}]}
    fine = broken(platform_render_dir="/tmp/r", platform_rendering=True,
                  platform_eks_addons_base={"vpc-cni": {}, "aws-ebs-csi-driver": {}},
                  platform_eks_addons_overrides={"aws-efs-csi-driver": {}, "datadog_operator": {}},
                  platform_node_groups={"general": {**GROUP, "disk": {**GROUP["disk"], "type": "gp2", "iops": None,
                                                                      "throughput": None}}, "gpu": gpu},
                  platform_node_role_policies=["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                                               "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"],
                  platform_pod_security_exceptions={"triptrip-api": {"level": "baseline", "reason": "legacy image"}})
    assert [e for e in preflight_errors(fine, **PATHS) if "platform_instance_types" not in e] == []
