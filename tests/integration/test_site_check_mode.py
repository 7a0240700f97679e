"""site.yml on the local environment, on molecule's default scenario: --check on an empty account and cluster is a
plan that changes nothing; molecule's converge builds the platform; a hand-made drift is reported by molecule's
check (with --diff) and repaired by a run; then molecule's idempotence and verify, and its destroy at the end.

molecule's steps run here, between the checks that need the states in between (empty, AWS only, converged,
drifted), instead of in a `molecule test` of their own: the same scenario and steps, one platform and one converge
instead of two (`make molecule` still runs `molecule test` whole). molecule's check runs on the drifted platform: a
plan that lists exactly the drifts is also the check of the converged platform (every other task plans no change),
so a second check run after the idempotence step would only repeat it."""

from __future__ import annotations

import json
import re
import subprocess

import boto3
import pytest
import yaml
from localplatform import changed_tasks, listening
from summary import record

SCENARIO = "default"


def molecule_step(root, platform, step, env=None):
    """One step of molecule's default scenario (molecule create, converge, ...) on this module's platform:
    (whether molecule reported it successful, its output without colours)."""
    res = subprocess.run(["molecule", step, "-s", SCENARIO], cwd=root, env={**platform["molecule_env"], **(env or {})},
                         capture_output=True, text=True, check=False)
    out = re.sub(r"\x1b\[[0-9;]*m", "", res.stdout + res.stderr)
    return res.returncode == 0 and bool(re.search(rf"{step}: Executed: Successful", out)), out


def molecule(root, platform, step, env=None):
    ok, out = molecule_step(root, platform, step, env)
    assert ok, out[-6000:]
    return out


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    """molecule's platform: its create starts the local platform on the scenario's ports (28xxx), in a state folder
    under the ephemeral directory this module gives it."""
    scenario = yaml.safe_load((root / "molecule" / SCENARIO / "molecule.yml").read_text())["ansible"]["env"]
    ports = {k: int(v) for k, v in scenario.items() if k.endswith("_PORT")}
    busy = [p for p in ports.values() if listening(p)]
    assert not busy, f"ports {busy} are taken before the test starts (a `make molecule` running?)"
    ephemeral = tmp_path_factory.mktemp("molecule-default")
    state = ephemeral / "localenv"
    # The tests read ansible-playbook's lines: molecule's borders would prefix them and wrap them at the terminal's width.
    molecule_env = {**tool_env, "MOLECULE_EPHEMERAL_DIRECTORY": str(ephemeral), "MOLECULE_COMMAND_BORDERS": "false"}
    env = {**tool_env, **{k: str(v) for k, v in ports.items()}, "TRIPTRIP_LOCAL_STATE": str(state),
           "KUBECONFIG": str(state / "kubeconfig")}
    platform = {"env": env, "state": state, "ports": ports, "molecule_env": molecule_env}
    try:
        molecule(root, platform, "create")
        yield platform
    finally:
        molecule(root, platform, "destroy")
        busy = [p for p in ports.values() if listening(p)]
        assert not busy, f"ports {busy} still listen after molecule's destroy"


