"""EKS readiness rules: what AWS documents a working EKS cluster needs and moto does not enforce (it runs no nodes,
routes no packets and creates a cluster with any role, in any order). Each rule reads the account's state after a
converge, as the AWS API describes it, plus the requests the converge sent in order (the moto recorder), and
names the document it comes from. `gather` reads the state; `check` applies every rule to it.

The state is plain data in the API's own shape so that tests/integration/test_readiness_rules.py can break one
thing at a time and see the rule that must catch it fail."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

# What the nodes need to join (ECR api/dkr for images, EC2 for the VPC CNI, STS for IRSA) and what the platform's
# controllers call (CloudWatch Logs: Fluent Bit; Elastic Load Balancing: the LB controller; Auto Scaling: the
# cluster autoscaler; SQS: KEDA; Secrets Manager: External Secrets). S3 (image layers) is a gateway endpoint.
PRIVATE_CLUSTER_ENDPOINTS = ["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "elasticloadbalancing", "autoscaling",
                             "sqs", "secretsmanager"]
POD_NETWORK_ADDONS = ["vpc-cni", "kube-proxy"]
# The VPC CNI's service account; under EKS Pod Identity its association and the agent must be there before a node.
CNI_ACCOUNT = "kube-system/aws-node"
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
ANYWHERE = "0.0.0.0/0"


def eks_operation(operation: str) -> str:
    """The EKS REST request's API name (CreateCluster, CreateAddon, CreateNodegroup), else the operation."""
    for pattern, name in ((r"POST /clusters$", "CreateCluster"), (r"POST /clusters/[^/]+/addons$", "CreateAddon"),
                          (r"POST /clusters/[^/]+/node-groups$", "CreateNodegroup"),
                          (r"POST /clusters/[^/]+/access-entries$", "CreateAccessEntry"),
                          (r"POST /clusters/[^/]+/pod-identity-associations$", "CreatePodIdentityAssociation")):
        if re.match(pattern, operation):
            return name
    return operation


def gather(aws, cluster_name: str, requests: list[tuple[str, dict]], ingress_scheme: str,
           dr_secrets: dict | None = None, device_plugin: dict | None = None) -> dict:
    """The state the rules read: the cluster, its VPC's network, node groups, add-ons and roles, the requests,
    (secrets_state of inventories/dr) what the dr cluster reads of Secrets Manager, and (device_plugin_release)
    the NVIDIA device plugin the inventory installs."""
    eks, ec2, iam = aws("eks"), aws("ec2"), aws("iam")
    cluster = eks.describe_cluster(name=cluster_name)["cluster"]
    node_subnets = cluster["resourcesVpcConfig"]["subnetIds"]
    vpc_id = ec2.describe_subnets(SubnetIds=node_subnets[:1])["Subnets"][0]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    roles, trusts = {}, {}
    for role in iam.list_roles()["Roles"]:
        attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
        roles[role["Arn"]] = sorted(p["PolicyArn"] for p in attached)
        trusts[role["Arn"]] = role["AssumeRolePolicyDocument"]
    associations = {}
    for summary in eks.list_pod_identity_associations(clusterName=cluster_name)["associations"]:
        described = eks.describe_pod_identity_association(clusterName=cluster_name,
                                                          associationId=summary["associationId"])["association"]
        associations[f"{described['namespace']}/{described['serviceAccount']}"] = described["roleArn"]
    return {
        "vpc_id": vpc_id,
        "node_subnets": node_subnets,
        "ingress_scheme": ingress_scheme,
        "subnets": ec2.describe_subnets(Filters=in_vpc)["Subnets"],
        "route_tables": ec2.describe_route_tables(Filters=in_vpc)["RouteTables"],
        "nat_gateways": ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"],
        "internet_gateways": ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"],
        "endpoints": ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"],
        "nodegroups": [eks.describe_nodegroup(clusterName=cluster_name, nodegroupName=n)["nodegroup"]
                       for n in eks.list_nodegroups(clusterName=cluster_name)["nodegroups"]],
        "addons": {n: eks.describe_addon(clusterName=cluster_name, addonName=n)["addon"]
                   for n in eks.list_addons(clusterName=cluster_name)["addons"]},
        "roles": roles,
        "trusts": trusts,
        "associations": associations,
        "requests": [(eks_operation(op), params) for op, params in requests],
        "dr_secrets": dr_secrets,
        "device_plugin": device_plugin,
    }


