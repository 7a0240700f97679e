#!/usr/bin/env python3
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see galaxy.yml)
"""The local stand-in for the authenticator of Amazon EKS: a Kubernetes webhook token authenticator of ours.

On EKS, `kubectl` runs `aws eks get-token --cluster-name NAME` (the `exec` credential of the kubeconfig), which
answers a bearer token `k8s-aws-v1.<base64url of a presigned STS GetCallerIdentity URL>`. The API server hands the
token to EKS's authenticator, which checks the URL, has STS tell who signed it, and maps that IAM principal through
the cluster's access entries to a Kubernetes user and groups. This server does the same for the local platform
(scripts/localenv starts it, and kube-apiserver reaches it through --authentication-token-webhook-config-file),
against moto's STS and EKS. It is written from the documents cited below; no code is taken from
aws-iam-authenticator.

    python localenv/eks_authenticator.py --host 127.0.0.1 --port 29444 --cert apiserver.crt --key apiserver.key \
        --cluster-name triptrip-local --sts-endpoint http://127.0.0.1:29100 --credentials-file aws/credentials \
        --region ap-northeast-1 [--token-lifetime 900] [--eks-endpoint URL]

GET /healthz answers 200 `ok`. POST /authenticate takes an authentication.k8s.io/v1 TokenReview and answers it
with its status (the webhook contract of
https://kubernetes.io/docs/reference/access-authn-authz/authentication/#webhook-token-authentication): always
HTTP 200, `authenticated: false` with an `error` naming the reason, or `authenticated: true` with the user. The
API server turns a refusal into 401 Unauthorized, as EKS does. Each decision is one JSON line on stdout (cluster,
access key id, principal ARN, allowed or the reason); never the token, its signature, a session token or a secret.

Rules, checked in this order (the first that fails refuses the token):

1. The token starts with `k8s-aws-v1.` and the rest is base64url, padding optional (aws-iam-authenticator
   README, "API Authorization from Outside a Cluster": the prefix, and base64 padding left out).
2. The URL's scheme://host:port is the --sts-endpoint and its path is `/`: the only STS this server asks, as
   aws-iam-authenticator accepts only the STS hosts of its allowlist (README, "How does it work?": the server
   "validates all the parameters of the pre-signed request to make sure nothing looks funny").
3. The query holds each of Action=GetCallerIdentity, Version=2011-06-15, X-Amz-Algorithm=AWS4-HMAC-SHA256,
   X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Signature once, and nothing but those and
   X-Amz-Expires / X-Amz-Security-Token; the signed headers include `x-k8s-aws-id`, the cluster ID header that
   stops a token made for one cluster from being replayed to another (README, "What is a cluster ID?"), and name
   nothing else than `host` (the API server hands over the token alone, so no other header could be re-sent).
   Query parameters of a presigned request: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
   and https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html.
4. X-Amz-Date is at most --token-lifetime seconds old (default 900, env TRIPTRIP_EKS_TOKEN_LIFETIME overrides
   the option) and at most 5 minutes ahead of this clock: "The token is valid for 15 minutes" (README, "Set up
   kubectl"); X-Amz-Expires (60 from `aws eks get-token`) is not what bounds it.
5. The signature verifies as AWS Signature Version 4 (computed here: canonical request, string to sign, signing
   key, HMAC-SHA256, as https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
   describes; hashed payload of an empty GET body) with the header `x-k8s-aws-id: <--cluster-name>` and the secret
   of the access key of X-Amz-Credential, found in --credentials-file (an AWS shared credentials file, read again
   for every request). The credential scope must be <X-Amz-Date's day>/<region>/sts/aws4_request. An access key
   that file does not hold is refused ("cannot verify"); a token signed for another cluster name is refused
   because its signature does not match. A key whose profile has an aws_session_token must carry that token
   (X-Amz-Security-Token), and only such a key may carry one
   (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html).
   This check is ours because moto's STS checks no signature at all.
6. STS says who signed. EKS sends the presigned GET itself; moto 5.2.5 cannot answer it: its server picks the
   service from the Authorization header, so a presigned GET (no such header) is routed to S3 and answered with
   ListBuckets, and its STS reads the access key from the Authorization header or `AWSAccessKeyId` only, never
   from the query's X-Amz-Credential (every presigned caller would be its default `user/moto`). So this server
   calls GetCallerIdentity with boto3 at the --sts-endpoint, signed with the token's access key, the secret of
   rule 5 and the token's session token, and reads Arn, UserId and Account from the answer.
7. The principal maps to an access entry of --cluster-name (https://docs.aws.amazon.com/eks/latest/userguide/
   creating-access-entries.html), read with the EKS API (ListAccessEntries, DescribeAccessEntry,
   ListAssociatedAccessPolicies; moto at --eks-endpoint, default the --sts-endpoint):
   `arn:aws:sts::ACCT:assumed-role/NAME/SESSION` matches the entry `arn:aws:iam::ACCT:role/<any path>/NAME`
   ("If the ARN is for an IAM role, it can include a path"; role names are unique in an account and the path is no
   part of the name: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html); an IAM user
   (`arn:aws:iam::ACCT:user/...`) matches the entry of exactly its ARN. No entry: refused (EKS answers 401).
   Other principal types are refused. With --kube-server (and --kube-ca, --kube-cert, --kube-key: a client
   certificate that may read the ConfigMap) the cluster's authentication mode is honoured
   (https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html): DescribeCluster's
   accessConfig.authenticationMode; API reads access entries only; API_AND_CONFIG_MAP reads them first (an entry
   takes precedence over aws-auth for the same principal,
   https://docs.aws.amazon.com/eks/latest/userguide/migrating-access-entries.html) and falls back to aws-auth;
   CONFIG_MAP reads aws-auth only (EKS refuses the access entry calls then). aws-auth is the ConfigMap aws-auth of
   kube-system, read at each review (https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html): a role
   session matches the mapRoles item whose rolearn is `arn:aws:iam::ACCT:role/NAME` exactly (aws-auth ARNs hold no
   path), a user the mapUsers item of exactly its ARN, and anyone else of an account of mapAccounts is let in as its
   ARN with no group; the item's username and groups then make the user as rule 8 (no access policies there).
   Without --kube-server the mode is not read: access entries are the only source, as before.
8. The user (https://docs.aws.amazon.com/eks/latest/userguide/set-custom-username.html):
   username = the entry's `username` with `{{SessionName}}` (the session name, `@` written as `-`),
   `{{SessionNameRaw}}` and `{{AccountID}}` filled in (template parameters of the aws-iam-authenticator README,
   "Full Configuration Format"), or the caller's ARN when the entry has none (EKS's default: the user's ARN, or
   `arn:aws:sts::ACCT:assumed-role/NAME/{{SessionName}}` for a role, which is the caller's ARN).
   groups = the entry's kubernetesGroups, then per cluster-scoped access policy association
   (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html): AmazonEKSClusterAdminPolicy
   -> `system:masters` (bound to cluster-admin by Kubernetes' bootstrap RBAC,
   https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles), AmazonEKSViewPolicy ->
   `eks:access-policy:view` (scripts/localenv binds that group to the ClusterRole `view`). EKS authorizes access
   policies in an authorizer of its own; other policies and namespace-scoped associations add nothing here, and the
   decision's log line names them as not emulated.
   uid = `aws-iam-authenticator:<Account>:<UserId>`, UserId without its `:<session>` part as aws-iam-authenticator
   splits it; extra = arn (the caller's ARN), canonicalArn (the entry's principalArn), accessKeyId, and
   sessionName for a role.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import configparser
import datetime
import hashlib
import hmac
import json
import os
import re
import ssl
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
REQUIRED = ("Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
            "X-Amz-Signature")
ALLOWED = {*REQUIRED, "X-Amz-Expires", "X-Amz-Security-Token"}
FIXED = {"Action": "GetCallerIdentity", "Version": "2011-06-15", "X-Amz-Algorithm": "AWS4-HMAC-SHA256"}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_FUTURE = 300  # seconds a token's X-Amz-Date may be ahead of our clock
DEFAULT_LIFETIME = 900
POLICY_ARN = re.compile(r"^arn:[a-z-]+:eks::aws:cluster-access-policy/(?P<name>[A-Za-z0-9]+)$")
POLICY_GROUPS = {"AmazonEKSClusterAdminPolicy": "system:masters", "AmazonEKSViewPolicy": "eks:access-policy:view"}
ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>[a-z-]+):sts::(?P<account>\d{12}):assumed-role/(?P<name>[^/]+)/"
                          r"(?P<session>[^/]+)$")
IAM_USER = re.compile(r"^arn:[a-z-]+:iam::\d{12}:user/.+$")
MAX_BODY = 1 << 20


class Refused(Exception):
    """A token that is not let in; the message is the reason (never the token or a secret)."""


@dataclass
class Settings:
    cluster_name: str
    sts_endpoint: str
    credentials_file: str
    region: str
    token_lifetime: int = DEFAULT_LIFETIME
    eks_endpoint: str | None = None


def _origin(url: str) -> tuple[str, str, int]:
    """scheme, host, port of a URL, the port made explicit."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _aws_quote(value: str) -> str:
    return quote(value, safe="-_.~")


