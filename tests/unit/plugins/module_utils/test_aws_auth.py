"""module_utils.aws_auth: each rule of the aws-auth -> access entry mapping, and what refuses the move to API."""

from __future__ import annotations

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils import aws_auth

ACCOUNT = "111122223333"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def role(name, username=None, groups=None):
    return {"rolearn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "username": username, "groups": groups}


def one(item):
    return aws_auth.mapping([item], [], "aws")[0]


def test_system_masters_becomes_the_cluster_admin_policy_not_a_group():
    mapped = one(role("Admins", "admins", ["system:masters", "ops"]))
    assert (mapped["type"], mapped["kubernetes_groups"], mapped["username"], mapped["access_policies"]) == (
        "STANDARD", ["ops"], "admins", [ADMIN])
    assert mapped["notes"] == []


def test_the_policy_is_in_the_clusters_partition():
    mapped = aws_auth.mapping([{"rolearn": "arn:aws-cn:iam::111122223333:role/A", "groups": ["system:masters"]}], [],
                              "aws-cn")[0]
    assert mapped["access_policies"] == ["arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"]


@pytest.mark.parametrize("groups,entry_type", [
    (["system:bootstrappers", "system:nodes"], "EC2_LINUX"),
    (["system:bootstrappers", "system:nodes", "system:node-proxier"], "FARGATE_LINUX"),
    (["system:bootstrappers", "system:nodes", "eks:kube-proxy-windows"], "EC2_WINDOWS"),
])
def test_node_roles_become_node_entries_without_groups_or_username(groups, entry_type):
    mapped = one(role("ng-1", "system:node:{{EC2PrivateDNSName}}", groups))
    assert (mapped["type"], mapped["kubernetes_groups"], mapped["username"], mapped["access_policies"]) == (
        entry_type, [], None, [])


def test_only_bootstrappers_is_not_a_node_and_its_system_group_is_dropped_with_a_note():
    mapped = one(role("half", "half", ["system:bootstrappers", "viewers"]))
    assert mapped["type"] == "STANDARD" and mapped["kubernetes_groups"] == ["viewers"]
    assert mapped["notes"] == ["groups system:bootstrappers are dropped: an access entry's groups cannot be "
                               "Kubernetes' or EKS's own"]


@pytest.mark.parametrize("username,kept", [
    ("admin", "admin"),
    ("admin:{{SessionName}}", "admin:{{SessionName}}"),
    ("{{AccountID}}-ops", "{{AccountID}}-ops"),
    ("admin{{SessionName}}", None),
    ("system:admin", None),
    ("eks:thing", None),
    ("ops-{{AccessKeyID}}", None),
    (None, None),
])
def test_usernames_kept_only_where_access_entries_take_them(username, kept):
    mapped = one(role("r", username, ["ops"]))
    assert mapped["username"] == kept
    assert bool(mapped["notes"]) == (username is not None and kept is None)


def test_a_user_with_a_session_template_gets_the_default():
    mapped = aws_auth.mapping([], [{"userarn": f"arn:aws:iam::{ACCOUNT}:user/u", "username": "u:{{SessionName}}"}],
                              "aws")[0]
    assert mapped["username"] is None and "IAM user has not" in mapped["notes"][0]


def test_a_principal_listed_twice_is_mirrored_once_from_its_first_line():
    plan = aws_auth.mapping([role("A", "first", ["a"]), role("A", "second", ["b"])], [], "aws")
    assert len(plan) == 1 and plan[0]["username"] == "first"
    assert plan[0]["notes"] == ["mapRoles[1] maps the same principal again; only mapRoles[0] is mirrored"]


def test_a_role_matches_its_entry_whatever_the_path():
    assert aws_auth.principal_key(f"arn:aws:iam::{ACCOUNT}:role/dev/apps/r") == \
        aws_auth.principal_key(f"arn:aws:iam::{ACCOUNT}:role/r") == (ACCOUNT, "role", "r")
    assert aws_auth.principal_key(f"arn:aws:iam::{ACCOUNT}:user/r")[1] == "user"


@pytest.mark.parametrize("roles,users,accounts,named", [
    ([{"rolearn": "arn:aws:iam::111122223333:user/u"}], [], [], "map_roles[0].rolearn"),
    ([], [{"userarn": "arn:aws:sts::111122223333:assumed-role/r/s"}], [], "map_users[0].userarn"),
    ([], [], ["1234"], "map_accounts[0]='1234'"),
])
def test_bad_input_is_named(roles, users, accounts, named):
    assert named in aws_auth.check_input(roles, users, accounts)


def test_good_input_passes():
    assert aws_auth.check_input([role("r")], [{"userarn": f"arn:aws:iam::{ACCOUNT}:user/u"}], [ACCOUNT]) is None


def test_narrowed_names_what_an_entry_lacks():
    wanted = one(role("A", "a", ["system:masters", "ops"]))
    assert aws_auth.narrowed(wanted, ["ops"], [ADMIN]) == []
    assert aws_auth.narrowed(wanted, [], []) == ["group ops", "access policy AmazonEKSClusterAdminPolicy"]


def test_blockers_name_each_principal_and_map_accounts():
    plan = [{**one(role("A")), "status": "create"}, {**one(role("B")), "status": "exists"},
            {**one(role("C")), "status": "narrowed", "lacking": ["group ops"]},
            {**one(role("D")), "status": "no_principal"}]
    found = aws_auth.blockers(plan, [ACCOUNT])
    assert found == [f"arn:aws:iam::{ACCOUNT}:role/A (mapRoles[0]) has no access entry",
                     f"arn:aws:iam::{ACCOUNT}:role/C (mapRoles[0]) has an access entry that lacks group ops",
                     f"mapAccounts lets every principal of {ACCOUNT} in, and access entries have no equivalent: give "
                     "those principals entries and empty mapAccounts"]
    assert aws_auth.blockers(plan[1:2], []) == []
