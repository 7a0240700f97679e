"""roles/eks_kubeconfig/files/triptrip-eks-token: the generated kubeconfig's exec credential reuses a token while
enough of its lifetime remains, never across identities, and passes failures of `aws` through. Run as the process
kubectl and the Kubernetes modules start, with a stand-in `aws` that counts its calls."""

from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_collections.triptrip.platform.plugins.filter.eks_kubeconfig import eks_kubeconfig

HELPER = Path(__file__).resolve().parents[2] / "roles" / "eks_kubeconfig" / "files" / "triptrip-eks-token"
CLUSTER = {"name": "triptrip-production", "arn": "arn:aws:eks:ap-northeast-1:123456789012:cluster/triptrip-production",
           "endpoint": "https://ABC.gr7.ap-northeast-1.eks.amazonaws.com", "certificate_authority": {"data": "Q0E="}}

# Answers as `aws eks get-token` does (a token expiring LIFETIME seconds from now), counts its runs in a file, and
# fails when told to.
FAKE_AWS = """#!{python}
import datetime, json, os, sys
count = os.environ["FAKE_AWS_COUNT"]
n = int(open(count).read()) + 1 if os.path.exists(count) else 1
open(count, "w").write(str(n))
if os.environ.get("FAKE_AWS_FAIL"):
    sys.stderr.write("An error occurred (ExpiredToken)\\n")
    sys.exit(255)
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(os.environ["FAKE_AWS_LIFETIME"]))
print(json.dumps({{"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1", "spec": {{}},
                  "status": {{"expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "token": "k8s-aws-v1.token-%d-%s" % (n, os.environ.get("AWS_PROFILE", ""))}}}}))
"""


def setup(tmp_path, lifetime=840):
    aws = tmp_path / "aws"
    aws.write_text(FAKE_AWS.format(python=sys.executable))
    aws.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "HOME": str(tmp_path), "FAKE_AWS_COUNT": str(tmp_path / "n"),
           "FAKE_AWS_LIFETIME": str(lifetime)}
    return env


def run(tmp_path, env, *extra):
    args = [str(HELPER), "--cache-dir", str(tmp_path / "tokens"), "--", "aws", "--region", "ap-northeast-1", "eks",
            "get-token", "--cluster-name", "triptrip-production", "--output", "json", *extra]
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)


def calls(tmp_path):
    return int((tmp_path / "n").read_text())


def token(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["status"]["token"]


def test_a_token_is_reused_while_enough_of_it_remains(tmp_path):
    env = setup(tmp_path)
    first = token(run(tmp_path, env))
    assert token(run(tmp_path, env)) == first
    assert token(run(tmp_path, env)) == first
    assert calls(tmp_path) == 1
    store = tmp_path / "tokens"
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in store.iterdir()] == [0o600]


def test_a_token_near_its_expiry_is_not_handed_out_again(tmp_path):
    # 200 s of lifetime is under the 300 s the helper wants left: every client asks aws anew, nothing is kept.
    env = setup(tmp_path, lifetime=200)
    assert token(run(tmp_path, env)) != token(run(tmp_path, env))
    assert calls(tmp_path) == 2
    assert not list(tmp_path.glob("tokens/*.json"))


def test_an_expiring_stored_token_is_replaced(tmp_path):
    env = setup(tmp_path)
    first = token(run(tmp_path, env))
    (stored,) = (tmp_path / "tokens").glob("*.json")
    credential = json.loads(stored.read_text())
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60)
    credential["status"]["expirationTimestamp"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    stored.write_text(json.dumps(credential))
    assert token(run(tmp_path, env)) != first
    assert calls(tmp_path) == 2


def test_another_identity_or_role_never_gets_the_token(tmp_path):
    env = setup(tmp_path)
    ops = token(run(tmp_path, {**env, "AWS_PROFILE": "ops"}))
    dev = token(run(tmp_path, {**env, "AWS_PROFILE": "dev"}))
    role = token(run(tmp_path, {**env, "AWS_PROFILE": "ops"}, "--role-arn", "arn:aws:iam::1:role/deployer"))
    assert len({ops, dev, role}) == 3
    # Credentials rotated in the profile's file: a new token.
    creds = tmp_path / "credentials"
    creds.write_text("[ops]\n")
    assert token(run(tmp_path, {**env, "AWS_PROFILE": "ops", "AWS_SHARED_CREDENTIALS_FILE": str(creds)})) != ops
    assert calls(tmp_path) == 4
    assert token(run(tmp_path, {**env, "AWS_PROFILE": "ops"})) == ops
    assert calls(tmp_path) == 4


def test_a_failure_of_aws_is_passed_through_and_nothing_is_kept(tmp_path):
    env = {**setup(tmp_path), "FAKE_AWS_FAIL": "1"}
    done = run(tmp_path, env)
    assert done.returncode == 255
    assert "ExpiredToken" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "tokens").exists()


def test_a_bad_command_line_is_refused(tmp_path):
    done = subprocess.run([str(HELPER), "aws", "eks", "get-token"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_the_kubeconfig_runs_the_helper_around_aws(tmp_path):
    config = eks_kubeconfig(CLUSTER, "ap-northeast-1", token_helper="/s/bin/triptrip-eks-token",
                            token_cache_dir="/s/eks-tokens", role_arn="arn:aws:iam::1:role/deployer")
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "/s/bin/triptrip-eks-token"
    assert exec_["args"] == ["--cache-dir", "/s/eks-tokens", "--", "aws", "--region", "ap-northeast-1", "eks",
                             "get-token", "--cluster-name", "triptrip-production", "--output", "json", "--role-arn",
                             "arn:aws:iam::1:role/deployer"]
    yaml.safe_dump(config)
