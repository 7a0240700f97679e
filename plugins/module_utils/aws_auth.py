# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The mapping of an aws-auth ConfigMap onto EKS access entries, without any AWS call (eks_aws_auth_migration).

Each rule is a fact of the Amazon EKS User Guide:
- https://docs.aws.amazon.com/eks/latest/userguide/migrating-access-entries.html: an access entry is made with the
  same ARN, username and groups as the aws-auth entry; entries take precedence over aws-auth for the same principal.
- https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html: aws-auth role ARNs cannot hold a
  path, an entry's may (so the entry takes the role's ARN as IAM has it); a node role is an entry of type EC2_LINUX
  (EC2_WINDOWS, FARGATE_LINUX) whose groups and username EKS sets itself; a username cannot start with system:,
  eks:, aws:, amazon: or iam:, and needs a colon before {{SessionName}} / {{SessionNameRaw}}.
- https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html: AmazonEKSClusterAdminPolicy is
  cluster-admin, what aws-auth's system:masters gives (a system: group is Kubernetes' own, not one an entry names).
- https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html: mapAccounts lets every principal of an
  account in; access entries have no such thing, one entry is one principal.
"""

from __future__ import annotations

import re

RESERVED_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")
NODE_GROUPS = frozenset({"system:bootstrappers", "system:nodes"})
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
ADMIN_GROUP = "system:masters"
# Templates an access entry's username takes (set-custom-username.html); aws-auth knows more (EC2PrivateDNSName,
# AccessKeyID), which only node entries, named by EKS, use.
ENTRY_TEMPLATES = ("{{SessionName}}", "{{SessionNameRaw}}", "{{AccountID}}")
ROLE_ARN = re.compile(r"^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
USER_ARN = re.compile(r"^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):user/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
ACCOUNT_ID = re.compile(r"^\d{12}$")


def check_input(map_roles, map_users, map_accounts):
    """Why the aws-auth content cannot be mapped (naming the option and item), or None. Runs before any AWS call."""
    for i, item in enumerate(map_roles or []):
        if not ROLE_ARN.match(item.get("rolearn") or ""):
            return f"map_roles[{i}].rolearn={item.get('rolearn')!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
    for i, item in enumerate(map_users or []):
        if not USER_ARN.match(item.get("userarn") or ""):
            return f"map_users[{i}].userarn={item.get('userarn')!r} is not an IAM user ARN (arn:aws:iam::ACCOUNT:user/NAME)"
    for i, account in enumerate(map_accounts or []):
        if not ACCOUNT_ID.match(str(account)):
            return f"map_accounts[{i}]={account!r} is not a 12-digit AWS account ID"
    return None


def principal_key(arn):
    """What identifies a principal across aws-auth and entries: (account, kind, name). A role's path is not part of
    it (role names are unique in an account; the local authenticator matches the same way)."""
    match = ROLE_ARN.match(arn or "")
    if match:
        return match.group(2), "role", match.group(3)
    match = USER_ARN.match(arn or "")
    if match:
        return match.group(2), "user", arn
    return None, None, arn


def node_type(groups):
    """The access entry type of an aws-auth node mapping (system:bootstrappers and system:nodes), or None."""
    if not NODE_GROUPS <= set(groups):
        return None
    if "system:node-proxier" in groups:
        return "FARGATE_LINUX"
    if "eks:kube-proxy-windows" in groups:
        return "EC2_WINDOWS"
    return "EC2_LINUX"


def entry_username(username, kind):
    """(username an access entry can take or None for EKS's default, note or None)."""
    if not username:
        return None, None
    if username.startswith(RESERVED_PREFIXES):
        return None, (f"username {username} starts with a prefix access entries refuse ({', '.join(RESERVED_PREFIXES)}); "
                      f"EKS's default username is used, so RBAC bindings to User {username} no longer apply")
    unknown = [t for t in re.findall(r"\{\{[^}]*\}\}", username) if t not in ENTRY_TEMPLATES]
    if unknown:
        return None, f"username {username} uses {', '.join(unknown)}, which access entries do not fill in; EKS's default is used"
    session = min((username.find(t) for t in ENTRY_TEMPLATES[:2] if t in username), default=-1)
    if session >= 0 and ":" not in username[:session]:
        return None, f"username {username} has no colon before its session name template; EKS's default is used"
    if kind == "user" and "{{Session" in username:
        return None, f"username {username} has a session name template, which an IAM user has not; EKS's default is used"
    return username, None


def map_principal(source, arn, username, groups, partition):
    """The access entry that mirrors one aws-auth mapping: principal_arn (as given; the caller resolves a role's
    path), type, kubernetes_groups, username, access_policies (ARNs) and notes (what does not carry over)."""
    groups = list(dict.fromkeys(groups or []))
    _account, kind, _name = principal_key(arn)
    notes = []
    entry_type = node_type(groups) if kind == "role" else None
    if entry_type:
        extra = [g for g in groups if g not in NODE_GROUPS | {"system:node-proxier", "eks:kube-proxy-windows"}]
        if extra:
            notes.append(f"groups {', '.join(extra)} are dropped: EKS sets a {entry_type} entry's groups itself")
        return {"source": source, "aws_auth_arn": arn, "principal_arn": arn, "type": entry_type, "kubernetes_groups": [],
                "username": None, "access_policies": [], "notes": notes}
    policies = []
    if ADMIN_GROUP in groups:
        policies.append(f"arn:{partition}:eks::aws:cluster-access-policy/{ADMIN_POLICY}")
    dropped = [g for g in groups if g != ADMIN_GROUP and g.startswith(RESERVED_PREFIXES)]
    if dropped:
        notes.append(f"groups {', '.join(dropped)} are dropped: an access entry's groups cannot be Kubernetes' or EKS's own")
    name, note = entry_username(username, kind)
    if note:
        notes.append(note)
    kept = [g for g in groups if g != ADMIN_GROUP and not g.startswith(RESERVED_PREFIXES)]
    return {"source": source, "aws_auth_arn": arn, "principal_arn": arn, "type": "STANDARD", "kubernetes_groups": kept,
            "username": name, "access_policies": policies, "notes": notes}


def mapping(map_roles, map_users, partition):
    """The mirrored entries of mapRoles then mapUsers, a principal listed twice kept once (the first, as the
    authenticator reads aws-auth) with a note on the first."""
    mapped, seen = [], {}
    items = [(f"mapRoles[{i}]", r["rolearn"], r) for i, r in enumerate(map_roles or [])]
    items += [(f"mapUsers[{i}]", u["userarn"], u) for i, u in enumerate(map_users or [])]
    for source, arn, item in items:
        key = principal_key(arn)
        if key in seen:
            seen[key]["notes"].append(f"{source} maps the same principal again; only {seen[key]['source']} is mirrored")
            continue
        seen[key] = map_principal(source, arn, item.get("username"), item.get("groups"), partition)
        mapped.append(seen[key])
    return mapped


def narrowed(wanted, entry_groups, entry_policies):
    """What an existing entry lacks of its mirror: groups and access policies (cluster-scoped admin)."""
    lacking = [f"group {g}" for g in wanted["kubernetes_groups"] if g not in (entry_groups or [])]
    lacking += [f"access policy {p.rsplit('/', 1)[-1]}" for p in wanted["access_policies"] if p not in (entry_policies or [])]
    return lacking


def blockers(plan, map_accounts):
    """Why the mode cannot move to API yet: each principal that would lose access, and mapAccounts."""
    found = []
    for item in plan:
        if item["status"] == "create":
            found.append(f"{item['aws_auth_arn']} ({item['source']}) has no access entry")
        elif item["status"] == "narrowed":
            found.append(f"{item['aws_auth_arn']} ({item['source']}) has an access entry that lacks "
                         f"{', '.join(item['lacking'])}")
    if map_accounts:
        found.append(f"mapAccounts lets every principal of {', '.join(map(str, map_accounts))} in, and access entries "
                     "have no equivalent: give those principals entries and empty mapAccounts")
    return found