# ------------------------------------------------------------------------------------- token checks (rules 1-5)
def decode_token(token: str) -> str:
    """Rule 1: the presigned URL inside a token."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise Refused("token lacks the k8s-aws-v1. prefix")
    body = token[len(TOKEN_PREFIX):]
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise Refused("token is not base64url of a URL") from None


def parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in query.split("&") if query else []:
        key, _eq, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        if key in params:
            raise Refused(f"token URL repeats query parameter {key}")
        params[key] = value
    return params


def check_url(url: str, sts_endpoint: str) -> tuple[str, dict[str, str]]:
    """Rules 2 and 3: the URL points at our STS and carries a presigned GetCallerIdentity; its host and params."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise Refused("token is not base64url of a URL")
    try:
        origin = _origin(url)
    except ValueError:
        raise Refused("token URL has an invalid port") from None
    if origin != _origin(sts_endpoint) or parts.username or parts.password:
        raise Refused("token URL is not the local STS endpoint")
    if parts.path not in ("", "/") or parts.fragment:
        raise Refused("token URL path is not /")
    params = parse_query(parts.query)
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise Refused(f"token URL lacks {', '.join(missing)}")
    unexpected = sorted(set(params) - ALLOWED)
    if unexpected:
        raise Refused(f"token URL has unexpected query parameters {', '.join(unexpected)}")
    for name, value in FIXED.items():
        if params[name] != value:
            raise Refused(f"token URL {name} is not {value}")
    signed = params["X-Amz-SignedHeaders"].split(";")
    if CLUSTER_ID_HEADER not in signed:
        raise Refused(f"token does not sign the {CLUSTER_ID_HEADER} header")
    if set(signed) - {"host", CLUSTER_ID_HEADER} or signed != sorted(set(signed)):
        raise Refused("token signs headers other than host and x-k8s-aws-id")
    # The Host header as the signer saw it: the port only when it is not the scheme's default.
    host = parts.hostname or ""
    if parts.port and parts.port != {"http": 80, "https": 443}.get(parts.scheme.lower()):
        host = f"{host}:{parts.port}"
    return host, params


