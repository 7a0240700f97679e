"""The AWS Load Balancer Controller's IRSA policy (roles/aws_irsa/templates/policies/aws-load-balancer-controller.json.j2)
against the controller's documented policy at the version we pin (docs/install/iam_policy.json of
https://github.com/kubernetes-sigs/aws-load-balancer-controller at v3.4.2: 80 actions).

DOCUMENTED lists each of those actions with the request the controller makes with it, in the document's condition
terms: no tag at all (the cluster's security group, listeners, rules, web ACLs, target groups of TargetGroupBindings),
a resource tagged for this cluster, or a create request carrying the tag. A small evaluator of IAM's Allow rules
(StringEquals, StringEqualsIfExists, Null; wildcards in actions and resources) decides each request against our
policy: every documented request is allowed, and the ones the document would also allow on another cluster's or an
untagged resource are refused (ours asks that the tag name this cluster)."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import jinja2
import pytest
from ansible.plugins.filter.core import FilterModule

CLUSTER = "triptrip-production"
TAG = "elbv2.k8s.aws/cluster"
TEMPLATE = Path(__file__).parents[2] / "roles/aws_irsa/templates/policies/aws-load-balancer-controller.json.j2"
ACCOUNT = "arn:aws:{service}:ap-northeast-1:123456789012:{resource}"
SECURITY_GROUP = ACCOUNT.format(service="ec2", resource="security-group/sg-0123")
LOAD_BALANCER = ACCOUNT.format(service="elasticloadbalancing", resource="loadbalancer/app/k8s-public/50dc6c495c0c9188")
TARGET_GROUP = ACCOUNT.format(service="elasticloadbalancing", resource="targetgroup/k8s-istio/73e2d6bc24d8a067")
LISTENER = ACCOUNT.format(service="elasticloadbalancing",
                          resource="listener/app/k8s-public/50dc6c495c0c9188/f2f7dc8efc522ab2")
RULE = ACCOUNT.format(service="elasticloadbalancing",
                      resource="listener-rule/app/k8s-public/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee")
VPC = ACCOUNT.format(service="ec2", resource="vpc/vpc-0123")

OURS = {f"aws:ResourceTag/{TAG}": CLUSTER}
TAGGED_REQUEST = {f"aws:RequestTag/{TAG}": CLUSTER}

# The documented policy's 80 actions: (action, resource, request context) as the controller calls them.
DOCUMENTED = [("iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"})]
DOCUMENTED += [(f"ec2:{a}", VPC, {}) for a in [
    "DescribeAccountAttributes", "DescribeAddresses", "DescribeAvailabilityZones", "DescribeInternetGateways",
    "DescribeVpcs", "DescribeVpcPeeringConnections", "DescribeSubnets", "DescribeSecurityGroups",
    "DescribeInstances", "DescribeNetworkInterfaces", "DescribeTags", "GetCoipPoolUsage", "DescribeCoipPools",
    "GetSecurityGroupsForVpc", "DescribeIpamPools", "DescribeRouteTables"]]
DOCUMENTED += [(f"elasticloadbalancing:{a}", "*", {}) for a in [
    "DescribeLoadBalancers", "DescribeLoadBalancerAttributes", "DescribeListeners", "DescribeListenerCertificates",
    "DescribeSSLPolicies", "DescribeRules", "DescribeTargetGroups", "DescribeTargetGroupAttributes",
    "DescribeTargetHealth", "DescribeTags", "DescribeTrustStores", "DescribeListenerAttributes",
    "DescribeCapacityReservation"]]
DOCUMENTED += [(a, "*", {}) for a in [
    "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
    "iam:ListServerCertificates", "iam:GetServerCertificate",
    "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL", "shield:GetSubscriptionState", "shield:DescribeProtection",
    "shield:CreateProtection", "shield:DeleteProtection"]]
DOCUMENTED += [
    # The cluster's (and nodes') security group carries no controller tag: unconditional in the document.
    ("ec2:AuthorizeSecurityGroupIngress", SECURITY_GROUP, {}),
    ("ec2:RevokeSecurityGroupIngress", SECURITY_GROUP, {}),
    ("ec2:CreateSecurityGroup", VPC, {}),
    ("ec2:CreateTags", SECURITY_GROUP, {"ec2:CreateAction": "CreateSecurityGroup", **TAGGED_REQUEST}),
    ("ec2:DeleteTags", SECURITY_GROUP, {**OURS, "aws:TagKeys": "ingress.k8s.aws/resource"}),
    ("ec2:DeleteSecurityGroup", SECURITY_GROUP, OURS),
    ("elasticloadbalancing:CreateLoadBalancer", LOAD_BALANCER, TAGGED_REQUEST),
    ("elasticloadbalancing:CreateTargetGroup", TARGET_GROUP, TAGGED_REQUEST),
    ("elasticloadbalancing:CreateListener", LOAD_BALANCER, {}),
    ("elasticloadbalancing:DeleteListener", LISTENER, {}),
    ("elasticloadbalancing:CreateRule", LISTENER, {}),
    ("elasticloadbalancing:DeleteRule", RULE, {}),
    ("elasticloadbalancing:AddTags", LOAD_BALANCER, {"elasticloadbalancing:CreateAction": "CreateLoadBalancer",
                                                     **TAGGED_REQUEST}),
    ("elasticloadbalancing:RemoveTags", TARGET_GROUP, OURS),
]
DOCUMENTED += [(f"elasticloadbalancing:{a}", resource, OURS) for a, resource in [
    ("ModifyLoadBalancerAttributes", LOAD_BALANCER), ("SetIpAddressType", LOAD_BALANCER),
    ("SetSecurityGroups", LOAD_BALANCER), ("SetSubnets", LOAD_BALANCER), ("DeleteLoadBalancer", LOAD_BALANCER),
    ("ModifyTargetGroup", TARGET_GROUP), ("ModifyTargetGroupAttributes", TARGET_GROUP),
    ("DeleteTargetGroup", TARGET_GROUP), ("ModifyListenerAttributes", LISTENER),
    ("ModifyCapacityReservation", LOAD_BALANCER), ("ModifyIpPools", LOAD_BALANCER)]]
DOCUMENTED += [(f"elasticloadbalancing:{a}", resource, {}) for a, resource in [
    # TargetGroupBindings may point at target groups the controller did not create.
    ("RegisterTargets", TARGET_GROUP), ("DeregisterTargets", TARGET_GROUP),
    ("SetWebAcl", LOAD_BALANCER), ("ModifyListener", LISTENER), ("AddListenerCertificates", LISTENER),
    ("RemoveListenerCertificates", LISTENER), ("ModifyRule", RULE), ("SetRulePriorities", RULE)]]

# Requests in the same places that must be refused: another cluster's or untagged resources, the cluster tag
# itself changed, tagging an existing resource as ours, actions the document does not grant.
OTHERS = {f"aws:ResourceTag/{TAG}": "triptrip-staging"}
REFUSED = [
    ("elasticloadbalancing:DeleteLoadBalancer", LOAD_BALANCER, OTHERS),
    ("elasticloadbalancing:DeleteLoadBalancer", LOAD_BALANCER, {}),
    ("elasticloadbalancing:ModifyTargetGroup", TARGET_GROUP, {}),
    ("ec2:DeleteSecurityGroup", SECURITY_GROUP, {}),
    ("ec2:DeleteSecurityGroup", SECURITY_GROUP, OTHERS),
    ("elasticloadbalancing:CreateLoadBalancer", LOAD_BALANCER, {}),
    ("elasticloadbalancing:CreateTargetGroup", TARGET_GROUP, {f"aws:RequestTag/{TAG}": "triptrip-staging"}),
    # Tagging someone else's load balancer as ours (no CreateAction), then managing it.
    ("elasticloadbalancing:AddTags", LOAD_BALANCER, TAGGED_REQUEST),
    ("ec2:CreateTags", SECURITY_GROUP, TAGGED_REQUEST),
    # Changing the cluster tag of our own resources.
    ("elasticloadbalancing:AddTags", LOAD_BALANCER, {**OURS, **TAGGED_REQUEST}),
    ("ec2:CreateTags", SECURITY_GROUP, {**OURS, **TAGGED_REQUEST}),
    ("iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "eks.amazonaws.com"}),
    ("iam:PassRole", "*", {}),
    ("ec2:DeleteVpc", VPC, {}),
    ("elasticloadbalancing:DeleteTrustStore", "*", {}),
]


def render(cluster=CLUSTER):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(FilterModule().filters())
    return json.loads(env.from_string(TEMPLATE.read_text()).render(aws_irsa_cluster_name=cluster))


def as_list(value):
    return value if isinstance(value, list) else [value]


def condition_holds(operator, expected, context):
    for key, values in expected.items():
        values = [str(v).lower() for v in as_list(values)]
        present = key in context
        if operator == "Null":
            # "true": the key is absent from the request; "false": present.
            if (values == ["true"]) == present:
                return False
        elif operator == "StringEquals":
            if not present or context[key].lower() not in values:
                return False
        elif operator == "StringEqualsIfExists":
            if present and context[key].lower() not in values:
                return False
        else:
            raise AssertionError(f"the evaluator does not know {operator}")
    return True


def allowed(policy, action, resource, context):
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", statement
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement["Resource"])):
            continue
        if all(condition_holds(op, expected, context) for op, expected in statement.get("Condition", {}).items()):
            return True
    return False


@pytest.fixture(scope="module")
def policy():
    return render()


def test_the_documented_list_has_the_documents_80_actions_and_ours_grants_no_other(policy):
    documented = {action for action, _resource, _context in DOCUMENTED}
    assert len(documented) == 80
    ours = {a for statement in policy["Statement"] for a in as_list(statement["Action"])}
    assert not any("*" in a for a in ours), "every action is named"
    assert ours == documented


@pytest.mark.parametrize(("action", "resource", "context"), DOCUMENTED,
                         ids=[f"{a}@{r.rsplit(':', 1)[-1][:24]}" for a, r, _context in DOCUMENTED])
def test_the_controller_may_make_each_documented_request(policy, action, resource, context):
    assert allowed(policy, action, resource, context)


@pytest.mark.parametrize(("action", "resource", "context"), REFUSED,
                         ids=[f"{a}-{i}" for i, (a, _resource, _context) in enumerate(REFUSED)])
def test_requests_outside_this_cluster_are_refused(policy, action, resource, context):
    assert not allowed(policy, action, resource, context)


def test_the_cluster_name_is_the_one_rendered():
    staging = render("triptrip-staging")
    assert allowed(staging, "elasticloadbalancing:DeleteLoadBalancer", LOAD_BALANCER, OTHERS)
    assert not allowed(staging, "elasticloadbalancing:DeleteLoadBalancer", LOAD_BALANCER, OURS)


def test_the_evaluator_bites():
    # An empty policy allows nothing; a condition key missing from the request fails StringEquals.
    assert not allowed({"Statement": []}, "ec2:DescribeVpcs", VPC, {})
    statement = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": OURS}}
    assert allowed({"Statement": [statement]}, "ec2:DeleteSecurityGroup", SECURITY_GROUP, OURS)
    assert not allowed({"Statement": [statement]}, "ec2:DeleteSecurityGroup", SECURITY_GROUP, {})
    assert not allowed({"Statement": [statement]}, "elasticloadbalancing:AddTags", LOAD_BALANCER, OURS)


def test_it_fits_iams_inline_policy_quota(policy):
    # A role's inline policies may hold 10,240 characters in all, whitespace not counted
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
    assert len(json.dumps(policy, separators=(",", ":"))) < 10240
