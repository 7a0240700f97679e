"""The AWS layer with the *production* inventory against the local moto server (with the patch layer of
localenv/moto_server.py): what the spec asks of the cluster, node groups, launch templates and IRSA holds when
read back through the AWS API; a rerun changes nothing; --check on a fresh account creates nothing; drift made
by hand is reported by --check --diff and repaired; bad input fails before any AWS request; destroy is refused
without confirmation and otherwise goes in order, scheduling the KMS key's deletion.

Access entries (moto has no API for them) are switched off with extra vars (the only difference from the
production inventory); their exact requests are asserted in tests/unit/plugins/modules. The managed add-ons go
through the patch layer's add-on API. After the converge, the EKS readiness rules (readiness.py) read the account
and the requests in order: what real AWS needs for nodes to join and serve, which moto does not enforce.
"""

from __future__ import annotations

import json
import re

import pytest
import readiness
from awsmoto import ADMIN_ROLE, Moto, changed_items, create_app_secrets, run_playbook
from summary import record

CLUSTER = "triptrip-production"
LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


_MOTO = Moto("aws")
MOTO = _MOTO.url
moto_api, start_recording, recorded_operations, aws = _MOTO.api, _MOTO.start_recording, _MOTO.recorded_operations, _MOTO.client


@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    env = _MOTO.start(root, tool_env, tmp_path_factory.mktemp("localenv-aws"))
    try:
        yield env
    finally:
        Moto.stop(root, env)


def playbook(root, env, name, *args):
    return run_playbook(root, env, "production", CLUSTER, name, *args)