def playbook(root, platform, *args):
    res = subprocess.run(
        ["ansible-playbook", "site.yml", "-i", "inventories/local", *args],
        env=platform["env"], cwd=root, capture_output=True, text=True, check=False,
    )
    recap = re.search(r"triptrip-local\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", res.stdout)
    assert recap, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def aws(platform, service):
    """A client of the local moto server, as any AWS client would reach it."""
    return boto3.client(
        service, endpoint_url=f"http://127.0.0.1:{platform['ports']['TRIPTRIP_MOTO_PORT']}",
        region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def moto_resources(platform):
    """What the account holds, read through the AWS API (not moto internals)."""
    vpcs = aws(platform, "ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"]
    return {
        "vpcs": sorted(v["VpcId"] for v in vpcs),
        "clusters": sorted(aws(platform, "eks").list_clusters()["clusters"]),
        "roles": sorted(r["RoleName"] for r in aws(platform, "iam").list_roles()["Roles"]),
        "key_aliases": sorted(a["AliasName"] for a in aws(platform, "kms").list_aliases()["Aliases"]
                              if not a["AliasName"].startswith("alias/aws/")),
    }


def kubectl_json(platform, *args):
    res = subprocess.run(["kubectl", *args, "-o", "json"], env=platform["env"], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def test_check_on_an_empty_account_and_cluster_plans_and_creates_nothing(root, platform):
    before = moto_resources(platform)
    assert before == {"vpcs": [], "clusters": [], "roles": [], "key_aliases": []}
    res, recap = playbook(root, platform, "--check")
    assert recap["failed"] == 0, res.stdout[-3000:]
    assert recap["changed"] > 0  # it is a plan: the VPC, subnets, roles, cluster, node groups would change
    # As on EKS, there is no API server before the cluster exists: the Kubernetes layer's three plays say so and
    # plan nothing (before, the local platform let them plan against an API server no new account has).
    assert res.stdout.count("EKS cluster triptrip-local does not exist yet (the AWS layer would create it)") == 3, \
        res.stdout[-3000:]
    assert moto_resources(platform) == before
    assert not (platform["state"] / "triptrip-local.kubeconfig").exists()


def test_check_after_the_aws_layer_plans_the_kubernetes_layer_on_the_new_cluster(root, platform):
    res = subprocess.run(["ansible-playbook", "playbooks/aws.yml", "-i", "inventories/local"], env=platform["env"],
                         cwd=root, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:]
    res, recap = playbook(root, platform, "--check")
    assert recap["failed"] == 0, res.stdout[-3000:]
    # The add-ons' custom resources need the CRDs their releases bring: with no release deployed, every add-on's are
    # planned by name, with the releases they wait for.
    plan = re.search(r"Plan the objects whose CRDs come with releases still to install, of the add-ons\].*?\n(?:ok|changed): "
                     r"\[triptrip-local\] => \{\n\s+\"msg\": \"(.*?)\"\n", res.stdout, re.S)
    assert plan, res.stdout[-6000:]
    keda = r"KEDA: [^.]*ScaledObject/triptrip-queue-worker[^.]* would be applied \(releases not deployed yet: keda/keda\)"
    assert re.search(keda, plan.group(1)), plan.group(1)
    assert re.search(r"Istio: .*Gateway/", plan.group(1)), plan.group(1)
    assert kubectl_json(platform, "get", "nodes", "-l", "type=kwok")["items"] == []
    names = [n["metadata"]["name"] for n in kubectl_json(platform, "get", "namespaces")["items"]]
    assert "triptrip-api" not in names


def test_converge_then_drift_is_reported_exactly_and_repaired(root, platform):
    out = molecule(root, platform, "converge")
    recap = re.search(r"triptrip-local\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", out)
    assert recap and int(recap.group(1)) > 0, out[-3000:]
    assert moto_resources(platform)["clusters"] == ["triptrip-local"]
    # No kubeconfig was given: the run wrote the cluster's (0600) with an `aws eks get-token` exec credential, and
    # every write of the Kubernetes layer was made as the runner's IAM identity, let in by its access entry.
    kubeconfig = platform["state"] / "triptrip-local.kubeconfig"
    assert kubeconfig.stat().st_mode & 0o777 == 0o600
    user = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]
    assert list(user) == ["exec"] and user["exec"]["command"] == str(platform["state"] / "bin/triptrip-eks-token")
    assert user["exec"]["args"][2:6] == ["--", "aws", "--region", "ap-northeast-1"]
    assert "get-token" in user["exec"]["args"]
    # One identity: the run's clients shared one stored token (private), not one `aws` start each.
    (stored,) = (platform["state"] / "eks-tokens").glob("*.json")
    assert stored.stat().st_mode & 0o777 == 0o600
    events = [json.loads(line) for line in (platform["state"] / "logs/audit.log").open()]
    # Not scripts/localenv's own objects: the binding of the view policy's group, and the aws-auth reader's Role and
    # RoleBinding (eks:authenticator).
    writers = {e["user"]["username"] for e in events
               if e.get("objectRef", {}).get("name") not in ("eks:access-policy:view", "eks:authenticator")}
    people = {w for w in writers if not w.startswith("system:") and w != "kwok-controller"}  # not the control plane
    assert people == {"arn:aws:iam::123456789012:user/triptrip-local-operator"}, writers
    cluster = aws(platform, "eks").describe_cluster(name="triptrip-local")["cluster"]
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    key = aws(platform, "kms").describe_key(KeyId="alias/triptrip-local-eks-secrets")["KeyMetadata"]
    assert cluster["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": key["Arn"]}}]
    assert aws(platform, "kms").get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    # By hand, four drifts: the Pod Security enforce label removed, a NetworkPolicy deleted, a Helm value
    # changed, and the cluster's control plane logs turned off.
    kubectl = ["kubectl", "--kubeconfig", platform["env"]["KUBECONFIG"]]
    subprocess.run([*kubectl, "label", "namespace", "triptrip-api", "pod-security.kubernetes.io/enforce-"],
                   env=platform["env"], check=True, capture_output=True)
    subprocess.run([*kubectl, "delete", "networkpolicy", "default-deny-all", "-n", "triptrip-web"],
                   env=platform["env"], check=True, capture_output=True)
    chart = platform["state"] / "charts" / "metrics-server-3.13.0.tgz"
    subprocess.run(["helm", "upgrade", "metrics-server", str(chart), "-n", "kube-system", "--reuse-values",
                    "--set", "replicas=1"], env=platform["env"], check=True, capture_output=True)
    eks = aws(platform, "eks")
    eks.update_cluster_config(name="triptrip-local", logging={"clusterLogging": [{"types": LOGS, "enabled": False}]})
    # And a policy of ours that no flow gives: what an earlier release left (it opened keda to itself).
    stale = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "allow-same-namespace", "namespace": "keda",
                          "labels": {"app.kubernetes.io/managed-by": "triptrip-platform"}},
             "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}}
    subprocess.run([*kubectl, "apply", "-f", "-"], input=json.dumps(stale), text=True, env=platform["env"],
                   check=True, capture_output=True)
    # molecule's check (site.yml --check), with the diff: ANSIBLE_DIFF_ALWAYS is ansible-playbook's --diff.
    out = molecule(root, platform, "check", {"ANSIBLE_DIFF_ALWAYS": "true"})
    found = re.search(r"triptrip-local\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", out)
    assert found, out[-3000:]
    recap = {"changed": int(found.group(1)), "failed": int(found.group(2))}
    drifts = {
        # Both baseline drifts are in the baseline's one apply (playbooks/cluster.yml sends it as one list); the
        # diff below names each object.
        "apply : objects | Apply the objects of the cluster baseline",
        # The add-ons' releases are installed together at the end of the play (roles/apply), in waves.
        "apply : wave | Install or upgrade the releases of the add-ons",
        "eks_cluster : Create or converge the EKS cluster",
        "k8s_network_policies : prune | Remove the NetworkPolicies no flow gives",
    }
    assert changed_tasks(out) == drifts and recap == {"changed": len(drifts), "failed": 0}, \
        (changed_tasks(out), out[-3000:])
    assert re.search(r'^\+\s+"pod-security.kubernetes.io/enforce": "restricted"', out, re.M), out[-3000:]
    assert re.search(r"NetworkPolicy triptrip-web/default-deny-all", out), out[-3000:]
    # Without the helm-diff plugin, kubernetes.core.helm tells which release would change, not how.
    assert re.search(r"^changed: \[triptrip-local\] => \(item=metrics-server \S*3\.13\.0\S*\)$", out, re.M), \
        out[-6000:]
    assert re.search(r'^-\s+"logging_types": \[\],$', out, re.M), out[-3000:]
    ns = kubectl_json(platform, "get", "namespace", "triptrip-api")
    assert "pod-security.kubernetes.io/enforce" not in ns["metadata"]["labels"]  # --check changed nothing
    assert not eks.describe_cluster(name="triptrip-local")["cluster"]["logging"]["clusterLogging"][0]["enabled"]
    res, recap = playbook(root, platform)
    assert recap == {"changed": len(drifts), "failed": 0}, res.stdout[-3000:]
    ns = kubectl_json(platform, "get", "namespace", "triptrip-api")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert kubectl_json(platform, "get", "networkpolicy", "default-deny-all", "-n", "triptrip-web")
    gone = subprocess.run([*kubectl, "get", "networkpolicy", "allow-same-namespace", "-n", "keda"],
                          env=platform["env"], capture_output=True, text=True, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr, gone.stdout
    values = json.loads(subprocess.run(["helm", "get", "values", "metrics-server", "-n", "kube-system", "-o", "json"],
                                       env=platform["env"], check=True, capture_output=True, text=True).stdout)
    assert values["replicas"] == 2
    logging = eks.describe_cluster(name="triptrip-local")["cluster"]["logging"]["clusterLogging"]
    assert [sorted(e["types"]) for e in logging if e["enabled"]] == [sorted(LOGS)]
    # The next run is molecule's idempotence step: it fails on any changed task.
    held, out = molecule_step(root, platform, "idempotence")
    record("drift", "five hand-made drifts", "PSA label removed, NetworkPolicy deleted, a stale policy of ours "
           "added, Helm value changed, logging off: --check --diff shows exactly these, a run repairs them, the next "
           "is changed=0 (molecule idempotence)", held, f"drifted tasks {len(drifts)}")
    assert held, out[-6000:]


def test_molecule_verify_holds_on_the_converged_platform(root, platform):
    out = molecule(root, platform, "verify")
    assert re.search(r"triptrip-local\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", out), out[-3000:]


def aws_playbook(root, platform, extra):
    res = subprocess.run(
        ["ansible-playbook", "playbooks/aws.yml", "-i", "inventories/local", "-e", json.dumps(extra)],
        env=platform["env"], cwd=root, capture_output=True, text=True, check=False,
    )
    recap = re.search(r"triptrip-local\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", res.stdout)
    assert recap, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


def test_an_existing_vpc_and_subnets_are_adopted_not_created(root, platform):
    ec2 = aws(platform, "ec2")
    # Another team's network.
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i * 32}.0/19", AvailabilityZone=f"ap-northeast-1{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("acd")]
    # ... with its way out: public subnets (tagged for internet-facing ALBs) behind an internet gateway, and one
    # NAT gateway the private subnets route to. Preflight checks both read-only.
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{96 + i}.0/24", AvailabilityZone=f"ap-northeast-1{z}",
                                TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                                    {"Key": "kubernetes.io/role/elb", "Value": "1"}]}])["Subnet"]["SubnetId"]
              for i, z in enumerate("ac")]
    public_routes = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_routes, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for subnet in public:
        ec2.associate_route_table(RouteTableId=public_routes, SubnetId=subnet)
    nat = ec2.create_nat_gateway(SubnetId=public[0], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    private_routes = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_routes, DestinationCidrBlock="0.0.0.0/0",
                     NatGatewayId=nat["NatGateway"]["NatGatewayId"])
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=private_routes, SubnetId=subnet)
    vpcs_before = moto_resources(platform)["vpcs"]
    extra = {"platform_cluster_name": "triptrip-adopt", "platform_vpc_id": vpc, "platform_subnet_ids": subnets}
    # The inventory's platform_vpc_cidr (10.0.0.0/16) is not the adopted VPC's: the NetworkPolicies would reach the
    # control plane and the endpoints by a wrong CIDR, so it is refused before anything is tagged.
    res, recap = aws_playbook(root, platform, extra)
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert "platform_vpc_cidr=10.0.0.0/16 does not hold the adopted subnets" in res.stdout
    assert all(not s.get("Tags") for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"])
    extra["platform_vpc_cidr"] = "10.50.0.0/16"
    res, recap = aws_playbook(root, platform, extra)
    assert recap["failed"] == 0 and recap["changed"] > 0, res.stdout[-3000:]
    assert moto_resources(platform)["vpcs"] == vpcs_before  # no VPC created
    cluster = aws(platform, "eks").describe_cluster(name="triptrip-adopt")["cluster"]
    assert sorted(cluster["resourcesVpcConfig"]["subnetIds"]) == sorted(subnets)
    for subnet in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]:
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
        assert tags == {"kubernetes.io/role/internal-elb": "1", "kubernetes.io/cluster/triptrip-adopt": "shared"}
    res, recap = aws_playbook(root, platform, extra)
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-3000:]


def test_adopted_subnets_in_one_zone_are_refused_before_any_change(root, platform):
    ec2 = aws(platform, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i * 32}.0/19", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
               for i in range(2)]
    before = moto_resources(platform)
    res, recap = aws_playbook(root, platform, {"platform_cluster_name": "triptrip-onezone", "platform_vpc_id": vpc,
                                               "platform_subnet_ids": subnets})
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert "aws_network_subnet_ids" in res.stdout and "at least 2 availability zones" in res.stdout
    assert moto_resources(platform) == before
    assert all(not s.get("Tags") for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"])
