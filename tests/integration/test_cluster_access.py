"""Reaching the cluster as on EKS (issue #23), on a local platform of its own: the real kube-apiserver takes EKS
tokens through the local authenticator, which maps IAM principals through the access entries moto stores.

- a principal without an access entry is refused by the API server (401); its entry lets it in, with what the
  entry's access policy allows (view: read, not write, so 403 on a write);
- a kubeconfig that points at another endpoint, or trusts another CA, is refused before any change;
- the access entries are checked before any change: a role they name must exist, and the runner must get in;
- temporary_public: the endpoint is public during the run only, and private again after a run that failed midway;
- a token lifetime shortened on the authenticator is outlived by a run (each client gets a fresh token), and a
  token older than the lifetime is refused."""

from __future__ import annotations

import base64
import configparser
import json
import os
import re
import subprocess
import threading
import time

import boto3
import pytest
import yaml
from localplatform import start_platform
from summary import record

CLUSTER = "triptrip-local"
ACCOUNT = "123456789012"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:user/triptrip-local-operator"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    yield from start_platform(root, tool_env, tmp_path_factory, "access")


def aws(platform, service):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{platform['ports']['TRIPTRIP_MOTO_PORT']}",
                        region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def playbook(root, platform, name, *args, env=None):
    res = subprocess.run(["ansible-playbook", name, "-i", "inventories/local", *args],
                         env={**platform["env"], **(env or {})}, cwd=root, capture_output=True, text=True, check=False)
    recap = re.search(rf"{CLUSTER}\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", res.stdout)
    assert recap, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


def audit_lines(platform):
    return (platform["state"] / "logs" / "audit.log").read_text().count("\n")


def writes_since(platform, mark):
    lines = (platform["state"] / "logs" / "audit.log").read_text().splitlines()[mark:]
    return [e for e in map(json.loads, lines) if not e["user"]["username"].startswith("system:")
            and e["user"]["username"] != "kwok-controller"]


def test_01_the_aws_layer_gives_the_runner_its_entry(root, platform):
    res, recap = playbook(root, platform, "playbooks/aws.yml")
    assert recap["failed"] == 0, res.stdout[-3000:]
    eks = aws(platform, "eks")
    assert OPERATOR in eks.list_access_entries(clusterName=CLUSTER)["accessEntries"]
    policies = eks.list_associated_access_policies(clusterName=CLUSTER, principalArn=OPERATOR)
    assert [(p["policyArn"].rsplit("/", 1)[1], p["accessScope"]["type"]) for p in
            policies["associatedAccessPolicies"]] == [("AmazonEKSClusterAdminPolicy", "cluster")]
    # vpc mode: the cluster security group admits the runner's networks (the VPC) on 443, and only them
    group = eks.describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]["securityGroupIds"][0]
    rules = aws(platform, "ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], [c["CidrIp"] for c in r["IpRanges"]]) for r in rules] == [
        ("tcp", 443, 443, ["10.0.0.0/16"])]