def account_resources():
    vpcs = aws("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"]
    return {
        "vpcs": len(vpcs),
        "clusters": aws("eks").list_clusters()["clusters"],
        "roles": sorted(r["RoleName"] for r in aws("iam").list_roles()["Roles"]),
        "launch_templates": len(aws("ec2").describe_launch_templates()["LaunchTemplates"]),
        "oidc_providers": len(aws("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]),
        "keys": len([a for a in aws("kms").list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")]),
        "internet_gateways": len(aws("ec2").describe_internet_gateways()["InternetGateways"]),
        "elastic_ips": len(aws("ec2").describe_addresses()["Addresses"]),
        "nat_gateways": len([n for n in aws("ec2").describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]),
        "vpc_endpoints": len([e for e in aws("ec2").describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"]),
    }


# The account before the platform: only the platform team's admin role (awsmoto.Moto.start), which the platform
# names in an access entry and never deletes.
EMPTY = {"vpcs": 0, "clusters": [], "roles": [ADMIN_ROLE], "launch_templates": 0, "oidc_providers": 0, "keys": 0,
         "internet_gateways": 0, "elastic_ips": 0, "nat_gateways": 0, "vpc_endpoints": 0}


def test_01_check_on_a_fresh_account_creates_nothing(root, moto):
    assert account_resources() == EMPTY
    start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml", "--check")
    assert recap["failed"] == 0, res.stdout[-4000:]
    assert recap["changed"] > 0
    assert account_resources() == EMPTY
    writes = [op for op in recorded_operations() if re.match(r"(Create|Put|Attach|Tag|Update|Delete|Modify|Associate|"
                                                             r"Authorize|Enable|Schedule|POST|DELETE)", op)]
    assert writes == [], writes


CONVERGE = {}  # the first converge's requests, in order, for the readiness rules


def test_02_converge_builds_what_the_spec_asks(root, moto):
    create_app_secrets(aws("secretsmanager"))
    start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    CONVERGE["requests"] = _MOTO.recorded_requests()
    assert recap["failed"] == 0, res.stdout[-4000:]
    cluster = aws("eks").describe_cluster(name=CLUSTER)["cluster"]
    vpc = cluster["resourcesVpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert vpc.get("publicAccessCidrs", []) == []
    assert len(vpc["subnetIds"]) == 3
    key = aws("kms").describe_key(KeyId=f"alias/{CLUSTER}-eks-secrets")["KeyMetadata"]
    assert cluster["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": key["Arn"]}}]
    assert aws("kms").get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    enabled = [t for entry in cluster["logging"]["clusterLogging"] if entry["enabled"] for t in entry["types"]]
    assert sorted(enabled) == sorted(LOGS)
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    assert cluster["deletionProtection"] is True
    # Issue #27's availability settings, as production's inventory states them (moto patch 19 stores them).
    assert cluster["upgradePolicy"] == {"supportType": "EXTENDED"}
    assert cluster["zonalShiftConfig"] == {"enabled": True}
    assert cluster["controlPlaneScalingConfig"] == {"tier": "standard"}
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/aws/eks/{CLUSTER}/cluster")["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [90]
    # Egress (production: a NAT gateway per zone): each node subnet routes 0.0.0.0/0 to the NAT gateway of its own
    # zone, which sits in a public subnet of that zone routed to the VPC's internet gateway.
    ec2 = aws("ec2")
    vpc_id = ec2.describe_subnets(SubnetIds=vpc["subnetIds"][:1])["Subnets"][0]["VpcId"]  # moto's cluster has no vpcId
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=vpc_filter)["Subnets"]}
    (igw,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    nats = {n["NatGatewayId"]: n for n in ec2.describe_nat_gateways(Filter=vpc_filter)["NatGateways"] if n["State"] == "available"}
    assert len(nats) == 3 and {subnets[n["SubnetId"]]["AvailabilityZone"] for n in nats.values()} == {
        "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
    tables = ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]
    default_route = {a["SubnetId"]: next((r.get("NatGatewayId") or r.get("GatewayId")) for r in t["Routes"]
                                         if r.get("DestinationCidrBlock") == "0.0.0.0/0")
                     for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    for subnet_id in vpc["subnetIds"]:
        nat = nats[default_route[subnet_id]]
        assert subnets[nat["SubnetId"]]["AvailabilityZone"] == subnets[subnet_id]["AvailabilityZone"]
        assert default_route[nat["SubnetId"]] == igw["InternetGatewayId"]
    public = [s for s in subnets.values() if {"Key": "kubernetes.io/role/elb", "Value": "1"} in s.get("Tags", [])]
    assert sorted(s["CidrBlock"] for s in public) == ["10.0.96.0/24", "10.0.97.0/24", "10.0.98.0/24"]


def test_02b_eks_readiness_rules_hold(root, moto):
    """What AWS documents a working cluster needs and moto does not enforce (tests/integration/readiness.py)."""
    dr = readiness.secrets_state(root, moto, "dr", lambda region: aws("secretsmanager", region))
    plugin = readiness.device_plugin_release(root, moto, "production")
    state = readiness.gather(aws, CLUSTER, CONVERGE["requests"], "internet-facing", dr, plugin)
    results = readiness.check(state)
    for name, document, held, evidence in results:
        record("EKS readiness (AWS, production, egress nat)", name, document, held, evidence)
    assert [(name, evidence) for name, _document, held, evidence in results if not held] == []


SPEC_GROUPS = {
    "general": ("ON_DEMAND", (3, 50), {"workload-type": "general", "tier": "standard"}, []),
    "compute": ("ON_DEMAND", (2, 30), {"workload-type": "compute", "tier": "compute"},
                [{"key": "workload-type", "value": "compute", "effect": "NO_SCHEDULE"}]),
    "memory": ("ON_DEMAND", (1, 10), {"workload-type": "memory", "tier": "memory"},
               [{"key": "workload-type", "value": "memory", "effect": "NO_SCHEDULE"}]),
    "spot": ("SPOT", (0, 30), {"workload-type": "spot", "tier": "spot", "lifecycle": "spot"},
             [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]),
    "gpu": ("ON_DEMAND", (0, 5), {"workload-type": "gpu", "nvidia.com/gpu": "true"},
            [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]),
}


def test_03_five_node_groups_with_launch_templates(moto):
    eks, ec2 = aws("eks"), aws("ec2")
    assert sorted(eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]) == sorted(SPEC_GROUPS)
    for name, (capacity, (low, high), labels, taints) in SPEC_GROUPS.items():
        group = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
        assert group["capacityType"] == capacity, name
        assert (group["scalingConfig"]["minSize"], group["scalingConfig"]["maxSize"]) == (low, high), name
        assert group["labels"] == labels, name
        assert sorted(group["taints"], key=str) == sorted(taints, key=str), name
        assert group["updateConfig"] == {"maxUnavailablePercentage": 33}, name
        # Production's node auto repair and its thresholds (inventories/production).
        assert group["nodeRepairConfig"] == {"enabled": True, "maxUnhealthyNodeThresholdPercentage": 20,
                                             "maxParallelNodesRepairedPercentage": 10}, name
        assert group["tags"][f"k8s.io/cluster-autoscaler/{CLUSTER}"] == "owned"
        template = group["launchTemplate"]
        assert template["name"] == f"{CLUSTER}-{name}"
        data = ec2.describe_launch_template_versions(LaunchTemplateName=template["name"],
                                                     Versions=[template["version"]])["LaunchTemplateVersions"][0]
        data = data["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required", name
        assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1, name
        disk = data["BlockDeviceMappings"][0]["Ebs"]
        assert disk["VolumeType"] == "gp3" and disk["Encrypted"] is True and disk["Iops"] == 3000, name
        assert disk["VolumeSize"] == (200 if name == "memory" else 100), name
    assert eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="gpu")["nodegroup"]["amiType"] == "AL2023_x86_64_NVIDIA"


def test_04_controller_roles_reach_one_service_account_each_through_pod_identity(moto):
    """platform_aws_identity: pod_identity (the default): each controller's role trusts pods.eks.amazonaws.com, and a
    pod identity association gives it to exactly its service account. The OIDC provider stays registered (a
    migration to IRSA needs it)."""
    iam, eks = aws("iam"), aws("eks")
    issuer = eks.describe_cluster(name=CLUSTER)["cluster"]["identity"]["oidc"]["issuer"].removeprefix("https://")
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"].split("oidc-provider/")[1] for p in providers] == [issuer]
    associations = {}
    for summary in eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]:
        described = eks.describe_pod_identity_association(clusterName=CLUSTER, associationId=summary["associationId"])
        associations[f"{summary['namespace']}:{summary['serviceAccount']}"] = described["association"]["roleArn"]
    expected = {"ebs-csi": "kube-system:ebs-csi-controller-sa", "vpc-cni": "kube-system:aws-node",
                "aws-load-balancer-controller": "kube-system:aws-load-balancer-controller",
                "cluster-autoscaler": "kube-system:cluster-autoscaler",
                "external-secrets": "external-secrets:external-secrets", "keda": "keda:keda-operator",
                "fluent-bit": "monitoring:fluent-bit",
                "triptrip-api": "triptrip-api:triptrip-api", "triptrip-workers": "triptrip-workers:triptrip-queue-worker"}
    assert sorted(associations) == sorted(expected.values()), associations
    for key, subject in expected.items():
        role = iam.get_role(RoleName=f"{CLUSTER}-{key}")["Role"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement == {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                             "Action": ["sts:AssumeRole", "sts:TagSession"]}, key
        assert associations[subject] == role["Arn"], key
    # The workers consume their queue and nothing else; the API's role starts empty (its team grants).
    consume = iam.get_role_policy(RoleName=f"{CLUSTER}-triptrip-workers", PolicyName="sqs-consumer")
    (statement,) = consume["PolicyDocument"]["Statement"]
    assert [r.split(":")[-1] for r in statement["Resource"]] == ["triptrip-task-queue"]
    assert "sqs:DeleteMessage" in statement["Action"] and not [a for a in statement["Action"] if "*" in a]
    assert iam.list_role_policies(RoleName=f"{CLUSTER}-triptrip-api")["PolicyNames"] == []
    policy = iam.get_role_policy(RoleName=f"{CLUSTER}-cluster-autoscaler", PolicyName="cluster-autoscaler")
    scale = policy["PolicyDocument"]["Statement"][0]
    assert scale["Condition"]["StringEquals"][f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}"] == "owned"
    node = iam.list_attached_role_policies(RoleName=f"{CLUSTER}-node")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in node) == ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy"]


def cis_aws_controls() -> list[tuple[str, str, bool, str]]:
    """The CIS Amazon EKS Benchmark controls (numbered as in v2.0.0 / kube-bench eks-1.8.0) that the AWS side of
    the production configuration can prove, read back through the AWS API: (id, check, held, evidence)."""
    eks, ec2, iam = aws("eks"), aws("ec2"), aws("iam")
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    vpc = cluster["resourcesVpcConfig"]
    enabled = sorted(t for e in cluster["logging"]["clusterLogging"] if e["enabled"] for t in e["types"])
    key_arn = (cluster.get("encryptionConfig") or [{}])[0].get("provider", {}).get("keyArn", "")
    key = aws("kms").describe_key(KeyId=key_arn)["KeyMetadata"] if key_arn else {}
    groups = [eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=n)["nodegroup"]
              for n in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]]
    subnet_ids = sorted({s for g in groups for s in g["subnets"]})
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["RouteTables"]
    igw_routes = [r for t in tables for r in t["Routes"] if r.get("GatewayId", "").startswith("igw-")]
    imds = {}
    for g in groups:
        t = g["launchTemplate"]
        data = ec2.describe_launch_template_versions(LaunchTemplateName=t["name"], Versions=[t["version"]])
        options = data["LaunchTemplateVersions"][0]["LaunchTemplateData"]["MetadataOptions"]
        imds[g["nodegroupName"]] = (options["HttpTokens"], options["HttpPutResponseHopLimit"])
    node_role = groups[0]["nodeRole"].split("/")[-1]
    node_policies = sorted(p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=node_role)["AttachedPolicies"])
    node_inline = iam.list_role_policies(RoleName=node_role)["PolicyNames"]
    issuer = cluster["identity"]["oidc"]["issuer"].removeprefix("https://")
    web_identity = []
    for role in iam.list_roles()["Roles"]:
        for st in role["AssumeRolePolicyDocument"]["Statement"]:
            if st["Action"] == "sts:AssumeRoleWithWebIdentity":
                web_identity.append((role["RoleName"], st.get("Condition", {}).get("StringEquals", {})))
    loose = [name for name, cond in web_identity
             if not re.fullmatch(r"system:serviceaccount:[a-z0-9-]+:[a-z0-9-]+", cond.get(f"{issuer}:sub", ""))
             or cond.get(f"{issuer}:aud") != "sts.amazonaws.com"]
    # EKS Pod Identity: the role trusts the pods service; the association names the service account. Each such role
    # must reach exactly one service account, and never a namespace's `default`.
    eks = aws("eks")
    reached = {}
    for summary in eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]:
        described = eks.describe_pod_identity_association(clusterName=CLUSTER, associationId=summary["associationId"])
        role_name = described["association"]["roleArn"].rsplit("/", 1)[-1]
        reached.setdefault(role_name, []).append(f"{summary['namespace']}:{summary['serviceAccount']}")
    pod_roles = [role["RoleName"] for role in iam.list_roles()["Roles"]
                 if any((st.get("Principal") or {}).get("Service") == "pods.eks.amazonaws.com"
                        for st in role["AssumeRolePolicyDocument"]["Statement"])]
    loose += [name for name in pod_roles if len(reached.get(name, [])) != 1 or reached[name][0].endswith(":default")]
    dedicated = len(web_identity) + len(pod_roles)
    return [
        ("2.1.1", "audit logs: all five control plane log types enabled", enabled == sorted(LOGS), f"enabled={enabled}"),
        ("5.3.1", "secrets encrypted with a customer managed KMS key, rotating",
         cluster.get("encryptionConfig", [{}])[0].get("resources") == ["secrets"] and key.get("KeyManager") == "CUSTOMER"
         and aws("kms").get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"],
         f"key {key.get('KeyManager')} {key_arn.split(':')[-1]}"),
        ("5.4.1", "control plane endpoint: no public CIDR open",
         not vpc["endpointPublicAccess"] and vpc.get("publicAccessCidrs", []) in ([], None),
         f"public={vpc['endpointPublicAccess']} cidrs={vpc.get('publicAccessCidrs', [])}"),
        ("5.4.2", "private endpoint enabled and public access disabled",
         vpc["endpointPrivateAccess"] and not vpc["endpointPublicAccess"],
         f"private={vpc['endpointPrivateAccess']} public={vpc['endpointPublicAccess']}"),
        ("5.4.3", "private nodes: node subnets give no public IP and route to no internet gateway",
         all(not s["MapPublicIpOnLaunch"] for s in subnets) and not igw_routes,
         f"{len(subnets)} subnets, internet gateway routes {len(igw_routes)}"),
        ("4.1.7", "cluster access through the EKS access entry API only (authentication mode API)",
         cluster["accessConfig"]["authenticationMode"] == "API",
         f"authenticationMode={cluster['accessConfig']['authenticationMode']}"),
        ("IMDSv2", "node launch templates require IMDSv2 tokens with hop limit 1 (EKS best practice; not a "
         "numbered control of eks-1.8.0)", all(v == ("required", 1) for v in imds.values()) and len(imds) == 5,
         f"{imds}"),
        ("5.1.3 / node role", "node role: only AmazonEKSWorkerNodePolicy and read-only ECR, no inline policy "
         "(the CNI policy sits on the vpc-cni role)",
         node_policies == ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy"] and not node_inline,
         f"{node_policies} inline={node_inline}"),
        ("5.2.1", "dedicated service accounts: every web-identity role trusts exactly one service account of "
         "our OIDC issuer (StringEquals sub and aud), every pod identity role is associated with exactly one "
         "service account, none a namespace's default", dedicated >= 6 and not loose,
         f"{len(web_identity)} IRSA roles, {len(pod_roles)} pod identity roles, loose {loose}"),
    ]