def check_date(params: dict[str, str], now: datetime.datetime, lifetime: int) -> None:
    """Rule 4: X-Amz-Date within the lifetime, and not too far ahead."""
    try:
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Refused("token X-Amz-Date is not a date (YYYYMMDDTHHMMSSZ)") from None
    age = (now - signed_at).total_seconds()
    if age > lifetime:
        raise Refused(f"token expired: signed {int(age)}s ago, valid for {lifetime}s")
    if -age > MAX_FUTURE:
        raise Refused(f"token X-Amz-Date is {int(-age)}s in the future")


def read_credentials(path: str) -> dict[str, tuple[str, str | None]]:
    """access key id -> (secret, session token or None), from an AWS shared credentials file."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error:
        return {}
    found = {}
    for section in parser.sections():
        key = parser.get(section, "aws_access_key_id", fallback="").strip()
        secret = parser.get(section, "aws_secret_access_key", fallback="").strip()
        if key and secret:
            found[key] = (secret, parser.get(section, "aws_session_token", fallback="").strip() or None)
    return found


def signature(secret: str, host: str, params: dict[str, str], cluster_name: str, region: str) -> str:
    """SigV4 of a presigned GET of `/` with the signed headers of X-Amz-SignedHeaders."""
    query = "&".join(f"{_aws_quote(k)}={_aws_quote(v)}" for k, v in sorted(params.items()) if k != "X-Amz-Signature")
    values = {"host": host, CLUSTER_ID_HEADER: cluster_name}
    names = params["X-Amz-SignedHeaders"].split(";")
    headers = "".join(f"{name}:{' '.join(values[name].split())}\n" for name in names)
    canonical = "\n".join(["GET", "/", query, headers, params["X-Amz-SignedHeaders"], EMPTY_SHA256])
    day = params["X-Amz-Date"][:8]
    scope = f"{day}/{region}/sts/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret}".encode()
    for part in (day, region, "sts", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def check_signature(host: str, params: dict[str, str], cluster_name: str, credentials_file: str) -> dict:
    """Rule 5: the signature is the one the access key's secret gives for this cluster; the caller's credentials."""
    scope = params["X-Amz-Credential"].split("/")
    if len(scope) != 5 or scope[3:] != ["sts", "aws4_request"] or scope[1] != params["X-Amz-Date"][:8]:
        raise Refused("token X-Amz-Credential is not <key>/<day>/<region>/sts/aws4_request")
    key_id, region = scope[0], scope[2]
    known = read_credentials(credentials_file).get(key_id)
    if known is None:
        raise Refused(f"cannot verify: access key {key_id} is not in the local account's credentials")
    secret, session_token = known
    given_token = params.get("X-Amz-Security-Token")
    if (session_token is None) != (given_token is None) or (
            session_token and not hmac.compare_digest(session_token.encode(), given_token.encode())):
        raise Refused("token's session token does not match its access key")
    expected = signature(secret, host, params, cluster_name, region)
    if not hmac.compare_digest(expected.encode(), params["X-Amz-Signature"].lower().encode()):
        raise Refused(f"signature does not match (not signed by {key_id} for cluster {cluster_name})")
    return {"key": key_id, "secret": secret, "session_token": given_token, "region": region}


# ------------------------------------------------------------------------------------------ STS and EKS (6, 7)
def caller_identity(endpoint: str, credentials: dict) -> dict:
    """Rule 6: GetCallerIdentity at our STS with the token's own credentials."""
    import boto3  # noqa: PLC0415 - only the server needs it
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        client = boto3.client(
            "sts", endpoint_url=endpoint, region_name=credentials["region"],
            aws_access_key_id=credentials["key"], aws_secret_access_key=credentials["secret"],
            aws_session_token=credentials["session_token"],
            config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2}),
        )
        answer = client.get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise Refused(f"STS GetCallerIdentity failed: {type(exc).__name__}") from None
    return {"Arn": answer["Arn"], "UserId": answer["UserId"], "Account": answer["Account"]}