def principal(platform, name):
    """A new IAM user of the local account with a key, added to the local credentials file (whose secrets the local
    authenticator checks signatures with, as STS checks them with its own)."""
    iam = aws(platform, "iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    credentials = platform["state"] / "aws" / "credentials"
    parser = configparser.RawConfigParser()
    parser.read(credentials)
    parser[name] = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    with credentials.open("w") as handle:
        parser.write(handle)
    return arn, {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_PROFILE": name,
                 "AWS_ENDPOINT_URL": f"http://127.0.0.1:{platform['ports']['TRIPTRIP_MOTO_PORT']}",
                 "AWS_CONFIG_FILE": os.devnull}


def token(platform, env):
    res = subprocess.run(["aws", "--region", "ap-northeast-1", "eks", "get-token", "--cluster-name", CLUSTER,
                          "--output", "json"], env={**platform["env"], **env}, capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout)["status"]["token"]


def kubectl_as(platform, bearer, *args):
    """kubectl with nothing but a bearer token (no client certificate), as an EKS user would come."""
    server = f"https://127.0.0.1:{platform['ports']['TRIPTRIP_APISERVER_PORT']}"
    env = {k: v for k, v in platform["env"].items() if k != "KUBECONFIG"}
    return subprocess.run(["kubectl", f"--server={server}", f"--certificate-authority={platform['state']}/pki/ca.crt",
                           f"--token={bearer}", "--kubeconfig=/dev/null", *args], env=env, capture_output=True,
                          text=True, check=False)


def test_02_a_principal_without_an_access_entry_is_refused_and_its_entry_lets_it_in(platform):
    arn, env = principal(platform, "auditor")
    refused = kubectl_as(platform, token(platform, env), "get", "namespaces")
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr, refused.stderr
    eks = aws(platform, "eks")
    eks.create_access_entry(clusterName=CLUSTER, principalArn=arn)
    eks.associate_access_policy(clusterName=CLUSTER, principalArn=arn, policyArn=VIEW, accessScope={"type": "cluster"})
    bearer = token(platform, env)
    read = kubectl_as(platform, bearer, "get", "namespaces", "-o", "name")
    assert read.returncode == 0 and "namespace/kube-system" in read.stdout, read.stderr
    write = kubectl_as(platform, bearer, "create", "namespace", "auditor-was-here")
    assert write.returncode != 0 and "Forbidden" in write.stderr, write.stderr
    whoami = kubectl_as(platform, bearer, "auth", "whoami", "-o", "json")
    user = json.loads(whoami.stdout)["status"]["userInfo"]
    assert user["username"] == arn and "eks:access-policy:view" in user["groups"]
    eks.delete_access_entry(clusterName=CLUSTER, principalArn=arn)
    time.sleep(11)  # the API server caches a token's answer for 10 s
    gone = kubectl_as(platform, token(platform, env), "get", "namespaces")
    held = "Unauthorized" in refused.stderr and read.returncode == 0 and "Forbidden" in write.stderr \
        and "Unauthorized" in gone.stderr
    record("access", "access entries", "no entry: 401; view entry: reads, 403 on a write; entry deleted: 401 again",
           held, f"{arn}")
    assert "Unauthorized" in gone.stderr, gone.stderr


def other_kubeconfig(platform, tmp_path, server=None, ca=None):
    """The local admin kubeconfig pointed at `server` (the same API server under another name: another cluster to
    our check, a working one to kubectl) and/or trusting `ca`."""
    config = yaml.safe_load((platform["state"] / "kubeconfig").read_text())
    entry = config["clusters"][0]["cluster"]
    if server:
        entry["server"] = server
    if ca:
        entry.pop("certificate-authority", None)
        entry["certificate-authority-data"] = base64.b64encode(ca).decode()
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def test_03_a_kubeconfig_of_another_cluster_is_refused_before_any_change(root, platform, tmp_path):
    port = platform["ports"]["TRIPTRIP_APISERVER_PORT"]
    elsewhere = other_kubeconfig(platform, tmp_path, server=f"https://localhost:{port}")
    # kubectl itself gets in with it: only our check stands between this kubeconfig and the baseline
    assert subprocess.run(["kubectl", f"--kubeconfig={elsewhere}", "get", "ns"], env=platform["env"],
                          capture_output=True, check=False).returncode == 0
    mark = audit_lines(platform)
    res, recap = playbook(root, platform, "playbooks/cluster.yml", "-e", f"platform_kubeconfig={elsewhere}")
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert (f"points at https://localhost:{port}, but cluster {CLUSTER} is at https://127.0.0.1:{port}"
            in res.stdout), res.stdout[-3000:]
    assert writes_since(platform, mark) == []
    # The right server, another CA: refused too.
    ca = (platform["state"] / "pki" / "apiserver.crt").read_bytes()  # a certificate, but not the cluster's CA
    mark = audit_lines(platform)
    res, recap = playbook(root, platform, "playbooks/cluster.yml", "-e",
                          f"platform_kubeconfig={other_kubeconfig(platform, tmp_path, ca=ca)}")
    assert recap == {"changed": 0, "failed": 1} and "trusts another CA than cluster triptrip-local's" in res.stdout
    assert writes_since(platform, mark) == []
    # The admin kubeconfig of the local platform is this cluster's: accepted (a kubeconfig users bring).
    res, recap = playbook(root, platform, "playbooks/cluster.yml", "--tags", "namespaces",
                          "-e", f"platform_kubeconfig={platform['state'] / 'kubeconfig'}")
    record("access", "kubeconfig of another cluster", "another endpoint or another CA: refused before any write",
           recap["failed"] == 0, "the admin kubeconfig of this cluster is accepted")
    assert recap["failed"] == 0, res.stdout[-3000:]


def test_04_access_entries_are_checked_before_any_change(root, platform):
    mark = audit_lines(platform)
    res, recap = playbook(root, platform, "playbooks/aws.yml", "-e", json.dumps({
        "platform_eks_access_entries": [{"role_name": "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"}]}))
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert (f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1, which IAM does not "
            "have") in res.stdout
    res, recap = playbook(root, platform, "playbooks/aws.yml", "-e", json.dumps({"platform_eks_runner_access": False}))
    assert recap == {"changed": 0, "failed": 1}, res.stdout[-3000:]
    assert f"leave out {OPERATOR}, which runs these playbooks" in res.stdout
    # With the Identity Center role created (its path kept) and the runner named, both checks pass.
    aws(platform, "iam").create_role(RoleName="AWSReservedSSO_Admin_1", Path="/aws-reserved/sso.amazonaws.com/",
                                     AssumeRolePolicyDocument="{}")
    res, recap = playbook(root, platform, "playbooks/aws.yml", "--tags", "eks_access", "-e", json.dumps({
        "platform_eks_runner_access": False, "platform_eks_access_entries": [
            {"role_name": "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"}, {"principal_arn": OPERATOR}]}))
    assert recap["failed"] == 0, res.stdout[-3000:]
    assert (f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"
            in aws(platform, "eks").list_access_entries(clusterName=CLUSTER)["accessEntries"])
    assert writes_since(platform, mark) == []


def test_04b_an_assumed_role_runner_gets_its_roles_entry_with_the_path(root, platform, tmp_path):
    """Run as an IAM Identity Center-like role (a profile that assumes it): STS names the session
    `assumed-role/<name>/<session>` without the path; the runner's entry is the role's ARN, path included."""
    arn = aws(platform, "iam").create_role(RoleName="AWSReservedSSO_Platform_0a1b", AssumeRolePolicyDocument="{}",
                                           Path="/aws-reserved/sso.amazonaws.com/ap-northeast-1/")["Role"]["Arn"]
    state = platform["state"]
    config = tmp_path / "config"
    config.write_text((state / "aws" / "config").read_text() + f"\n[profile sso-platform]\nrole_arn = {arn}\n"
                      "source_profile = triptrip-local\nregion = ap-northeast-1\n")
    aws_env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{platform['ports']['TRIPTRIP_MOTO_PORT']}",
               "AWS_SHARED_CREDENTIALS_FILE": str(state / "aws" / "credentials"), "AWS_CONFIG_FILE": str(config),
               "AWS_PROFILE": "sso-platform"}
    res, recap = playbook(root, platform, "playbooks/aws.yml", "--tags", "eks_access",
                          "-e", json.dumps({"platform_aws_env": aws_env}))
    assert recap["failed"] == 0, res.stdout[-3000:]
    entries = aws(platform, "eks").list_access_entries(clusterName=CLUSTER)["accessEntries"]
    assert arn in entries and arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/"), entries
    assert not [e for e in entries if ":assumed-role/" in e]