def test_04c_cis_eks_controls_the_aws_configuration_proves(moto):
    controls = cis_aws_controls()
    for cid, check, held, evidence in controls:
        record("CIS EKS (AWS, production)", cid, check, held, evidence)
    failed = [(cid, evidence) for cid, _check, held, evidence in controls if not held]
    assert failed == []


def test_05_verify_passes_and_a_rerun_changes_nothing(root, moto):
    res, recap = playbook(root, moto, "playbooks/verify.yml", "--tags", "aws")
    assert recap["failed"] == 0, res.stdout[-4000:]
    start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap == {"changed": 0, "failed": 0}, (changed_items(res.stdout), res.stdout[-4000:])
    writes = [op for op in recorded_operations() if op.startswith(("POST /clusters", "DELETE ", "Create", "Put",
                                                                   "Attach", "Tag", "Update", "Schedule"))]
    assert writes == [], writes


def test_06_drift_is_reported_exactly_and_repaired(root, moto):
    eks = aws("eks")
    eks.update_cluster_config(name=CLUSTER, logging={"clusterLogging": [{"types": LOGS, "enabled": False}]})
    res, recap = playbook(root, moto, "playbooks/aws.yml", "--check", "--diff")
    assert recap == {"changed": 1, "failed": 0}, res.stdout[-4000:]
    task = res.stdout.split("TASK [triptrip.platform.eks_cluster : Create or converge the EKS cluster]")[1].split("TASK [")[0]
    assert "changed: [triptrip-production]" in task, task
    diff = [line for line in task.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert diff and all("logging_types" in line or line.strip("+- ,]") in ["", *[f'"{t}"' for t in LOGS]] for line in diff), task
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap == {"changed": 1, "failed": 0}, res.stdout[-4000:]
    enabled = [t for e in eks.describe_cluster(name=CLUSTER)["cluster"]["logging"]["clusterLogging"] if e["enabled"]
               for t in e["types"]]
    assert sorted(enabled) == sorted(LOGS)
    res, recap = playbook(root, moto, "playbooks/aws.yml")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-4000:]