class EksAccessEntries:
    """The access entries of a cluster, read with the EKS API (boto3's `eks` client, or anything with its
    list_access_entries, describe_access_entry and list_associated_access_policies)."""

    def __init__(self, client):
        self.client = client

    def principal_arns(self, cluster: str) -> list[str]:
        arns, kwargs = [], {"clusterName": cluster}
        while True:
            page = self.client.list_access_entries(**kwargs)
            arns += page.get("accessEntries", [])
            if not page.get("nextToken"):
                return arns
            kwargs["nextToken"] = page["nextToken"]

    def entry(self, cluster: str, principal_arn: str) -> dict:
        """DescribeAccessEntry's accessEntry, with `associatedAccessPolicies` of ListAssociatedAccessPolicies."""
        entry = dict(self.client.describe_access_entry(clusterName=cluster, principalArn=principal_arn)["accessEntry"])
        policies, kwargs = [], {"clusterName": cluster, "principalArn": principal_arn}
        while True:
            page = self.client.list_associated_access_policies(**kwargs)
            policies += page.get("associatedAccessPolicies", [])
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        entry["associatedAccessPolicies"] = policies
        return entry

    def authentication_mode(self, cluster: str) -> str:
        """DescribeCluster's accessConfig.authenticationMode (EKS's API default, CONFIG_MAP, when absent)."""
        described = self.client.describe_cluster(name=cluster)["cluster"]
        return (described.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP"


class AwsAuthConfigMap:
    """The data of kube-system's aws-auth ConfigMap, read from the API server with a client certificate ({} when
    there is none)."""

    PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"

    def __init__(self, server: str, ca: str, cert: str, key: str):
        self.url = server.rstrip("/") + self.PATH
        self.context = ssl.create_default_context(cafile=ca)
        self.context.load_cert_chain(cert, key)

    def read(self) -> dict:
        try:
            with urllib.request.urlopen(self.url, context=self.context, timeout=5) as answer:  # noqa: S310 - https
                return json.load(answer).get("data") or {}
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return {}
            raise


def aws_auth_entry(data: dict, caller_arn: str) -> tuple[dict, str | None]:
    """Rule 7 in a mode with CONFIG_MAP: the aws-auth mapping of the caller, as an entry rule 8 takes, and the
    session name of a role."""
    import yaml  # noqa: PLC0415 - only the aws-auth fallback needs it

    maps = {}
    for key in ("mapRoles", "mapUsers", "mapAccounts"):
        try:
            maps[key] = yaml.safe_load(data.get(key) or "[]") or []
        except yaml.YAMLError:
            raise Refused(f"aws-auth {key} is not YAML") from None
    role, session, canonical, item = ASSUMED_ROLE.match(caller_arn), None, caller_arn, None
    if role:
        session = role["session"]
        canonical = f"arn:{role['partition']}:iam::{role['account']}:role/{role['name']}"
        item = next((i for i in maps["mapRoles"] if isinstance(i, dict) and i.get("rolearn") == canonical), None)
    elif IAM_USER.match(caller_arn):
        item = next((i for i in maps["mapUsers"] if isinstance(i, dict) and i.get("userarn") == caller_arn), None)
    else:
        raise Refused(f"principal type of {caller_arn} has no aws-auth mapping")
    if item is None:
        account = caller_arn.split(":")[4]
        if account not in [str(a) for a in maps["mapAccounts"]]:
            raise Refused(f"no access entry and no aws-auth mapping for {caller_arn}")
        item = {}
    return {"principalArn": canonical, "username": item.get("username"), "kubernetesGroups": item.get("groups") or [],
            "associatedAccessPolicies": []}, session


def eks_entries(endpoint: str, region: str) -> EksAccessEntries:
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    # moto keeps EKS per account; `testing` is moto's default account (123456789012), where localenv works.
    return EksAccessEntries(boto3.client(
        "eks", endpoint_url=endpoint, region_name=region, aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2})))


