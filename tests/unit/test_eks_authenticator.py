"""localenv/eks_authenticator.py, the local stand-in for EKS's authenticator: each rule of its docstring, with tokens
made exactly as `aws eks get-token` makes them (awscli's own TokenGenerator and STSClientFactory, and the real CLI
once) against a real moto server process (localenv/moto_server.py), the authenticator serving HTTPS on 127.0.0.1.

moto's STS and IAM are real here. The access entries come from a table of the test (the authenticator's injectable
`entries`), so the mapping rules are tested apart from moto's EKS; the last test reads them from moto's EKS access
entry API (the patch layer's patch 14), as scripts/localenv runs the authenticator."""

from __future__ import annotations

import base64
import datetime
import importlib.util
import io
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from importlib.machinery import SourceFileLoader
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import botocore.session
import pytest
from awscli.customizations.eks.get_token import STSClientFactory, TokenGenerator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from localplatform import free_port, listening, start_moto  # noqa: E402 - the integration helpers: moto as localenv starts it

CLUSTER = "triptrip-local"
ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
EDIT_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
SSO_ROLE = "AWSReservedSSO_PlatformAdmin_0123456789abcdef"
SSO_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/{SSO_ROLE}"
CLUSTER_SCOPE = {"type": "cluster"}


def _load(name: str, path: Path):
    loader = SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    sys.modules[name] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


authn = _load("triptrip_eks_authenticator", ROOT / "localenv" / "eks_authenticator.py")


class Entries:
    """Access entries of the test: principalArn -> DescribeAccessEntry's accessEntry with its associated policies."""

    def __init__(self, cluster: str, entries: dict[str, dict]):
        self.cluster, self.entries = cluster, entries

    def principal_arns(self, cluster: str) -> list[str]:
        return list(self.entries) if cluster == self.cluster else []

    def entry(self, cluster: str, principal_arn: str) -> dict:
        return {"clusterName": cluster, "principalArn": principal_arn, "type": "STANDARD",
                **self.entries[principal_arn]}