def test_07_node_group_changes_are_updates_not_replacements(root, moto):
    eks = aws("eks")
    before = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="compute")["nodegroup"]
    override = {"platform_node_groups_overrides": {"compute": {
        "scaling": {"min_size": 4, "max_size": 40, "desired_size": 5},
        "labels": {"workload-type": "compute", "tier": "compute-xl"},
        "taints": [{"key": "workload-type", "value": "compute-xl", "effect": "NoSchedule"}]}}}
    start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml", "--tags", "eks_nodegroups", "-e", json.dumps(override))
    assert recap == {"changed": 1, "failed": 0}, res.stdout[-4000:]
    after = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="compute")["nodegroup"]
    assert after["nodegroupArn"] == before["nodegroupArn"] and after["createdAt"] == before["createdAt"]
    assert (after["scalingConfig"]["minSize"], after["scalingConfig"]["maxSize"]) == (4, 40)
    assert after["labels"]["tier"] == "compute-xl"
    assert after["taints"] == [{"key": "workload-type", "value": "compute-xl", "effect": "NO_SCHEDULE"}]
    operations = recorded_operations()
    assert f"POST /clusters/{CLUSTER}/node-groups/compute/update-config" in operations
    assert not [op for op in operations if op.startswith("DELETE")], operations