def find_entry(entries, cluster: str, caller_arn: str) -> tuple[str, str | None]:
    """Rule 7: the principalArn of the access entry that the caller maps to, and the role session name."""
    role = ASSUMED_ROLE.match(caller_arn)
    if role:
        prefix = f"arn:{role['partition']}:iam::{role['account']}:role/"
        pattern = re.compile(rf"^{re.escape(prefix)}(?:.*/)?{re.escape(role['name'])}$")
        matches = sorted(arn for arn in entries.principal_arns(cluster) if pattern.match(arn))
        if len(matches) > 1:
            raise Refused(f"{len(matches)} access entries match role {role['name']}: {', '.join(matches)}")
        if not matches:
            raise Refused(f"no access entry for role {role['name']} in cluster {cluster}")
        return matches[0], role["session"]
    if IAM_USER.match(caller_arn):
        if caller_arn not in entries.principal_arns(cluster):
            raise Refused(f"no access entry for {caller_arn} in cluster {cluster}")
        return caller_arn, None
    raise Refused(f"principal type of {caller_arn} has no access entry mapping")


def user_for(entry: dict, identity: dict, session: str | None, key_id: str) -> tuple[dict, list[str]]:
    """Rule 8: the TokenReview user of a matched entry, and the policies that are not emulated."""
    username = entry.get("username") or identity["Arn"]
    username = username.replace("{{AccountID}}", identity["Account"])
    if session is not None:
        username = username.replace("{{SessionNameRaw}}", session).replace("{{SessionName}}", session.replace("@", "-"))
    groups = list(entry.get("kubernetesGroups") or [])
    skipped = []
    for association in entry.get("associatedAccessPolicies", []):
        policy = association.get("policyArn", "")
        match = POLICY_ARN.match(policy)
        name = match["name"] if match else policy
        scope = (association.get("accessScope") or {}).get("type", "cluster")
        if scope == "cluster" and name in POLICY_GROUPS:
            groups.append(POLICY_GROUPS[name])
        else:
            skipped.append(f"{name}({scope})")
    extra = {"arn": [identity["Arn"]], "canonicalArn": [entry["principalArn"]], "accessKeyId": [key_id]}
    if session is not None:
        extra["sessionName"] = [session]
    user = {"username": username, "uid": f"aws-iam-authenticator:{identity['Account']}:"
                                         f"{identity['UserId'].split(':')[0]}",
            "groups": list(dict.fromkeys(groups)), "extra": extra}
    return user, skipped


