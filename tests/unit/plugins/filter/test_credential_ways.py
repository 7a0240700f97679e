"""triptrip.platform.credential_ways: each way counts only when every piece EKS and IAM need for it is there."""

from __future__ import annotations

import copy

from ansible_collections.triptrip.platform.plugins.filter.credential_way_errors import credential_way_errors
from ansible_collections.triptrip.platform.plugins.filter.credential_ways import credential_ways

PREFIX = "arn:aws:iam::123456789012:role/c-"
ISSUER = "https://oidc.eks.ap-northeast-1.amazonaws.com/id/ABC"
HOST = ISSUER[len("https://"):]
ROLES = {"keda": {"namespace": "keda", "service_account": "keda-operator"},
         "vpc-cni": {"namespace": "kube-system", "service_account": "aws-node"}}
WEB = {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{HOST}"},
       "Action": "sts:AssumeRoleWithWebIdentity",
       "Condition": {"StringEquals": {f"{HOST}:sub": "system:serviceaccount:keda:keda-operator", f"{HOST}:aud": "sts.amazonaws.com"}}}
PODS = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}


def account(namespace, name, role=None):
    return {"metadata": {"namespace": namespace, "name": name, **({"annotations": {"eks.amazonaws.com/role-arn": role}} if role else {})}}


def ways(keda_trust, annotated=True, association=True, agent=True, addon_role="", accounts=None):
    trusts = {"c-keda": {"assume_role_policy_document": {"Statement": keda_trust}},
              "c-vpc-cni": {"assume_role_policy_document": {"Statement": [PODS]}}}
    sas = accounts if accounts is not None else [account("keda", "keda-operator", PREFIX + "keda" if annotated else None)]
    assoc = {"kube-system/aws-node": {"role_arn": PREFIX + "vpc-cni"}}
    if association:
        assoc["keda/keda-operator"] = {"role_arn": PREFIX + "keda"}
    addons = {"vpc-cni": {"service_account_role_arn": addon_role}, "eks-pod-identity-agent": {"addon_name": "a"} if agent else None}
    found = credential_ways(ROLES, PREFIX, ISSUER, sas, assoc, trusts, addons, {"vpc-cni": "vpc-cni"})
    return {key: value["ways"] for key, value in found.items() if value["installed"]}


def test_irsa_only_pod_identity_only_and_both():
    assert ways([WEB], association=False) == {"keda": ["irsa"], "vpc-cni": ["pod_identity"]}
    assert ways([PODS], annotated=False)["keda"] == ["pod_identity"]
    assert ways([WEB, PODS])["keda"] == ["irsa", "pod_identity"]
    assert ways([WEB, PODS], annotated=False, association=False)["keda"] == []


def test_irsa_needs_the_annotation_and_the_exact_trust():
    assert ways([WEB], association=False, annotated=False)["keda"] == []
    other_sub = copy.deepcopy(WEB)
    other_sub["Condition"]["StringEquals"][f"{HOST}:sub"] = "system:serviceaccount:keda:default"
    no_aud = copy.deepcopy(WEB)
    del no_aud["Condition"]["StringEquals"][f"{HOST}:aud"]
    other_issuer = copy.deepcopy(WEB)
    other_issuer["Principal"]["Federated"] = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X"
    denied = {**WEB, "Effect": "Deny"}
    for trust in (other_sub, no_aud, other_issuer, denied):
        assert ways([trust], association=False)["keda"] == [], trust
    wrong_role = [account("keda", "keda-operator", PREFIX + "other")]
    assert ways([WEB], association=False, accounts=wrong_role)["keda"] == []


def test_pod_identity_needs_the_association_the_trust_and_the_agent():
    assert ways([PODS], annotated=False, agent=False) == {"keda": [], "vpc-cni": []}
    assert ways([PODS], annotated=False, association=False)["keda"] == []
    assert ways([{**PODS, "Action": "sts:AssumeRole"}], annotated=False)["keda"] == []  # no TagSession
    assert ways([{**PODS, "Principal": {"Service": "eks.amazonaws.com"}}], annotated=False)["keda"] == []


def test_addon_service_accounts_and_controllers_not_installed():
    # The add-on names the role: IRSA (its trust here has no web identity, so only pod identity counts).
    assert ways([WEB], association=False, addon_role=PREFIX + "vpc-cni")["vpc-cni"] == ["pod_identity"]
    # A controller whose service account does not exist is left out; an add-on's is never.
    assert ways([WEB], accounts=[]) == {"vpc-cni": ["pod_identity"]}


def test_the_pieces_are_reported_beside_the_ways():
    found = credential_ways(ROLES, PREFIX, ISSUER, [account("keda", "keda-operator", PREFIX + "keda")], {},
                            {"c-keda": {"assume_role_policy_document": {"Statement": [WEB, PODS]}}},
                            {"eks-pod-identity-agent": {"addon_name": "a"}}, {}, to="irsa")
    assert found == {"keda": {"ways": ["irsa"], "installed": True, "annotated": True, "associated": False,
                              "trusted": ["irsa", "pod_identity"], "done": False},
                     "vpc-cni": {"ways": [], "installed": False, "annotated": False, "associated": False, "trusted": [],
                                 "done": False}}
    assert credential_way_errors(found) == []  # vpc-cni is not installed: it needs no way


def test_done_means_nothing_of_the_other_way_is_left():
    def done(trust, annotated, associated, to, installed=True):
        accounts = [account("keda", "keda-operator", PREFIX + "keda" if annotated else None)] if installed else []
        assoc = {"keda/keda-operator": {"role_arn": PREFIX + "keda"}} if associated else {}
        found = credential_ways({"keda": ROLES["keda"]}, PREFIX, ISSUER, accounts, assoc,
                                {"c-keda": {"assume_role_policy_document": {"Statement": trust}}},
                                {"eks-pod-identity-agent": {"addon_name": "a"}}, {}, to=to)
        return found["keda"]["done"]
    assert done([PODS], False, True, "pod_identity") and done([WEB], True, False, "irsa")
    assert not done([WEB, PODS], False, True, "pod_identity")  # the trust still lets IRSA in
    assert not done([PODS], True, True, "pod_identity")  # the annotation is still there
    assert not done([WEB], True, True, "irsa")  # the association is still there
    assert not done([PODS], False, True, "irsa")
    # Not installed: the role's trust and the association decide.
    assert done([PODS], False, True, "pod_identity", installed=False) and done([WEB], False, False, "irsa", installed=False)
    assert not done([WEB, PODS], False, True, "pod_identity", installed=False)


def test_errors_name_the_controllers_without_exactly_one_way():
    found = {"keda": {"ways": [], "annotated": False, "associated": True, "trusted": ["irsa"]},
             "fluent-bit": {"ways": ["irsa", "pod_identity"], "annotated": True, "associated": True,
                            "trusted": ["irsa", "pod_identity"]},
             "ok": {"ways": ["irsa"], "annotated": True, "associated": False, "trusted": ["irsa"]}}
    assert credential_way_errors(found) == [
        "fluent-bit: 2 ways to get credentials (irsa, pod_identity; service account annotated: True, pod identity "
        "association: True, role trusts: irsa, pod_identity)",
        "keda: 0 ways to get credentials (none; service account annotated: False, pod identity association: True, "
        "role trusts: irsa)"]