def test_07b_addon_and_access_entry_roles_send_what_the_inventory_says(root, moto):
    """The managed add-ons went through the patch layer's add-on API (localenv/moto_server.py, patch 12) in the
    converge (their order is a readiness rule, test_02b) and are read back as EKS stores them: version, IRSA role and
    configuration values from the production inventory; a rerun of the add-on roles changes nothing. Production's
    access entry (its admin role, with the cluster admin policy) goes through the patch layer's access entry API
    (patch 14) once the role exists, beside the runner's own entry, and is read back as EKS stores it."""
    env = moto
    eks = aws("eks")
    names = eks.list_addons(clusterName=CLUSTER)["addons"]
    addons = {n: eks.describe_addon(clusterName=CLUSTER, addonName=n)["addon"] for n in names}
    assert sorted(addons) == ["aws-ebs-csi-driver", "coredns", "eks-node-monitoring-agent", "eks-pod-identity-agent",
                              "kube-proxy", "vpc-cni"], names
    account = aws("sts").get_caller_identity()["Account"]
    cni = addons["vpc-cni"]
    # Under EKS Pod Identity the add-ons name no role: their service accounts' associations give it (test_04).
    assert cni["addonVersion"] == "v1.21.1-eksbuild.3" and "serviceAccountRoleArn" not in cni
    assert json.loads(cni["configurationValues"]) == {
        "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
        "enableNetworkPolicy": "true"}
    assert "serviceAccountRoleArn" not in addons["aws-ebs-csi-driver"]
    assert json.loads(addons["coredns"]["configurationValues"])["replicaCount"] == 3
    assert "serviceAccountRoleArn" not in addons["coredns"]
    assert json.loads(addons["kube-proxy"]["configurationValues"]) == {"mode": "iptables"}
    assert all(a["status"] == "ACTIVE" for a in addons.values())
    # Production's admin entry (its role is the account's, awsmoto.Moto.start) was made by the converge, with the
    # cluster admin policy at cluster scope, as the strict policy requires.
    admin = f"arn:aws:iam::{account}:role/{ADMIN_ROLE}"
    policies = eks.list_associated_access_policies(clusterName=CLUSTER, principalArn=admin)
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in policies["associatedAccessPolicies"]] == [
        ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "cluster")]
    res, recap = playbook(root, env, "playbooks/aws.yml", "--tags", "eks_access")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-3000:]
    # An entry naming a role the account does not have: the AWS play stops before any change.
    missing = {"platform_eks_access_entries": [
        {"role_name": ADMIN_ROLE, "access_policies": [
            {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
             "access_scope": {"type": "cluster"}}]},
        {"role_name": "triptrip-platform-auditor", "access_policies": [
            {"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
             "access_scope": {"type": "cluster"}}]}]}
    res, recap = playbook(root, env, "playbooks/aws.yml", "--tags", "eks_addons", "-e", json.dumps(missing))
    assert recap == {"changed": 0, "failed": 1} and "triptrip-platform-auditor, which IAM does not have" in res.stdout


