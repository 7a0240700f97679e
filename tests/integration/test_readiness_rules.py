"""The EKS readiness rules (readiness.py) on hand-built states: one that holds every rule, then each rule's own
breakage, which must make that rule (and only that one) fail. The converges of test_aws_production.py and
test_aws_endpoints.py check real states; these show the rules can fail at all."""

from __future__ import annotations

import copy

import pytest
import readiness

ZONES = ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
CLUSTER_ROLE = "arn:aws:iam::123456789012:role/triptrip-cluster"
NODE_ROLE = "arn:aws:iam::123456789012:role/triptrip-node"
CNI_ROLE = "arn:aws:iam::123456789012:role/triptrip-vpc-cni"
WEB_IDENTITY = {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/A"}}
POD_IDENTITY = {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Principal": {"Service": "pods.eks.amazonaws.com"}}


def subnet(subnet_id, zone, tags=()):
    return {"SubnetId": subnet_id, "AvailabilityZone": zone, "VpcId": "vpc-1",
            "Tags": [{"Key": k, "Value": "1"} for k in tags]}


def nat_state():
    """A VPC as roles/aws_network builds it in nat mode: public subnets with an IGW route, a NAT per zone."""
    private = [f"subnet-p{i}" for i in range(3)]
    public = [f"subnet-u{i}" for i in range(3)]
    tables = [{"RouteTableId": "rtb-main", "Associations": [{"Main": True}], "Routes": []},
              {"RouteTableId": "rtb-public", "Associations": [{"SubnetId": s} for s in public],
               "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}]}]
    tables += [{"RouteTableId": f"rtb-private{i}", "Associations": [{"SubnetId": private[i]}],
                "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": f"nat-{i}", "State": "active"}]}
               for i in range(3)]
    requests = [
        ("CreateRole", {"RoleName": "triptrip-cluster"}),
        ("CreateRole", {"RoleName": "triptrip-node"}),
        ("CreateCluster", {"name": "triptrip", "roleArn": CLUSTER_ROLE, "bootstrapSelfManagedAddons": False}),
        ("CreateRole", {"RoleName": "triptrip-vpc-cni"}),
        ("CreateAddon", {"addonName": "vpc-cni", "serviceAccountRoleArn": CNI_ROLE}),
        ("CreateAddon", {"addonName": "kube-proxy"}),
        ("CreateNodegroup", {"nodegroupName": "general", "nodeRole": NODE_ROLE}),
        ("CreateAddon", {"addonName": "coredns"}),
    ]
    return {
        "vpc_id": "vpc-1",
        "node_subnets": private,
        "ingress_scheme": "internet-facing",
        "subnets": [subnet(s, z, ["kubernetes.io/role/internal-elb"]) for s, z in zip(private, ZONES)]
        + [subnet(s, z, ["kubernetes.io/role/elb"]) for s, z in zip(public, ZONES)],
        "route_tables": tables,
        "nat_gateways": [{"NatGatewayId": f"nat-{i}", "SubnetId": public[i], "State": "available"} for i in range(3)],
        "internet_gateways": [{"InternetGatewayId": "igw-1",
                               "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}],
        "endpoints": [],
        "nodegroups": [{"nodegroupName": "general", "nodeRole": NODE_ROLE, "amiType": "AL2023_x86_64_STANDARD"},
                       {"nodegroupName": "gpu", "nodeRole": NODE_ROLE, "amiType": "AL2023_x86_64_NVIDIA",
                        "labels": {"workload-type": "gpu", "nvidia.com/gpu": "true"},
                        "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]}],
        "device_plugin": {"values": {"nodeSelector": {"nvidia.com/gpu": "true"},
                                     "tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true",
                                                      "effect": "NoSchedule"}]}},
        "addons": {"vpc-cni": {"serviceAccountRoleArn": CNI_ROLE}, "kube-proxy": {}, "coredns": {}},
        "roles": {CLUSTER_ROLE: ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
                  NODE_ROLE: ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
                  CNI_ROLE: [readiness.CNI_POLICY]},
        "trusts": {CNI_ROLE: {"Statement": [WEB_IDENTITY]}},
        "associations": {},
        "requests": requests,
        # inventories/dr: production's secrets, replicated to Osaka, granted there to its external-secrets role.
        "dr_secrets": {"inventory": "dr", "region": "ap-northeast-3",
                       "reads": ["triptrip/production/database", "triptrip/production/redis"],
                       "grants": ["arn:aws:secretsmanager:ap-northeast-3:*:secret:triptrip/production/*"],
                       "secrets": ["triptrip/production/database", "triptrip/production/redis"]},
    }


def pod_identity_state():
    """nat_state with the VPC CNI on EKS Pod Identity: the add-on names no role, the agent and aws-node's association
    come before the nodes, and the role trusts pods.eks.amazonaws.com."""
    state = nat_state()
    state["requests"][4] = ("CreateAddon", {"addonName": "vpc-cni"})
    state["requests"][5:5] = [("CreateAddon", {"addonName": "eks-pod-identity-agent"}),
                              ("CreatePodIdentityAssociation", {"namespace": "kube-system", "serviceAccount": "aws-node",
                                                                "roleArn": CNI_ROLE})]
    state["addons"] = {"vpc-cni": {}, "kube-proxy": {}, "coredns": {}, "eks-pod-identity-agent": {}}
    state["associations"] = {"kube-system/aws-node": CNI_ROLE}
    state["trusts"] = {CNI_ROLE: {"Statement": [POD_IDENTITY]}}
    return state


def endpoints_state():
    """No NAT and no internet gateway: interface endpoints with private DNS in every zone, S3 as a gateway."""
    state = nat_state()
    state["nat_gateways"], state["internet_gateways"] = [], []
    state["subnets"] = [s for s in state["subnets"] if s["SubnetId"].startswith("subnet-p")]
    state["route_tables"] = [{"RouteTableId": "rtb-private", "Associations": [{"SubnetId": s} for s in
                                                                              state["node_subnets"]], "Routes": []}]
    state["ingress_scheme"] = "internal"
    state["endpoints"] = [{"ServiceName": f"com.amazonaws.ap-northeast-1.{service}", "VpcEndpointType": "Interface",
                           "State": "available", "PrivateDnsEnabled": True, "SubnetIds": state["node_subnets"]}
                          for service in readiness.PRIVATE_CLUSTER_ENDPOINTS]
    state["endpoints"].append({"ServiceName": "com.amazonaws.ap-northeast-1.s3", "VpcEndpointType": "Gateway",
                               "State": "available", "RouteTableIds": ["rtb-private"]})
    return state


def failing(state):
    return {name for name, _document, held, _evidence in readiness.check(state) if not held}


@pytest.mark.parametrize("build", [nat_state, endpoints_state, pod_identity_state])
def test_a_working_layout_holds_every_rule(build):
    results = readiness.check(build())
    assert len(results) == len(readiness.RULES) == 7
    assert all(held for _name, _document, held, _evidence in results), results


EGRESS, LB, ORDER, CNI, ROLES, DR_SECRETS, GPU = (name for name, _document, _rule in readiness.RULES)


def drop_nat_routes(state):
    for table in state["route_tables"]:
        table["Routes"] = [r for r in table["Routes"] if "NatGatewayId" not in r]


def nat_in_private_subnet(state):
    # A NAT gateway whose own subnet has no route to the internet gateway forwards nothing.
    for nat in state["nat_gateways"]:
        nat["SubnetId"] = "subnet-p0"


def detach_igw(state):
    state["internet_gateways"] = []


def nat_pending(state):
    for nat in state["nat_gateways"]:
        nat["State"] = "pending"


def untag_public(state):
    for s in state["subnets"]:
        if s["SubnetId"] != "subnet-u0":
            s["Tags"] = [t for t in s["Tags"] if t["Key"] != "kubernetes.io/role/elb"]


def bootstrap_default(state):
    for op, params in state["requests"]:
        if op == "CreateCluster":
            params.pop("bootstrapSelfManagedAddons")


def cni_after_nodes(state):
    state["requests"].append(state["requests"].pop(4))


def no_kube_proxy(state):
    del state["requests"][5]


def cni_role_without_policy(state):
    state["roles"][CNI_ROLE] = []


def cni_without_role(state):
    state["addons"]["vpc-cni"] = {}


def cni_role_trusts_no_web_identity(state):
    state["trusts"][CNI_ROLE] = {"Statement": [POD_IDENTITY]}


def agent_after_nodes(state):
    state["requests"].append(state["requests"].pop(5))


def cni_association_after_nodes(state):
    state["requests"].append(state["requests"].pop(6))


def no_pod_identity_agent(state):
    del state["requests"][5]
    del state["addons"]["eks-pod-identity-agent"]


def cni_role_trusts_pods_without_tag_session(state):
    state["trusts"][CNI_ROLE] = {"Statement": [{**POD_IDENTITY, "Action": "sts:AssumeRole"}]}


def no_cni_association(state):
    del state["requests"][6]
    state["associations"] = {}


def node_role_created_after_cluster(state):
    state["requests"].append(state["requests"].pop(1))


def role_never_created(state):
    del state["requests"][0]
    del state["roles"][CLUSTER_ROLE]


def dr_reads_its_own_environment(state):
    # The break of issue #22: the role granted triptrip/dr/* while the values read production's names.
    state["dr_secrets"]["grants"] = ["arn:aws:secretsmanager:ap-northeast-3:*:secret:triptrip/dr/*"]


def dr_grant_in_the_primary_region(state):
    state["dr_secrets"]["grants"] = ["arn:aws:secretsmanager:ap-northeast-1:*:secret:triptrip/production/*"]


def secret_not_replicated(state):
    state["dr_secrets"]["secrets"] = ["triptrip/production/database"]


def no_dr_state(state):
    state["dr_secrets"] = None


def no_device_plugin(state):
    state["device_plugin"] = None


def plugin_selects_other_nodes(state):
    state["device_plugin"]["values"]["nodeSelector"] = {"workload-type": "compute"}


def plugin_does_not_tolerate_the_gpu_taint(state):
    state["device_plugin"]["values"]["tolerations"] = [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}]


def gpu_group_gone(state):
    state["nodegroups"] = state["nodegroups"][:1]


BREAKAGES = [
    (nat_state, drop_nat_routes, {EGRESS}),
    (nat_state, nat_in_private_subnet, {EGRESS}),
    (nat_state, nat_pending, {EGRESS}),
    # Without the IGW neither the NAT gateways nor the public ALB subnets reach the internet.
    (nat_state, detach_igw, {EGRESS, LB}),
    (nat_state, untag_public, {LB}),
    (nat_state, bootstrap_default, {ORDER}),
    (nat_state, cni_after_nodes, {ORDER}),
    (nat_state, no_kube_proxy, {ORDER}),
    (nat_state, cni_role_without_policy, {CNI}),
    # An add-on that names no role means EKS Pod Identity, and nat_state has neither its agent nor an association.
    (nat_state, cni_without_role, {ORDER, CNI}),
    (nat_state, cni_role_trusts_no_web_identity, {CNI}),
    (pod_identity_state, agent_after_nodes, {ORDER}),
    (pod_identity_state, cni_association_after_nodes, {ORDER}),
    (pod_identity_state, no_pod_identity_agent, {ORDER, CNI}),
    (pod_identity_state, cni_role_trusts_pods_without_tag_session, {CNI}),
    (pod_identity_state, no_cni_association, {ORDER, CNI}),
    (nat_state, node_role_created_after_cluster, {ROLES}),
    (nat_state, role_never_created, {ROLES}),
    (nat_state, dr_reads_its_own_environment, {DR_SECRETS}),
    (nat_state, dr_grant_in_the_primary_region, {DR_SECRETS}),
    (nat_state, secret_not_replicated, {DR_SECRETS}),
    (nat_state, no_dr_state, {DR_SECRETS}),
    (nat_state, no_device_plugin, {GPU}),
    (nat_state, plugin_selects_other_nodes, {GPU}),
    (nat_state, plugin_does_not_tolerate_the_gpu_taint, {GPU}),
    (nat_state, gpu_group_gone, {GPU}),
]


def endpoint_missing(service):
    def breakage(state):
        state["endpoints"] = [e for e in state["endpoints"] if not e["ServiceName"].endswith("." + service)]
    breakage.__name__ = f"no_{service}_endpoint"
    return breakage


def endpoint_without_private_dns(state):
    state["endpoints"][0]["PrivateDnsEnabled"] = False


def endpoint_in_two_zones(state):
    state["endpoints"][1]["SubnetIds"] = state["node_subnets"][:2]


def s3_gateway_not_on_the_route_table(state):
    state["endpoints"][-1]["RouteTableIds"] = []


def internal_subnets_untagged(state):
    for s in state["subnets"][1:]:
        s["Tags"] = []


BREAKAGES += [(endpoints_state, endpoint_missing(s), {EGRESS}) for s in ["ecr.dkr", "sts", "logs"]]
BREAKAGES += [(endpoints_state, b, {EGRESS}) for b in
              [endpoint_without_private_dns, endpoint_in_two_zones, s3_gateway_not_on_the_route_table]]
BREAKAGES += [(endpoints_state, internal_subnets_untagged, {LB})]


@pytest.mark.parametrize(("build", "breakage", "expected"), BREAKAGES,
                         ids=[f"{b.__name__}-{k.__name__}" for b, k, _expected in BREAKAGES])
def test_each_breakage_fails_its_rule(build, breakage, expected):
    state = copy.deepcopy(build())
    breakage(state)
    assert failing(state) == expected


def test_the_evidence_names_what_is_missing():
    state = endpoints_state()
    endpoint_missing("sts")(state)
    (evidence,) = [e for name, _document, held, e in readiness.check(state) if name == EGRESS]
    assert "sts" in evidence and "ecr.dkr" not in evidence
    assert all(doc.startswith("https://docs.aws.amazon.com/") or "github.io" in doc
               for _name, doc, _rule in readiness.RULES)


@pytest.mark.parametrize("inventory", ["production", "staging", "development", "dr", "local"])
def test_every_secret_an_inventory_reads_is_granted_in_its_region_and_replicated_there(root, tool_env, inventory):
    """From the inventories alone: each name the cluster's ExternalSecrets read is granted to its external-secrets
    role in its own region, and one of another environment's is in that region (replicated there by it)."""
    settings = readiness.inventory_settings(root, tool_env, inventory, readiness.SECRET_SETTINGS)
    reads, grants, region = readiness.secret_reads(root, settings), readiness.secret_grants(settings), settings["platform_aws_region"]
    own = f"triptrip/{settings['platform_secrets_environment']}/"
    assert all(name.startswith(own) and name[len(own):] in settings["platform_secrets"] for name in reads), (reads, own)
    state = {"dr_secrets": {"region": region, "reads": reads, "grants": grants, "secrets": reads}}
    if reads:
        held, evidence = readiness.rule_dr_reads_its_secrets(state)
        assert held, evidence
    if settings["platform_secrets_environment"] != settings["platform_environment"]:
        # Another environment's secrets: in its region (local beside production), or replicated to this one (dr).
        source = readiness.inventory_settings(root, tool_env, settings["platform_secrets_environment"],
                                              ["platform_aws_region", "platform_secrets", "platform_secrets_replica_regions"])
        assert region == source["platform_aws_region"] or region in source["platform_secrets_replica_regions"], source
        assert set(settings["platform_secrets"]) <= set(source["platform_secrets"])