def test_05_temporary_public_opens_the_endpoint_for_the_run_only_even_when_it_fails(root, platform):
    eks = aws(platform, "eks")

    def public():
        return eks.describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]["endpointPublicAccess"]

    assert public() is False
    seen, done = [], threading.Event()

    def watch():
        while not done.is_set():
            seen.append(public())
            time.sleep(0.3)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # The failure, injected after the endpoint was opened: the baseline's objects go to a context that does not exist.
    res, recap = playbook(root, platform, "playbooks/cluster.yml", "-e", json.dumps({
        "platform_eks_api_access": "temporary_public", "platform_eks_api_public_cidrs": ["127.0.0.1/32"],
        "platform_kube_context": "no-such-context"}))
    ended = time.monotonic()
    assert recap["failed"] == 1, res.stdout[-3000:]
    while public() and time.monotonic() - ended < 30:
        time.sleep(0.5)
    done.set()
    watcher.join(timeout=5)
    closed_after = time.monotonic() - ended
    vpc = eks.describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]
    held = True in seen and vpc["endpointPublicAccess"] is False and vpc["endpointPrivateAccess"] is True
    record("access", "temporary_public", "the endpoint public during a run that fails midway, private again after",
           held, f"closed {closed_after:.1f} s after the run ended")
    assert True in seen, "the endpoint was never seen public during the run"
    assert vpc["endpointPublicAccess"] is False, "still public 30 s after the failed run"
    # In a strict environment the mode is refused before any change, unless its inventory allows it.
    res, recap = playbook(root, platform, "playbooks/validate.yml", "-e", json.dumps({
        "platform_eks_api_access": "temporary_public", "platform_eks_api_public_cidrs": ["127.0.0.1/32"],
        "platform_policy_strict_environments": ["local"]}))
    assert recap["failed"] == 1 and "local keeps its endpoint private" in res.stdout, res.stdout[-3000:]