def route_table_of(state: dict, subnet_id: str) -> dict | None:
    """The subnet's explicitly associated route table, else the VPC's main one (as EC2 routes)."""
    tables = state["route_tables"]
    for table in tables:
        if any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
            return table
    return next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)


def default_route(table: dict | None) -> dict:
    if not table:
        return {}
    return next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == ANYWHERE
                 and r.get("State", "active") == "active"), {})


def internet_routed(state: dict, subnet_id: str) -> bool:
    """0.0.0.0/0 of the subnet goes to an internet gateway attached to the VPC."""
    igws = {g["InternetGatewayId"] for g in state["internet_gateways"]
            if any(a.get("VpcId") == state["vpc_id"] and a.get("State") in ("available", "attached")
                   for a in g.get("Attachments", []))}
    return default_route(route_table_of(state, subnet_id)).get("GatewayId") in igws


def subnet_egress(state: dict, subnet_id: str) -> str:
    """'' when the node subnet reaches what nodes need, else what it lacks."""
    nats = {n["NatGatewayId"]: n for n in state["nat_gateways"] if n["State"] == "available"}
    table = route_table_of(state, subnet_id)
    nat = nats.get(default_route(table).get("NatGatewayId"))
    if nat:
        return "" if internet_routed(state, nat["SubnetId"]) else f"its NAT gateway's subnet {nat['SubnetId']} has no internet route"
    zone = next(s["AvailabilityZone"] for s in state["subnets"] if s["SubnetId"] == subnet_id)
    zones = {s["SubnetId"]: s["AvailabilityZone"] for s in state["subnets"]}
    services = {}
    for endpoint in state["endpoints"]:
        if endpoint.get("State", "available").lower() != "available":
            continue
        service = endpoint["ServiceName"].split(".", 3)[-1]
        if endpoint["VpcEndpointType"] == "Gateway":
            if table and table["RouteTableId"] in endpoint.get("RouteTableIds", []):
                services[service] = True
        elif endpoint.get("PrivateDnsEnabled") and zone in {zones.get(s) for s in endpoint.get("SubnetIds", [])}:
            services[service] = True
    missing = [s for s in [*PRIVATE_CLUSTER_ENDPOINTS, "s3"] if s not in services]
    if not missing:
        return ""
    return f"no NAT route and no endpoint (private DNS, in {zone}) for {', '.join(missing)}"


def rule_node_subnet_egress(state):
    lacking = {s: subnet_egress(state, s) for s in state["node_subnets"]}
    lacking = {s: why for s, why in lacking.items() if why}
    return not lacking and len(state["node_subnets"]) >= 2, lacking or f"{len(state['node_subnets'])} node subnets"


def rule_load_balancer_subnets(state):
    tag = "kubernetes.io/role/elb" if state["ingress_scheme"] == "internet-facing" else "kubernetes.io/role/internal-elb"
    tagged = [s for s in state["subnets"] if {"Key": tag, "Value": "1"} in s.get("Tags", [])]
    if state["ingress_scheme"] == "internet-facing":
        tagged = [s for s in tagged if internet_routed(state, s["SubnetId"])]
    zones = sorted({s["AvailabilityZone"] for s in tagged})
    return len(zones) >= 2, f"{tag}=1 ({state['ingress_scheme']}) in {zones}"


def create_calls(state, operation):
    return [(i, params) for i, (op, params) in enumerate(state["requests"]) if op == operation]