# --------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    port = free_port(24800)
    for _server in start_moto(root, tool_env, tmp_path_factory, port, "eks-authenticator"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The local platform's own PKI (scripts/localenv make_pki): the apiserver's serving cert has SAN 127.0.0.1."""
    localenv = _load("triptrip_localenv", ROOT / "scripts" / "localenv")
    folder = tmp_path_factory.mktemp("pki")
    localenv.make_pki(folder)
    return folder


def iam(moto):
    return boto3.client("iam", endpoint_url=moto, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def account(moto, tmp_path_factory):
    """IAM users with access keys in moto; every key but `unlisted`'s is in the credentials file."""
    client = iam(moto)
    keys = {}
    for user in ("admin", "viewer", "deployer", "stranger", "unlisted", "operator"):
        client.create_user(UserName=user)
        key = client.create_access_key(UserName=user)["AccessKey"]
        keys[user] = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "token": None}
    client.create_role(RoleName=SSO_ROLE, Path="/aws-reserved/sso.amazonaws.com/ap-northeast-1/",
                       AssumeRolePolicyDocument=json.dumps({
                           "Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                          "Action": "sts:AssumeRole"}]}))
    credentials = tmp_path_factory.mktemp("aws") / "credentials"
    credentials.write_text("".join(
        f"[{user}]\naws_access_key_id = {k['key']}\naws_secret_access_key = {k['secret']}\n\n"
        for user, k in keys.items() if user != "unlisted"))
    os.chmod(credentials, 0o600)
    return {"keys": keys, "credentials": credentials}


ENTRIES = {
    f"arn:aws:iam::{ACCOUNT}:user/admin": {
        "kubernetesGroups": [],
        "associatedAccessPolicies": [{"policyArn": ADMIN_POLICY, "accessScope": CLUSTER_SCOPE}]},
    f"arn:aws:iam::{ACCOUNT}:user/viewer": {
        "username": "viewer-{{AccountID}}",
        "associatedAccessPolicies": [
            {"policyArn": VIEW_POLICY, "accessScope": CLUSTER_SCOPE},
            {"policyArn": EDIT_POLICY, "accessScope": {"type": "namespace", "namespaces": ["tenant-a"]}},
            {"policyArn": ADMIN_POLICY, "accessScope": {"type": "namespace", "namespaces": ["tenant-b"]}}]},
    f"arn:aws:iam::{ACCOUNT}:user/deployer": {
        "username": "deployer", "kubernetesGroups": ["triptrip:deployers", "triptrip:readers"],
        "associatedAccessPolicies": []},
    # Same role name under another account and a look-alike name: neither may match the SSO role's session.
    f"arn:aws:iam::210987654321:role/{SSO_ROLE}": {
        "kubernetesGroups": ["wrong-account"], "associatedAccessPolicies": []},
    f"arn:aws:iam::{ACCOUNT}:role/{SSO_ROLE}-old": {
        "kubernetesGroups": ["wrong-role"], "associatedAccessPolicies": []},
    SSO_ROLE_ARN: {"username": "sso:{{SessionName}}", "kubernetesGroups": ["triptrip:sso"],
                   "associatedAccessPolicies": [{"policyArn": VIEW_POLICY, "accessScope": CLUSTER_SCOPE}]},
}


class Served:
    def __init__(self, authenticator, port, ca):
        self.authenticator, self.port, self.ca = authenticator, port, ca

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.authenticator.out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def server(moto, pki, account):
    """The authenticator in-process on HTTPS with the apiserver's cert, our access entries, moto's STS."""
    settings = authn.Settings(cluster_name=CLUSTER, sts_endpoint=moto, credentials_file=str(account["credentials"]),
                              region=REGION)
    authenticator = authn.Authenticator(settings, entries=Entries(CLUSTER, ENTRIES), out=io.StringIO())
    port = free_port(24900)
    httpd = authn.make_server(authenticator, "127.0.0.1", port, str(pki / "apiserver.crt"), str(pki / "apiserver.key"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(authenticator, port, pki / "ca.crt")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
    assert not listening(port)


def make_token(endpoint: str, creds: dict, cluster: str = CLUSTER, region: str = REGION) -> str:
    """A token as `aws eks get-token` makes it: awscli's STSClientFactory and TokenGenerator on a botocore session
    with these credentials, STS at `endpoint` (AWS_ENDPOINT_URL, as the CLI reads it)."""
    session = botocore.session.Session()
    session.set_credentials(creds["key"], creds["secret"], creds.get("token"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        sts = STSClientFactory(session).get_sts_client(region_name=region)
    return TokenGenerator(sts).get_token(cluster)


def token_url(token: str) -> str:
    body = token[len("k8s-aws-v1."):]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def url_token(url: str) -> str:
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def with_query(token: str, **changes) -> str:
    """The token with query parameters replaced (None removes one)."""
    parts = urlsplit(token_url(token))
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            query.pop(key)
        else:
            query[key] = value
    return url_token(parts._replace(query=urlencode(query)).geturl())


def review(server: Served, token: str, api_version: str = "authentication.k8s.io/v1") -> dict:
    body = json.dumps({"apiVersion": api_version, "kind": "TokenReview", "spec": {"token": token}}).encode()
    # As kube-apiserver calls its webhook: with ?timeout=.
    request = urllib.request.Request(f"https://127.0.0.1:{server.port}/authenticate?timeout=30s", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(server.ca))  # verifies the SAN 127.0.0.1
    with urllib.request.urlopen(request, timeout=15, context=context) as resp:  # noqa: S310 - loopback
        assert resp.status == 200
        answer = json.loads(resp.read())
    assert answer["apiVersion"] == api_version and answer["kind"] == "TokenReview"
    return answer["status"]


def refused(server: Served, token: str, reason: str) -> dict:
    before = len(server.lines())
    status = review(server, token)
    assert status == {"authenticated": False, "error": reason}
    lines = server.lines()[before:]
    assert len(lines) == 1 and lines[0]["decision"] == "refused" and lines[0]["reason"] == reason, lines
    return lines[0]


def arn(user: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


# ------------------------------------------------------------------------------------------------ allowed
def test_health_is_https_with_the_apiservers_certificate(server):
    context = ssl.create_default_context(cafile=str(server.ca))
    with urllib.request.urlopen(f"https://127.0.0.1:{server.port}/healthz", timeout=5, context=context) as resp:
        assert (resp.status, resp.read()) == (200, b"ok")


def test_cluster_admin_entry_from_the_real_aws_eks_get_token(server, moto, account):
    """The token the kubeconfig's exec credential would give kubectl: the real CLI, profile from the file."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=moto, AWS_SHARED_CREDENTIALS_FILE=str(account["credentials"]), AWS_PROFILE="admin",
               AWS_CONFIG_FILE=os.devnull, PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    started = time.monotonic()
    cli = subprocess.run(["aws", "eks", "get-token", "--cluster-name", CLUSTER, "--region", REGION, "--output", "json"],
                         env=env, capture_output=True, text=True, check=False, timeout=120)
    took = time.monotonic() - started
    assert cli.returncode == 0, cli.stderr
    print(f"aws eks get-token took {took:.2f}s")
    credential = json.loads(cli.stdout)
    assert credential["kind"] == "ExecCredential"
    status = review(server, credential["status"]["token"])
    admin = account["keys"]["admin"]
    assert status["authenticated"] is True
    assert status["user"]["username"] == arn("admin")  # no username in the entry: the caller's ARN, as EKS does
    assert status["user"]["groups"] == ["system:masters"]
    assert status["user"]["extra"] == {"arn": [arn("admin")], "canonicalArn": [arn("admin")],
                                       "accessKeyId": [admin["key"]]}
    user_id = boto3.client("iam", endpoint_url=moto, region_name=REGION, aws_access_key_id="testing",
                           aws_secret_access_key="testing").get_user(UserName="admin")["User"]["UserId"]
    assert status["user"]["uid"] == f"aws-iam-authenticator:{ACCOUNT}:{user_id}"
    line = server.lines()[-1]
    assert line == {"time": line["time"], "cluster": CLUSTER, "accessKeyId": admin["key"], "arn": arn("admin"),
                    "decision": "allowed", "source": "access entry", "entry": arn("admin"),
                    "username": arn("admin"), "groups": ["system:masters"]}


def test_view_policy_gives_the_view_group_and_names_what_is_not_emulated(server, moto, account):
    status = review(server, make_token(moto, account["keys"]["viewer"]))
    assert status["authenticated"] is True
    assert status["user"]["username"] == f"viewer-{ACCOUNT}"
    assert status["user"]["groups"] == ["eks:access-policy:view"]  # namespace-scoped associations add nothing
    assert server.lines()[-1]["notEmulated"] == ["AmazonEKSEditPolicy(namespace)",
                                                 "AmazonEKSClusterAdminPolicy(namespace)"]


def test_kubernetes_groups_are_passed(server, moto, account):
    status = review(server, make_token(moto, account["keys"]["deployer"]))
    assert status["authenticated"] is True
    assert status["user"]["username"] == "deployer"
    assert status["user"]["groups"] == ["triptrip:deployers", "triptrip:readers"]


def test_assumed_role_matches_the_entry_with_the_roles_path(server, moto, account):
    """An SSO session: the caller is arn:aws:sts::ACCT:assumed-role/NAME/SESSION, the entry the role's ARN with its
    path. The temporary key is added to the credentials file now: the authenticator reads it for each request."""
    operator = account["keys"]["operator"]
    sts = boto3.client("sts", endpoint_url=moto, region_name=REGION, aws_access_key_id=operator["key"],
                       aws_secret_access_key=operator["secret"])
    assumed = sts.assume_role(RoleArn=SSO_ROLE_ARN, RoleSessionName="alice@example.com")
    temporary = assumed["Credentials"]
    with account["credentials"].open("a") as handle:
        handle.write(f"[sso]\naws_access_key_id = {temporary['AccessKeyId']}\n"
                     f"aws_secret_access_key = {temporary['SecretAccessKey']}\n"
                     f"aws_session_token = {temporary['SessionToken']}\n\n")
    creds = {"key": temporary["AccessKeyId"], "secret": temporary["SecretAccessKey"],
             "token": temporary["SessionToken"]}
    status = review(server, make_token(moto, creds))
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{SSO_ROLE}/alice@example.com"
    assert assumed["AssumedRoleUser"]["Arn"] == caller
    assert status == {"authenticated": True, "user": {
        "username": "sso:alice-example.com",  # {{SessionName}}, `@` written as `-`
        "uid": f"aws-iam-authenticator:{ACCOUNT}:{assumed['AssumedRoleUser']['AssumedRoleId'].split(':')[0]}",
        "groups": ["triptrip:sso", "eks:access-policy:view"],
        "extra": {"arn": [caller], "canonicalArn": [SSO_ROLE_ARN], "accessKeyId": [temporary["AccessKeyId"]],
                  "sessionName": ["alice@example.com"]}}}
    # The session token is signed into the URL: another one is refused before STS is asked.
    other = with_query(make_token(moto, creds), X_Amz_Security_Token="forged")
    refused(server, other, "token's session token does not match its access key")


def test_v1beta1_review_is_answered_in_its_version(server, moto, account):
    status = review(server, make_token(moto, account["keys"]["deployer"]), api_version="authentication.k8s.io/v1beta1")
    assert status["authenticated"] is True


# ------------------------------------------------------------------------------------------------ refused
def test_principal_without_an_access_entry_is_refused(server, moto, account):
    line = refused(server, make_token(moto, account["keys"]["stranger"]),
                   f"no access entry for {arn('stranger')} in cluster {CLUSTER}")
    assert line["arn"] == arn("stranger")


def test_token_older_than_the_lifetime_is_refused(server, moto, account):
    token = make_token(moto, account["keys"]["admin"])
    signed = datetime.datetime.strptime(dict(parse_qsl(urlsplit(token_url(token)).query))["X-Amz-Date"],
                                        "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    clock = server.authenticator.now
    try:
        server.authenticator.now = lambda: signed + datetime.timedelta(seconds=900)
        assert review(server, token)["authenticated"] is True  # the last second of its 15 minutes
        server.authenticator.now = lambda: signed + datetime.timedelta(seconds=901)
        refused(server, token, "token expired: signed 901s ago, valid for 900s")
        server.authenticator.now = lambda: signed - datetime.timedelta(seconds=301)
        refused(server, token, "token X-Amz-Date is 301s in the future")
    finally:
        server.authenticator.now = clock


def test_token_for_another_cluster_is_refused(server, moto, account):
    admin = account["keys"]["admin"]
    refused(server, make_token(moto, admin, cluster="triptrip-production"),
            f"signature does not match (not signed by {admin['key']} for cluster {CLUSTER})")


def test_tampered_signature_is_refused(server, moto, account):
    admin = account["keys"]["admin"]
    token = make_token(moto, admin)
    signature = dict(parse_qsl(urlsplit(token_url(token)).query))["X-Amz-Signature"]
    tampered = with_query(token, X_Amz_Signature=signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    refused(server, tampered, f"signature does not match (not signed by {admin['key']} for cluster {CLUSTER})")
    # A changed parameter under the same signature (another date inside the lifetime) is refused the same way.
    date = dict(parse_qsl(urlsplit(token_url(token)).query))["X-Amz-Date"]  # YYYYMMDDTHHMMSSZ
    other_second = date[:-3] + ("00" if date[-3:-1] != "00" else "01") + "Z"
    refused(server, with_query(token, X_Amz_Date=other_second),
            f"signature does not match (not signed by {admin['key']} for cluster {CLUSTER})")
    refused(server, with_query(token, X_Amz_Signature="\u00e9" * 64),
            f"signature does not match (not signed by {admin['key']} for cluster {CLUSTER})")


def test_url_that_is_not_the_local_sts_is_refused(server, moto, account):
    admin = account["keys"]["admin"]
    for endpoint in (f"https://sts.{REGION}.amazonaws.com", f"http://127.0.0.2:{urlsplit(moto).port}",
                     f"http://127.0.0.1:{urlsplit(moto).port + 1}", moto.replace("http://", "https://")):
        refused(server, make_token(endpoint, admin), "token URL is not the local STS endpoint")


def test_bad_prefix_and_garbage_are_refused(server, moto, account):
    good = make_token(moto, account["keys"]["admin"])
    for token in ("", "Bearer abc", "k8s-aws-v2." + good[len("k8s-aws-v1."):], good[len("k8s-aws-v1."):]):
        refused(server, token, "token lacks the k8s-aws-v1. prefix")
    for token in ("k8s-aws-v1.", "k8s-aws-v1.!!!not base64!!!", "k8s-aws-v1." + "/+/+",
                  url_token("not a url at all"), "k8s-aws-v1." + base64.urlsafe_b64encode(b"\xff\xfe").decode()):
        refused(server, token, "token is not base64url of a URL")


def test_presigned_url_without_the_cluster_header_or_with_other_calls_is_refused(server, moto, account):
    admin = account["keys"]["admin"]
    sts = boto3.client("sts", endpoint_url=moto, region_name=REGION, aws_access_key_id=admin["key"],
                       aws_secret_access_key=admin["secret"])
    plain = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    refused(server, url_token(plain), "token does not sign the x-k8s-aws-id header")
    token = make_token(moto, admin)
    refused(server, with_query(token, Action="AssumeRole"), "token URL Action is not GetCallerIdentity")
    refused(server, with_query(token, X_Amz_Credential=None), "token URL lacks X-Amz-Credential")
    refused(server, with_query(token, RoleArn="arn:aws:iam::123456789012:role/x"),
            "token URL has unexpected query parameters RoleArn")


def test_unknown_access_key_is_refused(server, moto, account):
    unlisted = account["keys"]["unlisted"]
    refused(server, make_token(moto, unlisted),
            f"cannot verify: access key {unlisted['key']} is not in the local account's credentials")


def test_no_decision_logs_a_token_or_a_secret(server, moto, account):
    # Decisions of its own, allowed and refused, for every key: the tests of this module may run in another worker.
    before = server.authenticator.out.getvalue().count("\n")
    for creds in account["keys"].values():
        token = make_token(moto, creds)
        review(server, token)
        review(server, with_query(token, **{"X-Amz-Signature": "0" * 64}))
    log = server.authenticator.out.getvalue()
    assert log.count("\n") - before == 2 * len(account["keys"]) >= 10
    assert not re.search(r"k8s-aws-v1\.[A-Za-z0-9_-]{16}", log), "a token in the log"
    assert not re.search(r"[0-9a-f]{64}", log), "a signature in the log"
    for creds in account["keys"].values():
        assert creds["secret"] not in log
    text = account["credentials"].read_text()
    for line in text.splitlines():
        if line.startswith(("aws_secret_access_key", "aws_session_token")):
            assert line.split(" = ", 1)[1] not in log


def test_bad_requests_are_not_token_reviews(server):
    context = ssl.create_default_context(cafile=str(server.ca))
    for path, body in (("/authenticate", b"{}"), ("/authenticate", b"not json"), ("/other", b"{}")):
        request = urllib.request.Request(f"https://127.0.0.1:{server.port}{path}", data=body, method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=5, context=context)  # noqa: S310 - loopback
        assert err.value.code == (404 if path == "/other" else 400)


# --------------------------------------------------------------------------------------- the EKS API lookup
def test_access_entries_are_read_with_the_eks_api_page_by_page():
    """EksAccessEntries against boto3's eks client under botocore's Stubber (the requests are checked against the
    EKS service model): every page of ListAccessEntries and ListAssociatedAccessPolicies is read."""
    from botocore.stub import Stubber  # noqa: PLC0415

    client = boto3.client("eks", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_access_entries", {"accessEntries": [arn("a")], "nextToken": "t1"},
                      {"clusterName": CLUSTER})
    stub.add_response("list_access_entries", {"accessEntries": [SSO_ROLE_ARN]},
                      {"clusterName": CLUSTER, "nextToken": "t1"})
    stub.add_response("describe_access_entry", {"accessEntry": {
        "clusterName": CLUSTER, "principalArn": SSO_ROLE_ARN, "kubernetesGroups": ["g"],
        "username": f"arn:aws:sts::{ACCOUNT}:assumed-role/{SSO_ROLE}/{{{{SessionName}}}}", "type": "STANDARD"}},
        {"clusterName": CLUSTER, "principalArn": SSO_ROLE_ARN})
    stub.add_response("list_associated_access_policies", {
        "clusterName": CLUSTER, "principalArn": SSO_ROLE_ARN, "nextToken": "p1",
        "associatedAccessPolicies": [{"policyArn": VIEW_POLICY, "accessScope": {"type": "cluster"}}]},
        {"clusterName": CLUSTER, "principalArn": SSO_ROLE_ARN})
    stub.add_response("list_associated_access_policies", {
        "clusterName": CLUSTER, "principalArn": SSO_ROLE_ARN,
        "associatedAccessPolicies": [{"policyArn": ADMIN_POLICY, "accessScope": {"type": "cluster"}}]},
        {"clusterName": CLUSTER, "principalArn": SSO_ROLE_ARN, "nextToken": "p1"})
    entries = authn.EksAccessEntries(client)
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{SSO_ROLE}/bob"
    with stub:
        principal, session = authn.find_entry(entries, CLUSTER, caller)
        entry = entries.entry(CLUSTER, principal)
    stub.assert_no_pending_responses()
    user, skipped = authn.user_for(entry, {"Arn": caller, "UserId": "AROAEXAMPLE:bob", "Account": ACCOUNT},
                                   session, "ASIAEXAMPLE")
    assert (principal, session, skipped) == (SSO_ROLE_ARN, "bob", [])
    assert user == {"username": caller, "uid": f"aws-iam-authenticator:{ACCOUNT}:AROAEXAMPLE",
                    "groups": ["g", "eks:access-policy:view", "system:masters"],
                    "extra": {"arn": [caller], "canonicalArn": [SSO_ROLE_ARN], "accessKeyId": ["ASIAEXAMPLE"],
                              "sessionName": ["bob"]}}


# ---------------------------------------------------------------------------------------------- the program
DEVELOPERS_ARN = f"arn:aws:iam::{ACCOUNT}:role/triptrip-developers"


def create_cluster_with_entries(moto: str) -> None:
    """The cluster in moto with access entries, through the patch layer's access entry API (patch 14). The role's
    entry is of a role without a path: patch 14 answers 500 to DescribeAccessEntry, AssociateAccessPolicy and
    ListAssociatedAccessPolicies of a principal ARN with a path (its URL-encoded slashes); the path rule is tested
    above with the test's own entries."""
    def client(service):
        return boto3.client(service, endpoint_url=moto, region_name=REGION, aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    eks, iam_client = client("eks"), client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "eks.amazonaws.com"}}]}
    role = iam_client.create_role(RoleName="triptrip-local-cluster",
                                  AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    trust["Statement"][0]["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    iam_client.create_role(RoleName="triptrip-developers", AssumeRolePolicyDocument=json.dumps(trust))
    eks.create_cluster(name=CLUSTER, roleArn=role, version="1.35", accessConfig={"authenticationMode": "API"},
                       resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]})
    eks.create_access_entry(clusterName=CLUSTER, principalArn=arn("operator"), kubernetesGroups=["triptrip:operators"])
    eks.associate_access_policy(clusterName=CLUSTER, principalArn=arn("operator"), policyArn=ADMIN_POLICY,
                                accessScope={"type": "cluster"})
    eks.create_access_entry(clusterName=CLUSTER, principalArn=DEVELOPERS_ARN)  # EKS's default username
    eks.associate_access_policy(clusterName=CLUSTER, principalArn=DEVELOPERS_ARN, policyArn=VIEW_POLICY,
                                accessScope={"type": "cluster"})
    eks.associate_access_policy(clusterName=CLUSTER, principalArn=DEVELOPERS_ARN, policyArn=EDIT_POLICY,
                                accessScope={"type": "namespace", "namespaces": ["tenant-a"]})


def test_program_reads_moto_access_entries_and_takes_its_lifetime_from_the_environment(moto, pki, account, tmp_path):
    """`python localenv/eks_authenticator.py` as scripts/localenv starts it, its access entries read from moto's EKS
    API (the patch layer's patch 14); TRIPTRIP_EKS_TOKEN_LIFETIME=6 wins over --token-lifetime 900."""
    port = free_port(24950)
    env = {**os.environ, "TRIPTRIP_EKS_TOKEN_LIFETIME": "6"}
    argv = [sys.executable, str(ROOT / "localenv" / "eks_authenticator.py"), "--host", "127.0.0.1", "--port", str(port),
            "--cert", str(pki / "apiserver.crt"), "--key", str(pki / "apiserver.key"), "--cluster-name", CLUSTER,
            "--sts-endpoint", moto, "--credentials-file", str(account["credentials"]), "--region", REGION,
            "--token-lifetime", "900"]
    with open(tmp_path / "out.log", "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)  # noqa: S603 - ours
    try:
        deadline = time.monotonic() + 30
        while not listening(port):
            assert proc.poll() is None, (tmp_path / "out.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        served = Served(None, port, pki / "ca.crt")
        operator = account["keys"]["operator"]
        first, made = make_token(moto, operator), time.monotonic()
        assert review(served, first) == {
            "authenticated": False,
            "error": f"cannot read the access entries of cluster {CLUSTER}: ResourceNotFoundException"}
        create_cluster_with_entries(moto)
        status = review(served, make_token(moto, operator))
        assert status["authenticated"] is True
        assert status["user"]["username"] == arn("operator")
        assert status["user"]["groups"] == ["triptrip:operators", "system:masters"]
        assert status["user"]["extra"]["canonicalArn"] == [arn("operator")]
        # A role's session, matched to the role's entry; EKS's default username is the session's ARN.
        sts = boto3.client("sts", endpoint_url=moto, region_name=REGION, aws_access_key_id=operator["key"],
                           aws_secret_access_key=operator["secret"])
        temporary = sts.assume_role(RoleArn=DEVELOPERS_ARN, RoleSessionName="bob")["Credentials"]
        with account["credentials"].open("a") as handle:
            handle.write(f"[sso-bob]\naws_access_key_id = {temporary['AccessKeyId']}\n"
                         f"aws_secret_access_key = {temporary['SecretAccessKey']}\n"
                         f"aws_session_token = {temporary['SessionToken']}\n\n")
        status = review(served, make_token(moto, {"key": temporary["AccessKeyId"],
                                                  "secret": temporary["SecretAccessKey"],
                                                  "token": temporary["SessionToken"]}))
        caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/triptrip-developers/bob"
        assert status["authenticated"] is True
        assert (status["user"]["username"], status["user"]["groups"]) == (caller, ["eks:access-policy:view"])
        assert status["user"]["extra"]["canonicalArn"] == [DEVELOPERS_ARN]
        assert review(served, make_token(moto, account["keys"]["stranger"])) == {
            "authenticated": False, "error": f"no access entry for {arn('stranger')} in cluster {CLUSTER}"}
        time.sleep(max(0.0, 7.2 - (time.monotonic() - made)))
        status = review(served, first)
        assert status["authenticated"] is False and status["error"].startswith("token expired: signed ")
        assert status["error"].endswith("s ago, valid for 6s")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    lines = (tmp_path / "out.log").read_text().splitlines()
    assert json.loads(lines[0])["tokenLifetime"] == 6
    decisions = [json.loads(line) for line in lines[1:]]
    assert [d["decision"] for d in decisions] == ["refused", "allowed", "allowed", "refused", "refused"]
    assert [d["arn"] for d in decisions] == [arn("operator"), arn("operator"), caller, arn("stranger"), None]
    assert decisions[2]["notEmulated"] == ["AmazonEKSEditPolicy(namespace)"]
    assert not re.search(r"k8s-aws-v1\.[A-Za-z0-9_-]{16}", "".join(lines))
    assert operator["secret"] not in "".join(lines) and temporary["SessionToken"] not in "".join(lines)
    assert not listening(port)


# ------------------------------------------------------------------------- the authentication mode and aws-auth
class ModeEntries(Entries):
    """Entries of a cluster in `mode`; in CONFIG_MAP EKS refuses to list them, so reading them fails the test."""

    def __init__(self, mode: str, entries: dict[str, dict]):
        super().__init__(CLUSTER, entries)
        self.mode = mode

    def authentication_mode(self, cluster: str) -> str:
        assert cluster == CLUSTER
        return self.mode

    def principal_arns(self, cluster: str) -> list[str]:
        assert self.mode != "CONFIG_MAP", "access entries read on a CONFIG_MAP cluster"
        return super().principal_arns(cluster)


class AwsAuth:
    def __init__(self, **data):
        self.data = {key: json.dumps(value) for key, value in data.items()}  # JSON is YAML

    def read(self) -> dict:
        return self.data


ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admins/alice"
AWS_AUTH = AwsAuth(mapRoles=[{"rolearn": f"arn:aws:iam::{ACCOUNT}:role/Admins", "username": "admin:{{SessionName}}",
                              "groups": ["system:masters"]}],
                   mapUsers=[{"userarn": arn("dev"), "username": "dev", "groups": ["developers"]}])
ADMINS_ENTRY = {f"arn:aws:iam::{ACCOUNT}:role/teams/Admins": {"username": "entry-admin", "kubernetesGroups": [],
                                                              "associatedAccessPolicies": []}}


def lookup(mode: str, caller: str, aws_auth=AWS_AUTH, entries=None):
    settings = authn.Settings(cluster_name=CLUSTER, sts_endpoint="http://127.0.0.1:1", credentials_file="/dev/null",
                              region=REGION)
    authenticator = authn.Authenticator(settings, entries=ModeEntries(mode, entries or ADMINS_ENTRY),
                                        identify=lambda _c: None, out=io.StringIO(), aws_auth=aws_auth)
    return authenticator.lookup(CLUSTER, caller)


def test_config_map_mode_reads_aws_auth_only():
    entry, session, source = lookup("CONFIG_MAP", ROLE_SESSION)
    assert (entry["principalArn"], entry["username"], entry["kubernetesGroups"], session, source) == (
        f"arn:aws:iam::{ACCOUNT}:role/Admins", "admin:{{SessionName}}", ["system:masters"], "alice", "aws-auth")
    entry, session, source = lookup("CONFIG_MAP", arn("dev"))
    assert (entry["username"], entry["kubernetesGroups"], session, source) == ("dev", ["developers"], None, "aws-auth")
    with pytest.raises(authn.Refused, match="no access entry and no aws-auth mapping"):
        lookup("CONFIG_MAP", arn("stranger"))


def test_api_and_config_map_takes_the_entry_first_then_aws_auth():
    entry, _session, source = lookup("API_AND_CONFIG_MAP", ROLE_SESSION)
    assert (entry["username"], source) == ("entry-admin", "access entry")  # the entry wins for the same role
    assert lookup("API_AND_CONFIG_MAP", arn("dev"))[2] == "aws-auth"


def test_api_mode_ignores_aws_auth():
    with pytest.raises(authn.Refused, match=f"no access entry for {arn('dev')}"):
        lookup("API", arn("dev"))


def test_aws_auth_rolearn_with_a_path_never_matches_and_map_accounts_lets_an_account_in():
    with_path = AwsAuth(mapRoles=[{"rolearn": f"arn:aws:iam::{ACCOUNT}:role/teams/Admins", "groups": ["x"]}])
    with pytest.raises(authn.Refused):
        lookup("CONFIG_MAP", ROLE_SESSION, aws_auth=with_path)
    entry, _session, _source = lookup("CONFIG_MAP", arn("anyone"), aws_auth=AwsAuth(mapAccounts=[ACCOUNT]))
    assert entry["username"] is None and entry["kubernetesGroups"] == []  # rule 8 then names it by its ARN


def test_aws_auth_that_is_not_yaml_is_refused():
    broken = AwsAuth()
    broken.data = {"mapRoles": "- rolearn: [unclosed"}
    with pytest.raises(authn.Refused, match="aws-auth mapRoles is not YAML"):
        lookup("CONFIG_MAP", ROLE_SESSION, aws_auth=broken)


def test_without_an_aws_auth_reader_the_mode_is_not_read():
    class NoMode(Entries):
        def authentication_mode(self, cluster):
            raise AssertionError("mode read without --kube-server")

    settings = authn.Settings(cluster_name=CLUSTER, sts_endpoint="http://127.0.0.1:1", credentials_file="/dev/null",
                              region=REGION)
    authenticator = authn.Authenticator(settings, entries=NoMode(CLUSTER, ADMINS_ENTRY), out=io.StringIO())
    assert authenticator.lookup(CLUSTER, ROLE_SESSION)[2] == "access entry"
    with pytest.raises(authn.Refused):
        authenticator.lookup(CLUSTER, arn("dev"))