BAD_INPUT = [
    ({"platform_node_groups_overrides": {"spot": {"capacity_type": "RESERVED"}}},
     "platform_node_groups.spot.capacity_type='RESERVED'"),
    ({"platform_node_groups_overrides": {"general": {"scaling": {"min_size": 60}}}},
     "platform_node_groups.general.scaling: min_size=60 is greater than max_size=50"),
    ({"platform_node_groups_overrides": {"gpu": {"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoWay"}]}}},
     "platform_node_groups.gpu.taints[0].effect='NoWay'"),
    ({"platform_private_subnets": [{"az": "ap-northeast-1a", "cidr": "10.0.0.0/19"}, {"az": "ap-northeast-1a", "cidr": "10.0.32.0/19"}]},
     "platform_private_subnets="),
    ({"platform_eks_log_retention_days": 91}, "platform_eks_log_retention_days"),
    ({"platform_irsa_roles_overrides": {"keda": {"service_account": "Keda Operator"}}}, "platform_irsa_roles.keda="),
    ({"platform_network_egress": "proxy"}, "value of platform_network_egress must be one of: nat, endpoints, got: proxy"),
    ({"platform_network_nat_gateways": 0}, "platform_network_nat_gateways=0 must be a whole number from 1"),
    ({"platform_network_nat_gateways": 4}, "platform_network_nat_gateways=4 must be a whole number from 1"),
    ({"platform_network_egress": "endpoints"},
     "addon_aws_load_balancer_controller_ingress triptrip-public (scheme=internet-facing) is internet-facing"),
    ({"platform_secrets_replica_regions": ["ap-northeast-1"]},
     'platform_secrets_replica_regions=[\\"ap-northeast-1\\"] region names other than the cluster\'s own'),
    ({"platform_secrets_replica_regions": ["osaka"]}, 'platform_secrets_replica_regions=[\\"osaka\\"] region names'),
    ({"platform_secrets": ["data base"]}, 'platform_secrets=[\\"data base\\"] must hold secret names'),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT, ids=[m.split("=")[0].split(":")[0] for _extra, m in BAD_INPUT])