def rule_pod_network_before_nodes(state):
    (cluster,) = [params for _index, params in create_calls(state, "CreateCluster")] or [{}]
    addons = {params.get("addonName"): i for i, params in create_calls(state, "CreateAddon")}
    first_group = min((i for i, _params in create_calls(state, "CreateNodegroup")), default=None)
    needed = {a: addons.get(a) for a in POD_NETWORK_ADDONS}
    if not state["addons"].get("vpc-cni", {}).get("serviceAccountRoleArn"):
        # EKS Pod Identity: aws-node gets its credentials through its association and the agent on each node.
        needed[POD_IDENTITY_AGENT] = addons.get(POD_IDENTITY_AGENT)
        needed[f"association {CNI_ACCOUNT}"] = min(
            (i for i, p in create_calls(state, "CreatePodIdentityAssociation")
             if f"{p.get('namespace')}/{p.get('serviceAccount')}" == CNI_ACCOUNT), default=None)
    late = [a for a, i in needed.items() if i is None or first_group is None or i > first_group]
    bootstrap = cluster.get("bootstrapSelfManagedAddons", True)
    held = bool(cluster) and bootstrap is False and not late
    return held, f"bootstrapSelfManagedAddons={bootstrap}, created {needed}, first CreateNodegroup #{first_group}"


def trusts(document, principal_key, principal, action):
    statements = (document or {}).get("Statement") or []
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") == "Allow" and action in actions and \
                principal in str((statement.get("Principal") or {}).get(principal_key, "")):
            return True
    return False


def rule_cni_role(state):
    irsa = state["addons"].get("vpc-cni", {}).get("serviceAccountRoleArn")
    role = irsa or state["associations"].get(CNI_ACCOUNT)
    policies = state["roles"].get(role, [])
    trust = state["trusts"].get(role)
    if irsa:  # IRSA: EKS annotates aws-node; the role must take the web identity of the cluster's OIDC provider
        way, reached = "IRSA", trusts(trust, "Federated", ":oidc-provider/", "sts:AssumeRoleWithWebIdentity")
    else:  # EKS Pod Identity: the association, the agent, and a role the pods service may assume and tag
        way = "EKS Pod Identity"
        reached = POD_IDENTITY_AGENT in state["addons"] and all(
            trusts(trust, "Service", "pods.eks.amazonaws.com", a) for a in ("sts:AssumeRole", "sts:TagSession"))
    held = bool(role) and CNI_POLICY in policies and reached
    return held, f"vpc-cni role {role} through {way} (reached: {reached}): {policies}"


def passed_roles(operation, params):
    """The role ARNs an EKS create call hands to EKS."""
    keys = {"CreateCluster": ["roleArn"], "CreateNodegroup": ["nodeRole"], "CreateAddon": ["serviceAccountRoleArn"],
            "CreatePodIdentityAssociation": ["roleArn"]}
    return [params[k] for k in keys.get(operation, []) if params.get(k)]


def rule_roles_exist_before_use(state):
    created, late, passed = {}, [], 0
    for i, (op, params) in enumerate(state["requests"]):
        if op == "CreateRole":
            created.setdefault(params.get("RoleName"), i)
        for arn in passed_roles(op, params):
            passed += 1
            name = arn.rsplit("/", 1)[-1]
            if name in created:
                continue
            if any(o == "CreateRole" and p.get("RoleName") == name for o, p in state["requests"][i:]):
                late.append(f"{op} #{i}: {name} created after the call")
            elif arn not in state["roles"]:
                late.append(f"{op} #{i}: {name} does not exist")
    return passed > 0 and not late, late or f"{passed} role-passing calls, each after its role"