# ------------------------------------------------------------------------------------------------- the server
class Authenticator:
    """Decides TokenReviews. `entries` (default: EKS at the eks endpoint), `identify` (default: STS) and `now`
    can be replaced, e.g. by tests that have no access entry API to read."""

    def __init__(self, settings: Settings, entries=None, identify=None, now=None, out=None, aws_auth=None):
        self.settings = settings
        self.aws_auth = aws_auth  # None: the mode is not read, access entries only
        self.entries = entries or eks_entries(settings.eks_endpoint or settings.sts_endpoint, settings.region)
        self.identify = identify or (lambda creds: caller_identity(settings.sts_endpoint, creds))
        self.now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.out = out or sys.stdout
        self.lock = threading.Lock()

    def review(self, token: str) -> dict:
        """The status of a TokenReview for `token`; logs the decision."""
        cluster = self.settings.cluster_name
        record = {"cluster": cluster, "accessKeyId": None, "arn": None}
        try:
            host, params = check_url(decode_token(token), self.settings.sts_endpoint)
            record["accessKeyId"] = params["X-Amz-Credential"].split("/")[0]
            check_date(params, self.now(), self.settings.token_lifetime)
            credentials = check_signature(host, params, cluster, self.settings.credentials_file)
            identity = self.identify(credentials)
            record["arn"] = identity["Arn"]
            try:
                entry, session, source = self.lookup(cluster, identity["Arn"])
            except Refused:
                raise
            except Exception as exc:  # noqa: BLE001 - any lookup failure refuses; its kind is the reason
                code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
                raise Refused(f"cannot read the access entries of cluster {cluster}: "
                              f"{code or type(exc).__name__}") from None
            user, skipped = user_for(entry, identity, session, credentials["key"])
        except Refused as refusal:
            self.log({**record, "decision": "refused", "reason": str(refusal)})
            return {"authenticated": False, "error": str(refusal)}
        except Exception as exc:  # noqa: BLE001 - a fault of ours refuses too, and says so (never with the token)
            reason = f"authenticator error: {type(exc).__name__}"
            self.log({**record, "decision": "refused", "reason": reason})
            return {"authenticated": False, "error": reason}
        self.log({**record, "decision": "allowed", "source": source, "entry": entry["principalArn"],
                  "username": user["username"],
                  "groups": user["groups"], **({"notEmulated": skipped} if skipped else {})})
        return {"authenticated": True, "user": user}

    def lookup(self, cluster: str, caller_arn: str) -> tuple[dict, str | None, str]:
        """Rule 7 in the cluster's mode: the entry (or aws-auth mapping) of the caller, its session, and which."""
        mode = self.entries.authentication_mode(cluster) if self.aws_auth is not None else "API"
        if mode != "CONFIG_MAP":
            try:
                principal, session = find_entry(self.entries, cluster, caller_arn)
                return self.entries.entry(cluster, principal), session, "access entry"
            except Refused:
                if mode == "API":
                    raise
        entry, session = aws_auth_entry(self.aws_auth.read(), caller_arn)
        return entry, session, "aws-auth"

    def log(self, record: dict) -> None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.lock:
            print(json.dumps({"time": stamp, **record}), file=self.out, flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "triptrip-eks-authenticator"
    authenticator: Authenticator  # set on the subclass make_server builds

    def log_message(self, *_args) -> None:  # decisions are logged by the authenticator, requests are not
        return

    def reply(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if urlsplit(self.path).path == "/healthz":
            self.reply(200, b"ok", "text/plain")
        else:
            self.reply(404, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        if urlsplit(self.path).path != "/authenticate":  # the API server adds ?timeout=30s
            self.reply(404, b"not found", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if not 0 < length <= MAX_BODY:
                raise ValueError("body size")
            review = json.loads(self.rfile.read(length))
            if review.get("kind") != "TokenReview" or not str(review.get("apiVersion", "")).startswith(
                    "authentication.k8s.io/"):
                raise ValueError("not a TokenReview")
            token = (review.get("spec") or {}).get("token", "")
        except (ValueError, AttributeError):
            self.reply(400, b"expected an authentication.k8s.io/v1 TokenReview", "text/plain")
            return
        status = self.server_authenticator().review(token)
        answer = {"apiVersion": review["apiVersion"], "kind": "TokenReview", "status": status}
        self.reply(200, json.dumps(answer).encode())

    def server_authenticator(self) -> Authenticator:
        return self.server.authenticator  # type: ignore[attr-defined]


def make_server(authenticator: Authenticator, host: str, port: int, cert: str, key: str) -> ThreadingHTTPServer:
    """An HTTPS server (TLS 1.2+) for `authenticator`; serve_forever() runs it."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.authenticator = authenticator  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True, help="serving certificate (PEM)")
    parser.add_argument("--key", required=True, help="its private key (PEM)")
    parser.add_argument("--cluster-name", required=True, help="the value tokens must sign as x-k8s-aws-id")
    parser.add_argument("--sts-endpoint", required=True, help="the only STS a token may point at (moto's URL)")
    parser.add_argument("--eks-endpoint", help="where the access entries are read (default: --sts-endpoint)")
    parser.add_argument("--credentials-file", required=True, help="AWS shared credentials file: the local secrets")
    parser.add_argument("--region", default="ap-northeast-1")
    parser.add_argument("--kube-server", help="the API server to read aws-auth from (honours the cluster's mode)")
    parser.add_argument("--kube-ca", help="its CA (PEM)")
    parser.add_argument("--kube-cert", help="client certificate that may get kube-system's aws-auth ConfigMap (PEM)")
    parser.add_argument("--kube-key", help="its private key (PEM)")
    parser.add_argument("--token-lifetime", type=int, default=DEFAULT_LIFETIME,
                        help="seconds a token is valid after its X-Amz-Date (env TRIPTRIP_EKS_TOKEN_LIFETIME wins)")
    args = parser.parse_args(argv)
    if args.kube_server and not (args.kube_ca and args.kube_cert and args.kube_key):
        parser.error("--kube-server needs --kube-ca, --kube-cert and --kube-key")
    if os.environ.get("TRIPTRIP_EKS_TOKEN_LIFETIME"):
        args.token_lifetime = int(os.environ["TRIPTRIP_EKS_TOKEN_LIFETIME"])
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = Settings(cluster_name=args.cluster_name, sts_endpoint=args.sts_endpoint,
                        credentials_file=args.credentials_file, region=args.region,
                        token_lifetime=args.token_lifetime, eks_endpoint=args.eks_endpoint)
    aws_auth = AwsAuthConfigMap(args.kube_server, args.kube_ca, args.kube_cert, args.kube_key) if args.kube_server \
        else None
    server = make_server(Authenticator(settings, aws_auth=aws_auth), args.host, args.port, args.cert, args.key)
    print(json.dumps({"listening": f"https://{args.host}:{args.port}", "cluster": args.cluster_name,
                      "stsEndpoint": args.sts_endpoint, "tokenLifetime": args.token_lifetime}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