def test_08_bad_input_fails_before_any_aws_request(root, moto, extra, message):
    start_recording()
    res, recap = playbook(root, moto, "playbooks/aws.yml", "-e", json.dumps(extra))
    assert recap["failed"] == 1 and recap["changed"] == 0
    assert message in res.stdout, res.stdout[-3000:]
    assert recorded_operations() == []


def adopted_vpc(with_nat):
    """Another team's VPC in moto: two private subnets in two zones; with_nat routes them to a NAT gateway in a
    public subnet (not tagged for load balancers). Returns (vpc id, private subnet ids, clean-up)."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    private = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=f"ap-northeast-1{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ac")]
    undo = []
    if with_nat:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.9.0/24", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        associations = [ec2.associate_route_table(RouteTableId=table, SubnetId=s)["AssociationId"] for s in private]
        undo = [*(lambda a=a: ec2.disassociate_route_table(AssociationId=a) for a in associations),
                lambda: ec2.delete_route_table(RouteTableId=table), lambda: ec2.delete_nat_gateway(NatGatewayId=nat),
                lambda: ec2.release_address(AllocationId=eip), lambda: ec2.delete_subnet(SubnetId=public),
                lambda: ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc),
                lambda: ec2.delete_internet_gateway(InternetGatewayId=igw)]

    def clean_up():
        for step in [*undo, *(lambda s=s: ec2.delete_subnet(SubnetId=s) for s in private), lambda: ec2.delete_vpc(VpcId=vpc)]:
            step()
    return vpc, private, clean_up


@pytest.mark.parametrize(("with_nat", "message"), [
    (False, "has no egress: its route table"),
    (True, "an internet-facing load balancer is configured, but the VPC has public subnets"),
], ids=["no-egress", "no-public-subnets"])
def test_08b_an_adopted_vpc_without_egress_or_public_subnets_is_refused_read_only(root, moto, with_nat, message):
    """The preflight of an adopted VPC reads it (subnets, route tables, endpoints) and names what it lacks before
    any change: a first run would otherwise end in node groups failing after half an hour (NodeCreationFailure)."""
    vpc, private, clean_up = adopted_vpc(with_nat)
    try:
        start_recording()
        res, recap = playbook(root, moto, "playbooks/aws.yml", "-e",
                              json.dumps({"platform_vpc_id": vpc, "platform_subnet_ids": private}))
        assert recap["failed"] == 1 and recap["changed"] == 0, res.stdout[-3000:]
        assert message in res.stdout, res.stdout[-3000:]
        if not with_nat:
            assert all(f"subnet {s} has no egress" in res.stdout for s in private)
        assert [op for op in recorded_operations() if not op.startswith(("Describe", "Get", "List"))] == []
    finally:
        clean_up()


def test_09_destroy_is_refused_without_confirmation(root, moto):
    before = account_resources()
    start_recording()
    res, recap = playbook(root, moto, "playbooks/destroy.yml")
    assert recap["failed"] == 1
    assert f"set confirm_destroy={CLUSTER} to confirm" in res.stdout
    assert recorded_operations() == [] and account_resources() == before


def test_09b_destroy_stops_when_the_kubernetes_api_cannot_be_reached(root, moto):
    # This moto-only account has no cluster API: its releases and load balancers could not go first.
    before = account_resources()
    start_recording()
    res, recap = playbook(root, moto, "playbooks/destroy.yml", "-e", f"confirm_destroy={CLUSTER}")
    assert recap["failed"] == 1
    assert f"The Kubernetes API of {CLUSTER} cannot be reached" in res.stdout
    assert "destroy_skip_kubernetes=true" in res.stdout
    # One read: DescribeCluster, for the endpoint the kubeconfig points at.
    assert recorded_operations() == [f"GET /clusters/{CLUSTER}"] and account_resources() == before


def controllers_leftovers():
    """What the load balancer controller and the VPC CNI leave in AWS when an Ingress's finalizer was stripped or a
    node went without detaching its ENIs, tagged as they tag it: an ALB with its listener, target group and
    security group, and a detached ENI in a node subnet."""
    ec2, elb = aws("ec2"), aws("elbv2")
    private = aws("eks").describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]["subnetIds"]
    vpc_id = ec2.describe_subnets(SubnetIds=private[:1])["Subnets"][0]["VpcId"]
    public = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:kubernetes.io/role/elb", "Values": ["1"]}])["Subnets"]]
    tag = [{"Key": "elbv2.k8s.aws/cluster", "Value": CLUSTER}]
    group = ec2.create_security_group(GroupName="k8s-triptrip-public", Description="managed LB security group",
                                      VpcId=vpc_id, TagSpecifications=[{"ResourceType": "security-group", "Tags": tag}])
    balancer = elb.create_load_balancer(Name="k8s-triptrip-public", Subnets=public[:2], SecurityGroups=[group["GroupId"]],
                                        Scheme="internet-facing", Type="application", Tags=tag)["LoadBalancers"][0]
    target = elb.create_target_group(Name="k8s-triptrip-api", Protocol="HTTP", Port=8080, VpcId=vpc_id,
                                     TargetType="ip", Tags=tag)["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": target["TargetGroupArn"]}])
    ec2.create_network_interface(SubnetId=private[0], TagSpecifications=[{"ResourceType": "network-interface", "Tags": [
        {"Key": "cluster.k8s.amazonaws.com/name", "Value": CLUSTER}]}])


def tagged_leftovers():
    ec2, elb = aws("ec2"), aws("elbv2")
    return {"load_balancers": [b["LoadBalancerName"] for b in elb.describe_load_balancers()["LoadBalancers"]],
            "target_groups": [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]],
            "security_groups": [g["GroupName"] for g in ec2.describe_security_groups(Filters=[
                {"Name": "tag:elbv2.k8s.aws/cluster", "Values": [CLUSTER]}])["SecurityGroups"]],
            "enis": [e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces(Filters=[
                {"Name": "tag:cluster.k8s.amazonaws.com/name", "Values": [CLUSTER]}])["NetworkInterfaces"]]}


def test_10_destroy_goes_in_order_and_keeps_the_key(root, moto):
    key_id = aws("kms").describe_key(KeyId=f"alias/{CLUSTER}-eks-secrets")["KeyMetadata"]["KeyId"]
    controllers_leftovers()
    assert all(tagged_leftovers().values()), tagged_leftovers()
    start_recording()
    # The AWS layer alone: no cluster API exists for this moto-only account.
    res, recap = playbook(root, moto, "playbooks/destroy.yml", "-e", f"confirm_destroy={CLUSTER}",
                          "-e", "destroy_skip_kubernetes=true")
    assert recap["failed"] == 0, [line for line in res.stdout.splitlines() if line.startswith(("fatal:", "failed:"))] or res.stdout[-4000:]
    operations = recorded_operations()
    deletes = [op for op in operations if op.startswith("DELETE /clusters")]
    cluster_delete = deletes.index(f"DELETE /clusters/{CLUSTER}")
    # The managed add-ons and the five node groups go before the cluster itself.
    before_cluster = deletes[:cluster_delete]
    assert sum("/node-groups/" in op for op in before_cluster) == 5, deletes
    # With the node monitoring agent and the pod identity agent (#27); EKS deletes the pod identity associations
    # with the cluster.
    assert sum("/addons/" in op for op in before_cluster) == 6, deletes
    assert len(before_cluster) == 11, deletes
    assert operations.index("DeleteRole") > operations.index(f"DELETE /clusters/{CLUSTER}")
    assert "ScheduleKeyDeletion" in operations and "DeleteVpc" in operations
    assert aws("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    left = account_resources()
    assert left == {**EMPTY, "keys": left["keys"]}, left
    # The sweep by tag: nothing the controllers made is left (the VPC could not have gone otherwise on AWS).
    left_tagged = tagged_leftovers()
    record("EKS readiness (AWS, production, after destroy)", "nothing tagged for the cluster remains",
           "https://docs.aws.amazon.com/eks/latest/userguide/delete-cluster.html", not any(left_tagged.values()),
           str(left_tagged))
    assert left_tagged == {"load_balancers": [], "target_groups": [], "security_groups": [], "enis": []}
    # Again: nothing is left to delete.
    res, recap = playbook(root, moto, "playbooks/destroy.yml", "-e", f"confirm_destroy={CLUSTER}",
                          "-e", "destroy_skip_kubernetes=true")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-4000:]