def inventory_settings(root: Path, env: dict, inventory: str, names: list[str]) -> dict:
    """The named settings as the platform role leaves them for an inventory (tests/fixtures/playbooks/show_vars.yml)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "settings.json"
        res = subprocess.run(["ansible-playbook", "tests/fixtures/playbooks/show_vars.yml", "-i", f"inventories/{inventory}",
                              "-e", json.dumps({"show_vars_file": str(out), "show_vars_names": names})],
                             cwd=root, env=env, capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
        return json.loads(out.read_text())


SECRET_SETTINGS = ["platform_environment", "platform_aws_region", "platform_secrets", "platform_secrets_environment", "platform_irsa_roles",
                   "platform_workloads", "platform_workloads_profile", "platform_addons"]


def merged(base, over):
    """Helm's merge of values files: maps recursively, everything else (lists too) replaced; null removes."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merged(base.get(key), value)
    return out


def secret_reads(root: Path, settings: dict) -> list[str]:
    """The Secrets Manager names a cluster's ExternalSecrets read: the platform's database_credentials and each
    enabled workload chart's externalSecrets, its values as Helm gets them (values.yaml, values-<profile>.yaml,
    the inventory's values)."""
    external = settings["platform_addons"]["external_secrets"]
    reads = [external["database_credentials"]["remote_key"]] if external["enabled"] else []
    profile = settings["platform_workloads_profile"]
    for workload in settings["platform_workloads"].values():
        if not workload.get("enabled"):
            continue
        chart = root / "charts" / workload["chart"]
        values = yaml.safe_load((chart / "values.yaml").read_text()) or {}
        if profile and (chart / f"values-{profile}.yaml").exists():
            values = merged(values, yaml.safe_load((chart / f"values-{profile}.yaml").read_text()) or {})
        secrets = merged(values, workload.get("values") or {}).get("externalSecrets") or {}
        if secrets.get("enabled"):
            reads += [s["remoteRef"] for s in secrets.get("secrets") or []]
            reads += [d["remoteRef"]["key"] for d in secrets.get("data") or []]
    return sorted(set(reads))


def secret_grants(settings: dict) -> list[str]:
    """The secret ARNs the cluster's external-secrets role may read (roles/aws_irsa's policy: each prefix, in the
    cluster's region)."""
    role = settings["platform_irsa_roles"]["external-secrets"]
    return [f"arn:aws:secretsmanager:{settings['platform_aws_region']}:*:secret:{prefix}*"
            for prefix in role["secret_prefixes"]]


def secrets_state(root: Path, env: dict, inventory: str, secretsmanager) -> dict:
    """What a cluster of `inventory` reads, what its role may read, and the secrets that exist in its region
    (`secretsmanager(region)`: a client there)."""
    settings = inventory_settings(root, env, inventory, SECRET_SETTINGS)
    region = settings["platform_aws_region"]
    names = [s["Name"] for s in secretsmanager(region).list_secrets()["SecretList"]]
    return {"inventory": inventory, "region": region, "reads": secret_reads(root, settings),
            "grants": secret_grants(settings), "secrets": names}


def rule_dr_reads_its_secrets(state):
    dr = state.get("dr_secrets")
    if not dr or not dr["reads"]:
        return False, "no secret reads of the dr cluster gathered"
    lacking = []
    for name in dr["reads"]:
        arn = f"arn:aws:secretsmanager:{dr['region']}:123456789012:secret:{name}-AbCdEf"
        if name not in dr["secrets"]:
            lacking.append(f"{name}: no secret (or replica) in {dr['region']}")
        elif not any(fnmatch.fnmatchcase(arn, grant) for grant in dr["grants"]):
            lacking.append(f"{name}: not in its external-secrets role's grants {dr['grants']}")
    return not lacking, lacking or f"{len(dr['reads'])} secrets in {dr['region']}, each granted: {dr['reads']}"


