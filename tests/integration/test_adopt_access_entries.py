"""Adopting a cluster that authenticates with aws-auth (issue #27, item 6), on a local platform of its own: the local
cluster is made in CONFIG_MAP mode with an aws-auth ConfigMap, and playbooks/adopt_access_entries.yml moves it through
EKS's stages.

- in CONFIG_MAP the aws-auth principals sign in through the local authenticator (it reads aws-auth in the modes
  that include CONFIG_MAP); plan shows the mapping and changes nothing; an unknown stage, and api before mirror, are refused before any change;
- mirror (check mode first: nothing moves) sets API_AND_CONFIG_MAP and creates the mirrored entries: the admin role
  (an IAM path aws-auth could not say) gets the cluster admin policy for system:masters, the node role an EC2_LINUX
  entry, the user its groups and username; each aws-auth principal then signs in through the local authenticator
  with what aws-auth gave it; a rerun changes nothing;
- a principal added to aws-auth after the mirror refuses api, naming it, before any change; mirrored too, api moves
  the mode to API, every principal still signs in, one added to aws-auth now does not (EKS ignores aws-auth in API
  mode), and a rerun changes nothing.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess

import boto3
import pytest
import yaml
from localplatform import start_platform
from summary import record

CLUSTER = "triptrip-local"
ACCOUNT = "123456789012"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    yield from start_platform(root, tool_env, tmp_path_factory, "adopt")


def aws(platform, service):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{platform['ports']['TRIPTRIP_MOTO_PORT']}",
                        region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def playbook(root, platform, *args):
    """The adoption playbook with the local admin kubeconfig (a CONFIG_MAP cluster takes no token here)."""
    res = subprocess.run(["ansible-playbook", "playbooks/adopt_access_entries.yml", "-i", "inventories/local",
                          "-e", f"platform_kubeconfig={platform['state'] / 'kubeconfig'}", *args],
                         env=platform["env"], cwd=root, capture_output=True, text=True, check=False)
    recap = re.search(rf"{CLUSTER}\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", res.stdout)
    assert recap, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


def mode(platform):
    return aws(platform, "eks").describe_cluster(name=CLUSTER)["cluster"]["accessConfig"]["authenticationMode"]


def kubectl(platform, *args, stdin=None):
    return subprocess.run(["kubectl", *args], env=platform["env"], input=stdin, capture_output=True, text=True,
                          check=True)


def credentials(platform, section, values):
    path = platform["state"] / "aws" / "credentials"
    parser = configparser.RawConfigParser()
    parser.read(path)
    parser[section] = values
    with path.open("w") as handle:
        parser.write(handle)


def whoami(platform, profile):
    """`kubectl auth whoami` with nothing but an EKS token of `profile` (no client certificate): who the local
    authenticator says the principal is, or None when it is refused."""
    state, ports = platform["state"], platform["ports"]
    env = {**{k: v for k, v in platform["env"].items() if k != "KUBECONFIG"}, "AWS_PROFILE": profile,
           "AWS_SHARED_CREDENTIALS_FILE": str(state / "aws" / "credentials"), "AWS_CONFIG_FILE": os.devnull,
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports['TRIPTRIP_MOTO_PORT']}"}
    got = subprocess.run(["aws", "--region", "ap-northeast-1", "eks", "get-token", "--cluster-name", CLUSTER,
                          "--output", "json"], env=env, capture_output=True, text=True, check=True)
    bearer = json.loads(got.stdout)["status"]["token"]
    res = subprocess.run(["kubectl", f"--server=https://127.0.0.1:{ports['TRIPTRIP_APISERVER_PORT']}",
                          f"--certificate-authority={state}/pki/ca.crt", f"--token={bearer}", "--kubeconfig=/dev/null",
                          "auth", "whoami", "-o", "json"], env=env, capture_output=True, text=True, check=False)
    if res.returncode:
        assert "Unauthorized" in res.stderr, res.stderr
        return None
    return json.loads(res.stdout)["status"]["userInfo"]


@pytest.fixture(scope="module")
def legacy(platform):
    """The local cluster as a pre-access-entry one: CONFIG_MAP (EKS's API default) and an aws-auth ConfigMap with an
    admin role (its IAM path left out, as aws-auth needs), a node role and a user; the admin role and the user have
    keys the local authenticator knows (the role a session of it)."""
    iam = aws(platform, "iam")
    admin = iam.create_role(RoleName="Admins", Path="/teams/platform/", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    node = iam.create_role(RoleName="legacy-ng-1", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    users = {}
    for name in ("dev", "late", "orphan"):
        users[name] = iam.create_user(UserName=name)["User"]["Arn"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        credentials(platform, name, {"aws_access_key_id": key["AccessKeyId"],
                                     "aws_secret_access_key": key["SecretAccessKey"]})
    # A session of the admin role, in the credentials file whose secrets the authenticator checks signatures with.
    session = aws(platform, "sts").assume_role(RoleArn=admin, RoleSessionName="alice")["Credentials"]
    credentials(platform, "admins", {"aws_access_key_id": session["AccessKeyId"],
                                     "aws_secret_access_key": session["SecretAccessKey"],
                                     "aws_session_token": session["SessionToken"]})
    aws(platform, "eks").create_cluster(
        name=CLUSTER, version="1.35", roleArn=f"arn:aws:iam::{ACCOUNT}:role/legacy-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"], "endpointPrivateAccess": True,
                            "endpointPublicAccess": False})
    aws_auth = {
        "mapRoles": [{"rolearn": f"arn:aws:iam::{ACCOUNT}:role/Admins", "username": "admin:{{SessionName}}",
                      "groups": ["system:masters"]},
                     {"rolearn": node, "username": "system:node:{{EC2PrivateDNSName}}",
                      "groups": ["system:bootstrappers", "system:nodes"]}],
        "mapUsers": [{"userarn": users["dev"], "username": "dev", "groups": ["developers"]}],
    }
    write_aws_auth(platform, aws_auth)
    return {"admin": admin, "node": node, "users": users, "aws_auth": aws_auth}


def write_aws_auth(platform, aws_auth):
    data = {key: yaml.safe_dump(value) for key, value in aws_auth.items()}
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                "data": data}
    kubectl(platform, "apply", "-f", "-", stdin=json.dumps(manifest))


def everyone_signs_in(platform, legacy):
    """Each aws-auth principal with a key signs in with what aws-auth gave it: the admin role as a cluster admin
    (system:masters, from the access policy), the user as dev in developers."""
    admin = whoami(platform, "admins")
    dev = whoami(platform, "dev")
    assert admin and "system:masters" in admin["groups"] and admin["username"] == "admin:alice", admin
    assert dev and dev["username"] == "dev" and "developers" in dev["groups"], dev
    return admin, dev


def test_01_plan_shows_the_mapping_and_changes_nothing(root, platform, legacy):
    # CONFIG_MAP: the local authenticator lets aws-auth's principals in (EKS's API refuses entries now).
    everyone_signs_in(platform, legacy)
    res, recap = playbook(root, platform, "-e", "adopt_stage=plan")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-3000:]
    assert (f"mapRoles[0] arn:aws:iam::{ACCOUNT}:role/Admins -> STANDARD entry {legacy['admin']}, username "
            "admin:{{SessionName}}, policy AmazonEKSClusterAdminPolicy (cluster): create") in res.stdout
    assert f"mapRoles[1] {legacy['node']} -> EC2_LINUX entry {legacy['node']}: create" in res.stdout
    assert mode(platform) == "CONFIG_MAP"


def test_02_an_unknown_stage_and_api_before_mirror_are_refused_before_any_change(root, platform, legacy):
    res, recap = playbook(root, platform, "-e", "adopt_stage=apply")
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert 'adopt_stage="apply" must be plan' in res.stdout
    res, recap = playbook(root, platform, "-e", "adopt_stage=api")
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert "stays CONFIG_MAP" in res.stdout and "run stage=mirror first" in res.stdout
    assert mode(platform) == "CONFIG_MAP"


def test_03_mirror_creates_the_entries_and_every_principal_keeps_access(root, platform, legacy):
    res, recap = playbook(root, platform, "-e", "adopt_stage=mirror", "--check", "--diff")
    assert recap["failed"] == 0 and recap["changed"] == 1, res.stdout[-3000:]
    assert '+    "authentication_mode": "API_AND_CONFIG_MAP"' in res.stdout, res.stdout[-3000:]
    assert mode(platform) == "CONFIG_MAP"
    res, recap = playbook(root, platform, "-e", "adopt_stage=mirror")
    assert recap == {"changed": 1, "failed": 0}, res.stdout[-3000:]
    eks = aws(platform, "eks")
    assert mode(platform) == "API_AND_CONFIG_MAP"
    assert sorted(eks.list_access_entries(clusterName=CLUSTER)["accessEntries"]) == sorted(
        [legacy["admin"], legacy["node"], legacy["users"]["dev"]])
    node = eks.describe_access_entry(clusterName=CLUSTER, principalArn=legacy["node"])["accessEntry"]
    assert node["type"] == "EC2_LINUX" and node["kubernetesGroups"] == []
    policies = eks.list_associated_access_policies(clusterName=CLUSTER, principalArn=legacy["admin"])
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in policies["associatedAccessPolicies"]] == [
        (ADMIN_POLICY, "cluster")]
    admin, dev = everyone_signs_in(platform, legacy)
    res, recap = playbook(root, platform, "-e", "adopt_stage=mirror")
    record("adopt", "mirror aws-auth", "CONFIG_MAP -> API_AND_CONFIG_MAP, entries mirror aws-auth, rerun changed=0",
           recap == {"changed": 0, "failed": 0}, f"{admin['username']} {admin['groups']}; {dev['username']}")
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-3000:]


def test_04_api_is_refused_while_a_principal_lacks_an_entry_then_moves(root, platform, legacy):
    late = legacy["users"]["late"]
    write_aws_auth(platform, {**legacy["aws_auth"], "mapUsers": legacy["aws_auth"]["mapUsers"] + [
        {"userarn": late, "username": "late", "groups": ["developers"]}]})
    assert whoami(platform, "late")["username"] == "late"  # through aws-auth: API_AND_CONFIG_MAP reads it too
    res, recap = playbook(root, platform, "-e", "adopt_stage=api")
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert f"{late} (mapUsers[1]) has no access entry" in res.stdout, res.stdout[-3000:]
    assert mode(platform) == "API_AND_CONFIG_MAP"
    res, recap = playbook(root, platform, "-e", "adopt_stage=mirror")
    assert recap == {"changed": 1, "failed": 0}, res.stdout[-3000:]
    res, recap = playbook(root, platform, "-e", "adopt_stage=api", "--check", "--diff")
    assert recap == {"changed": 1, "failed": 0} and mode(platform) == "API_AND_CONFIG_MAP", res.stdout[-3000:]
    res, recap = playbook(root, platform, "-e", "adopt_stage=api")
    assert recap == {"changed": 1, "failed": 0}, res.stdout[-3000:]
    assert mode(platform) == "API"
    everyone_signs_in(platform, legacy)
    assert whoami(platform, "late")["username"] == "late"
    # In API mode EKS ignores aws-auth: a principal added to it now gets nothing.
    write_aws_auth(platform, {**legacy["aws_auth"], "mapUsers": [{"userarn": legacy["users"]["orphan"],
                                                                  "groups": ["developers"]}]})
    assert whoami(platform, "orphan") is None
    res, recap = playbook(root, platform, "-e", "adopt_stage=api")
    record("adopt", "move to API", "refused naming a principal without an entry; then API, everyone in, rerun changed=0",
           recap == {"changed": 0, "failed": 0} and mode(platform) == "API", late)
    assert recap == {"changed": 0, "failed": 0}, res.stdout[-3000:]