LIFETIME = 8  # seconds


def test_06_a_run_outlives_a_shortened_token_lifetime(root, platform):
    """The authenticator restarted with an 8 s token lifetime: a run of the baseline (longer than that: about 13 s
    since the no-op got faster, 15 s was too close) still converges, each client getting a fresh token from the exec
    credential; an old token is refused."""
    localenv = [str(root / "scripts/localenv")]
    env = {**platform["env"], "TRIPTRIP_EKS_TOKEN_LIFETIME": str(LIFETIME)}
    subprocess.run([*localenv, "down", "--only", "eks-authenticator"], env=env, check=True, capture_output=True)
    subprocess.run([*localenv, "up", "--only", "moto,eks-authenticator"], env=env, check=True, capture_output=True)
    try:
        state = platform["state"]
        old = token(platform, {"AWS_SHARED_CREDENTIALS_FILE": str(state / "aws" / "credentials"),
                               "AWS_CONFIG_FILE": str(state / "aws" / "config"), "AWS_PROFILE": "triptrip-local"})
        started = time.monotonic()
        # The kubeconfig's token helper reuses a token while 300 of the 840 s aws gives it remain, sized for EKS's
        # 15 minutes; with 8 s here its margin shrinks alike (reuse for at most 3 s).
        res, recap = playbook(root, platform, "playbooks/cluster.yml", env={"TRIPTRIP_EKS_TOKEN_MIN_LEFT": "837"})
        took = time.monotonic() - started
        assert recap["failed"] == 0, res.stdout[-3000:]
        assert took > LIFETIME, f"the run took {took:.1f} s, not longer than the lifetime"
        time.sleep(max(0.0, LIFETIME + 11 - (time.monotonic() - started)))  # past the lifetime and the API's 10 s cache
        stale = kubectl_as(platform, old, "get", "namespaces")
        record("access", "token lifetime", f"a run longer than a {LIFETIME} s token lifetime converges; an old token: 401",
               "Unauthorized" in stale.stderr, f"run {took:.0f} s")
        assert "Unauthorized" in stale.stderr, stale.stderr
        log = (platform["state"] / "logs" / "eks-authenticator.log").read_text()
        assert "expired" in log or "older than" in log
    finally:
        subprocess.run([*localenv, "down", "--only", "eks-authenticator"], env=platform["env"], check=False,
                       capture_output=True)
        subprocess.run([*localenv, "up", "--only", "moto,eks-authenticator"], env=platform["env"], check=False,
                       capture_output=True)
