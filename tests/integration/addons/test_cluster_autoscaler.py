"""The Cluster Autoscaler on the converged local platform (spec 4.3.1): the release at the pinned version in
kube-system, every flag of the spec as the chart's extraArgs and on the container's command line, auto-discovery of
this cluster's tagged Auto Scaling groups, the IRSA service account, the spec's priority class and resources, and an
image whose minor is the control plane's."""

from __future__ import annotations

import re

NS = "kube-system"
CLUSTER = "triptrip-local"  # platform_cluster_name of the local inventory
REGION = "ap-northeast-1"
EKS_MINOR = "1.35"  # platform_eks_version
# Spec 4.3.1, flag by flag (cloud-provider and node-group-auto-discovery come from the chart's own values).
SPEC_FLAGS = {
    "v": 4,
    "stderrthreshold": "info",
    "skip-nodes-with-local-storage": False,
    "expander": "least-waste",
    "balance-similar-node-groups": True,
    "scale-down-enabled": True,
    "scale-down-delay-after-add": "10m",
    "scale-down-delay-after-delete": "0s",
    "scale-down-delay-after-failure": "3m",
    "scale-down-unneeded-time": "10m",
    "scale-down-unready-time": "20m",
    "scale-down-utilization-threshold": 0.5,
    "max-graceful-termination-sec": 600,
    "max-node-provision-time": "15m",
}
DISCOVERY = f"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{CLUSTER}"


def flag(value) -> str:
    """A value as Helm prints it into --flag=value."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_the_values_carry_every_flag_of_spec_4_3_1_and_nothing_else(addons):
    values = addons.values("cluster-autoscaler", NS)
    assert values["extraArgs"] == SPEC_FLAGS


def test_it_discovers_the_auto_scaling_groups_of_this_cluster_on_aws(addons):
    values = addons.values("cluster-autoscaler", NS)
    assert values["cloudProvider"] == "aws"
    assert values["awsRegion"] == REGION
    assert values["autoDiscovery"] == {
        "clusterName": CLUSTER,
        "tags": ["k8s.io/cluster-autoscaler/enabled", f"k8s.io/cluster-autoscaler/{CLUSTER}"],
    }


def test_the_container_runs_with_the_spec_flags_and_the_discovery_tags(addons):
    deployment = addons.get("deployment", "cluster-autoscaler", NS)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    command = container["command"]
    assert "--cloud-provider=aws" in command
    assert DISCOVERY in command
    for name, value in SPEC_FLAGS.items():
        assert f"--{name}={flag(value)}" in command, name
    assert {"name": "AWS_REGION", "value": REGION} in container["env"]


def test_the_image_has_the_control_planes_minor(addons):
    tag = addons.values("cluster-autoscaler", NS)["image"]["tag"]
    assert re.fullmatch(rf"v{re.escape(EKS_MINOR)}\.[0-9]+", tag), tag
    image = addons.get("deployment", "cluster-autoscaler", NS)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"registry.k8s.io/autoscaling/cluster-autoscaler:{tag}"


def test_the_service_account_gets_the_cluster_autoscaler_role_through_pod_identity(addons):
    deployment = addons.get("deployment", "cluster-autoscaler", NS)
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "cluster-autoscaler"
    ways = addons.credentials(NS, "cluster-autoscaler")
    assert ways["irsa"] == ""
    assert re.fullmatch(rf"arn:aws:iam::[0-9]{{12}}:role/{CLUSTER}-cluster-autoscaler", ways["pod_identity"])


def test_the_pod_is_system_cluster_critical_with_the_spec_resources_and_ready(addons):
    deployment = addons.get("deployment", "cluster-autoscaler", NS)
    pod = deployment["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "100m", "memory": "300Mi"},
                                                 "limits": {"cpu": "500m", "memory": "1Gi"}}
    assert deployment["spec"]["replicas"] == 1
    assert deployment["status"].get("readyReplicas") == 1
