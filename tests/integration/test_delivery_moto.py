"""The delivery path's AWS part (spec 7.3.1) with the production inventory against the local moto server: the ECR
repositories with scan on push, immutable tags and the lifecycle policy; GitHub Actions' OIDC provider; one CI role
per application repository, trusted for exactly its subjects and allowed to push to its repository only. --check on
a fresh account writes nothing, a rerun changes nothing, bad input stops before any request.

Only the delivery roles run (--tags delivery, with what is tagged always: the preflight and the account read).
moto 5.2.5 answers every ECR call community.aws.ecs_ecr makes (CreateRepository, DescribeRepositories,
PutImageTagMutability, PutImageScanningConfiguration, Get/PutLifecyclePolicy, GetRepositoryPolicy): no patch needed.
"""

from __future__ import annotations

import json
import re

import pytest
from awsmoto import Moto, run_playbook

CLUSTER = "triptrip-production"
ISSUER = "token.actions.githubusercontent.com"
DELIVERY = ["-e", '{"platform_delivery_enabled": true}', "--tags", "delivery"]
PUSH_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages"]
WRITES = r"(Create|Put|Attach|Tag|Update|Delete|Set|Add|Remove)"

_MOTO = Moto("delivery")
aws = _MOTO.client


@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    env = _MOTO.start(root, tool_env, tmp_path_factory.mktemp("localenv-delivery"))
    try:
        yield env
    finally:
        Moto.stop(root, env)


def playbook(root, env, *args):
    return run_playbook(root, env, "production", CLUSTER, "playbooks/aws.yml", *DELIVERY, *args)


def test_01_check_on_a_fresh_account_plans_and_writes_nothing(root, moto):
    _MOTO.start_recording()
    res, recap = playbook(root, moto, "--check")
    assert recap["failed"] == 0, res.stdout[-4000:]
    assert recap["changed"] > 0
    assert [op for op in _MOTO.recorded_operations() if re.match(WRITES, op)] == []
    assert aws("ecr").describe_repositories()["repositories"] == []
    assert aws("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_02_converge_builds_the_repositories_the_provider_and_the_roles(root, moto):
    res, recap = playbook(root, moto)
    assert recap["failed"] == 0, res.stdout[-4000:]
    ecr, iam = aws("ecr"), aws("iam")
    repos = {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}
    assert sorted(repos) == ["triptrip-api", "triptrip-workers"]
    for name, repo in repos.items():
        assert repo["imageTagMutability"] == "IMMUTABLE", name
        assert repo["imageScanningConfiguration"] == {"scanOnPush": True}, name
        assert repo["encryptionConfiguration"]["encryptionType"] == "AES256", name
        rules = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        assert [(r["rulePriority"], r["selection"]["tagStatus"], r["selection"]["countType"], r["selection"]["countNumber"],
                 r["action"]["type"]) for r in rules] == [(1, "untagged", "sinceImagePushed", 7, "expire"),
                                                          (2, "any", "imageCountMoreThan", 200, "expire")], name
    (provider,) = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert provider["Arn"].endswith(f":oidc-provider/{ISSUER}")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])["ClientIDList"] == ["sts.amazonaws.com"]
    account = provider["Arn"].split(":")[4]
    for name in ("triptrip-api", "triptrip-workers"):
        role = iam.get_role(RoleName=f"github-actions-{name}")["Role"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Federated": provider["Arn"]}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {"StringEquals": {
            f"{ISSUER}:aud": "sts.amazonaws.com",
            f"{ISSUER}:sub": [f"repo:triptrip/{name}:ref:refs/heads/main", f"repo:triptrip/{name}:ref:refs/heads/develop"]}}
        assert iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"] == []
        assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == ["ecr-push"]
        login, push = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="ecr-push")["PolicyDocument"]["Statement"]
        assert (login["Action"], login["Resource"]) == ("ecr:GetAuthorizationToken", "*")
        assert sorted(push["Action"]) == sorted(PUSH_ACTIONS)
        # Its own repository only: the API's CI cannot overwrite the workers' images.
        assert push["Resource"] == [f"arn:aws:ecr:ap-northeast-1:{account}:repository/{name}"]


def test_03_a_rerun_changes_nothing(root, moto):
    _MOTO.start_recording()
    res, recap = playbook(root, moto)
    assert recap["failed"] == 0, res.stdout[-4000:]
    assert recap["changed"] == 0, res.stdout[-4000:]
    assert [op for op in _MOTO.recorded_operations() if re.match(WRITES, op)] == []


def test_04_check_diff_after_a_change_by_hand_reports_it_and_the_converge_repairs_it(root, moto):
    aws("ecr").put_image_tag_mutability(repositoryName="triptrip-api", imageTagMutability="MUTABLE")
    aws("ecr").delete_lifecycle_policy(repositoryName="triptrip-workers")
    res, recap = playbook(root, moto, "--check", "--diff")
    assert recap["failed"] == 0 and recap["changed"] > 0, res.stdout[-4000:]
    assert aws("ecr").describe_repositories(repositoryNames=["triptrip-api"])["repositories"][0]["imageTagMutability"] == "MUTABLE"
    res, recap = playbook(root, moto)
    assert recap["failed"] == 0, res.stdout[-4000:]
    assert aws("ecr").describe_repositories(repositoryNames=["triptrip-api"])["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
    assert aws("ecr").get_lifecycle_policy(repositoryName="triptrip-workers")["lifecyclePolicyText"]


@pytest.mark.parametrize(("override", "named"), [
    ({"platform_ecr_repositories_overrides": {"TripTrip_API": {}}}, "platform_ecr_repositories.TripTrip_API: the name must be"),
    ({"platform_ecr_repositories_overrides": {"triptrip-api": {"ci_subjects": ["triptrip/triptrip-api:ref:refs/heads/main"]}}},
     "platform_ecr_repositories.triptrip-api.ci_subjects="),
    ({"platform_ecr_repositories_overrides": {"triptrip-api": {"ci_subjects": [
        "repo:triptrip/triptrip-api:ref:refs/heads/main", "repo:triptrip/triptrip-api:ref:refs/heads/*"]}}},
     "without wildcards"),
    ({"platform_ecr_defaults": {"image_tag_mutability": "IMMUTABLE", "scan_on_push": True, "encryption": {"type": "KMS",
      "kms_key": "alias/ecr"}, "untagged_expire_days": 7, "keep_images": 200}}, "platform_ecr_repositories.triptrip-api.encryption="),
])
def test_05_bad_input_stops_before_any_request_naming_the_variable(root, moto, override, named):
    _MOTO.start_recording()
    res, recap = playbook(root, moto, "-e", json.dumps(override))
    assert recap["failed"] == 1
    assert named in res.stdout, res.stdout[-3000:]
    assert _MOTO.recorded_operations() == []
