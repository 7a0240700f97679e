"""eks_access_errors: how the runner reaches the cluster and who may use it; each rule bites, naming the variable."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.filter.eks_access_errors import eks_access_errors
from ansible_collections.triptrip.platform.plugins.filter.eks_access_principal import eks_access_principal

ADMIN = {"role_name": "triptrip-platform-admin"}


def settings(**extra):
    return {"mode": "vpc", "allowed_cidrs": ["10.0.0.0/16"], "public_cidrs": [], "temporary_public_allowed": False,
            "proxy_url": "", "strict": True, "environment": "production", "entries": [ADMIN], **extra}


def test_the_shared_defaults_are_valid():
    assert eks_access_errors(settings()) == []


def test_an_unknown_mode_is_refused():
    assert eks_access_errors(settings(mode="public")) == [
        "platform_eks_api_access='public': must be one of vpc, temporary_public, proxy"]


def test_vpc_mode_needs_allowed_cidrs():
    errors = eks_access_errors(settings(allowed_cidrs=[]))
    assert len(errors) == 1 and errors[0].startswith("platform_eks_api_allowed_cidrs=[]: the vpc access mode")


def test_malformed_cidrs_are_named():
    errors = eks_access_errors(settings(allowed_cidrs=["10.0.0.0/33", "10.0.0.1/16", "bastion"]))
    assert [e.split(":", 1)[0] for e in errors] == ["platform_eks_api_allowed_cidrs holds '10.0.0.0/33'",
                                                    "platform_eks_api_allowed_cidrs holds '10.0.0.1/16'",
                                                    "platform_eks_api_allowed_cidrs holds 'bastion'"]
    assert eks_access_errors(settings(allowed_cidrs="10.0.0.0/16"))[0].startswith(
        "platform_eks_api_allowed_cidrs='10.0.0.0/16': must be a list")


def test_temporary_public_needs_the_runner_cidrs_and_is_refused_where_strict():
    loose = settings(mode="temporary_public", strict=False, environment="development")
    assert [e.split(":", 1)[0] for e in eks_access_errors(loose)] == ["platform_eks_api_public_cidrs=[]"]
    assert eks_access_errors({**loose, "public_cidrs": ["203.0.113.7/32"]}) == []
    assert "opens the endpoint to the internet" in eks_access_errors({**loose, "public_cidrs": ["0.0.0.0/0"]})[0]
    strict = settings(mode="temporary_public", public_cidrs=["203.0.113.7/32"])
    assert eks_access_errors(strict) == [
        "platform_eks_api_access=temporary_public: production keeps its endpoint private; set "
        "platform_eks_api_temporary_public_allowed: true in its inventory to allow a first build from outside the VPC"]
    assert eks_access_errors({**strict, "temporary_public_allowed": True}) == []


def test_proxy_mode_needs_a_tunnel_url():
    assert eks_access_errors(settings(mode="proxy", proxy_url="socks5://127.0.0.1:1080")) == []
    assert eks_access_errors(settings(mode="proxy", proxy_url="http://127.0.0.1:8888")) == []
    for bad in ("", "127.0.0.1:1080", "ftp://x", "http://a b"):
        errors = eks_access_errors(settings(mode="proxy", proxy_url=bad))
        assert len(errors) == 1 and errors[0].startswith("platform_eks_api_proxy_url="), bad


def test_access_entry_principals_must_be_iam_roles_or_users():
    good = [{"principal_arn": "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"},
            {"principal_arn": "arn:aws:iam::123456789012:user/ops/alice"},
            {"role_name": "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"}]
    assert eks_access_errors(settings(entries=good)) == []
    bad = [{"principal_arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice"},
           {"principal_arn": "arn:aws:iam::123456789012:root"},
           {"principal_arn": "arn:aws:iam::123456789012:group/admins"},
           {"principal_arn": "arn:aws:iam::1234:role/x"},
           {"role_name": "bad name"},
           {"principal_arn": "arn:aws:iam::123456789012:role/x", "role_name": "x"},
           "admin"]
    errors = eks_access_errors(settings(entries=bad))
    assert [e.split("=", 1)[0].split(":", 1)[0] for e in errors] == [
        "platform_eks_access_entries[0].principal_arn", "platform_eks_access_entries[1].principal_arn",
        "platform_eks_access_entries[2].principal_arn", "platform_eks_access_entries[3].principal_arn",
        "platform_eks_access_entries[4].role_name", "platform_eks_access_entries[5]",
        "platform_eks_access_entries[6]"]


def test_the_principal_of_an_entry_keeps_the_role_path():
    assert eks_access_principal({"role_name": "aws-reserved/sso.amazonaws.com/Admin"}, "123456789012") == (
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/Admin")
    assert eks_access_principal({"principal_arn": "arn:aws:iam::1:user/a"}, "123456789012") == "arn:aws:iam::1:user/a"