def device_plugin_release(root: Path, env: dict, inventory: str) -> dict | None:
    """The NVIDIA device plugin's release as playbooks/render.yml writes it for the inventory, or None when the
    inventory installs none."""
    with tempfile.TemporaryDirectory() as folder:
        res = subprocess.run(["ansible-playbook", "playbooks/render.yml", "-i", f"inventories/{inventory}",
                              "-e", f"platform_render_dir={folder}", "--tags", "nvidia_device_plugin"],
                             cwd=root, env=env, capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
        found = list(Path(folder).glob("*/nvidia-device-plugin.release.yaml"))
        return yaml.safe_load(found[0].read_text()) if found else None


# EKS's taint effects as Kubernetes spells them; PreferNoSchedule keeps no pod off a node.
TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def tolerated(taint: dict, tolerations: list[dict]) -> bool:
    """Kubernetes' toleration matching for one EKS node group taint."""
    effect = TAINT_EFFECTS.get(taint.get("effect"), taint.get("effect"))
    for t in tolerations:
        if t.get("effect") and t["effect"] != effect:
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint["key"]):
            return True
        if t.get("key") == taint["key"] and str(t.get("value", "")) == str(taint.get("value", "")):
            return True
    return False


def rule_gpu_groups_have_the_device_plugin(state):
    gpu = [g for g in state["nodegroups"] if re.search(r"NVIDIA|GPU", g.get("amiType", ""))
           and not g.get("amiType", "").startswith("BOTTLEROCKET")]
    if not gpu:
        return False, "no GPU node group to check"
    release = state.get("device_plugin")
    if not release:
        return False, f"{[g['nodegroupName'] for g in gpu]} run {gpu[0]['amiType']} and no NVIDIA device plugin is installed"
    values = release.get("values") or {}
    selector, tolerations = values.get("nodeSelector") or {}, values.get("tolerations") or []
    lacking = []
    for group in gpu:
        labels = group.get("labels") or {}
        if any(labels.get(k) != str(v) for k, v in selector.items()):
            lacking.append(f"{group['nodegroupName']}: labels {labels} do not match the plugin's nodeSelector {selector}")
        for taint in group.get("taints") or []:
            if taint.get("effect") != "PREFER_NO_SCHEDULE" and not tolerated(taint, tolerations):
                lacking.append(f"{group['nodegroupName']}: taint {taint} not tolerated by the plugin")
    return not lacking, lacking or f"{[g['nodegroupName'] for g in gpu]}: the plugin selects and tolerates them"


RULES = [
    ("node subnets have egress", "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html, "
     "https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html", rule_node_subnet_egress),
    ("load balancer subnets tagged in 2+ zones", "https://kubernetes-sigs.github.io/aws-load-balancer-controller/"
     "latest/deploy/subnet_discovery/", rule_load_balancer_subnets),
    ("bootstrapSelfManagedAddons=false, vpc-cni and kube-proxy (and, under EKS Pod Identity, the agent and aws-node's "
     "association) before the first node group",
     "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html, "
     "https://docs.aws.amazon.com/eks/latest/userguide/eks-networking-add-ons.html, "
     "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html", rule_pod_network_before_nodes),
    ("vpc-cni's role holds AmazonEKS_CNI_Policy and trusts the way aws-node reaches it",
     "https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html, "
     "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html", rule_cni_role),
    ("every role a create call passes exists before the call",
     "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency",
     rule_roles_exist_before_use),
    ("the dr cluster reads its secrets in its own region",
     "https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html, "
     "https://external-secrets.io/latest/provider/aws-secrets-manager/", rule_dr_reads_its_secrets),
    ("GPU node groups run the NVIDIA device plugin",
     "https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-k8s-device-plugin.html, "
     "https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/", rule_gpu_groups_have_the_device_plugin),
]


def check(state: dict) -> list[tuple[str, str, bool, str]]:
    """(rule, document, held, evidence) of every rule."""
    results = []
    for name, document, rule in RULES:
        held, evidence = rule(state)
        results.append((name, document, bool(held), str(evidence)))
    return results
