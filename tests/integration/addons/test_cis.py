"""CIS Amazon EKS Benchmark (v2.0.0; numbered as kube-bench's eks-1.8.0 policies) controls of section 4 that the
converged platform can prove, read from the API server of the add-on package's platform (site.yml with every
add-on and the workloads). The AWS-side controls (2.1.1, 5.x, IMDSv2) are in test_aws_production.py.

Each control is one row of the summary table. Where the platform needs an exception, it is listed here with its
reason, or (Pod Security) read from the inventory's platform_pod_security_exceptions, where each carries its
reason next to the namespace. The built-in bootstrap roles (label kubernetes.io/bootstrapping=rbac-defaults) are
left out of the RBAC controls, as the issue asks.

The add-ons here are the test-double charts of tests/charts, so their RBAC is ours, not upstream's: what this
proves for them is that the platform's own objects and the chart values hold the controls."""

from __future__ import annotations

import json

import pytest
import yaml
from summary import record

# Roles (namespace/name, or name for a ClusterRole) that may hold each right, and why. Every entry must match a
# role of the cluster (a stale one fails the test); the bootstrap roles are left out of the scan.
SECRETS_READERS = {
    "triptrip:platform-admin": "platform admins operate the workload secrets that External Secrets writes",
}
WILDCARD_HOLDERS: dict[str, str] = {}
ESCALATION_HOLDERS: dict[str, str] = {}


def kubectl_items(addons, *args) -> list[dict]:
    res = addons.kubectl("get", *args, "-o", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["items"]


def role_key(role: dict) -> str:
    ns = role["metadata"].get("namespace")
    return f"{ns}/{role['metadata']['name']}" if ns else role["metadata"]["name"]


@pytest.fixture(scope="module")
def cluster(addons, root):
    namespaces = yaml.safe_load((root / "group_vars/all/namespaces.yml").read_text())
    roles = [r for r in kubectl_items(addons, "clusterroles") + kubectl_items(addons, "roles", "-A")
             if r["metadata"].get("labels", {}).get("kubernetes.io/bootstrapping") != "rbac-defaults"]
    return {
        "ns": namespaces,
        "namespaces": kubectl_items(addons, "namespaces"),
        "roles": roles,
        "crbs": kubectl_items(addons, "clusterrolebindings"),
        "pods": kubectl_items(addons, "pods", "-A"),
        "sas": kubectl_items(addons, "serviceaccounts", "-A"),
        "netpols": kubectl_items(addons, "networkpolicies", "-A"),
    }


def rules_matching(roles, predicate) -> list[str]:
    return sorted({role_key(r) for r in roles for rule in r.get("rules") or [] if predicate(rule)})


def controls(c: dict) -> list[tuple[str, str, bool, str]]:
    ns = c["ns"]
    ours = ns["platform_workload_namespaces"] + ns["platform_addon_namespaces"]
    exceptions = ns["platform_pod_security_exceptions"]
    admins = sorted((b["metadata"]["name"], s["kind"], s["name"]) for b in c["crbs"]
                    if b["roleRef"]["name"] == "cluster-admin" for s in b.get("subjects") or [])
    secret_readers = rules_matching(c["roles"], lambda r: ("secrets" in r.get("resources", []) or "*" in r.get(
        "resources", [])) and "" in r.get("apiGroups", [""]) and {"get", "list", "watch", "*"} & set(r["verbs"]))
    wildcards = rules_matching(c["roles"], lambda r: "*" in r.get("verbs", []) + r.get("resources", [])
                               + r.get("apiGroups", []))
    escalation = rules_matching(c["roles"], lambda r: {"bind", "escalate", "impersonate"} & set(r["verbs"]))
    default_sas = [f"{s['metadata']['namespace']}" for s in c["sas"]
                   if s["metadata"]["name"] == "default" and s["metadata"]["namespace"] in ours
                   and s.get("automountServiceAccountToken") is not False]
    workload_pods = [p for p in c["pods"] if p["metadata"]["namespace"] in ns["platform_workload_namespaces"]]
    default_sa_pods = [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in c["pods"]
                       if p["metadata"]["namespace"] in ours and p["spec"].get("serviceAccountName") == "default"]
    token_pods = [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in workload_pods
                  if p["spec"].get("automountServiceAccountToken") is not False]

    def containers(p):
        return p["spec"].get("initContainers", []) + p["spec"]["containers"]

    def host_or_privileged(p):
        sc = [x.get("securityContext") or {} for x in containers(p)]
        return (p["spec"].get("hostPID") or p["spec"].get("hostIPC") or p["spec"].get("hostNetwork")
                or any(s.get("privileged") or s.get("allowPrivilegeEscalation", True) for s in sc))

    exempt = {n for n, e in exceptions.items() if e.get("level") != "restricted"}
    risky = [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in c["pods"]
             if p["metadata"]["namespace"] in ours and p["metadata"]["namespace"] not in exempt and host_or_privileged(p)]
    labels = {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in c["namespaces"]}
    unenforced = [n for n in ours if labels.get(n, {}).get("pod-security.kubernetes.io/enforce")
                  != exceptions.get(n, {}).get("level", "restricted")]
    deny = {p["metadata"]["namespace"] for p in c["netpols"] if p["spec"]["podSelector"] == {}
            and sorted(p["spec"].get("policyTypes", [])) == ["Egress", "Ingress"]
            and not p["spec"].get("ingress") and not p["spec"].get("egress")}
    non_system = sorted(set(labels) - set(ns["platform_system_namespaces"]))
    env_secrets = sorted({f"{p['metadata']['namespace']}/{p['metadata']['name'].rsplit('-', 2)[0]}" for p in workload_pods
                          for x in containers(p) for e in x.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})})
    in_default = [p["metadata"]["name"] for p in c["pods"] if p["metadata"]["namespace"] == "default"]
    return [
        ("4.1.1", "cluster-admin bound to system:masters only", admins == [("cluster-admin", "Group", "system:masters")],
         f"{admins}"),
        ("4.1.2", "get/list/watch on secrets only for the listed roles (each with its reason)",
         secret_readers == sorted(SECRETS_READERS), f"readers {secret_readers}"),
        ("4.1.3", "no wildcard verbs, resources or groups outside the listed roles",
         wildcards == sorted(WILDCARD_HOLDERS), f"wildcards {wildcards}"),
        ("4.1.5", "default service accounts mount no token and run no pod",
         not default_sas and not default_sa_pods, f"default SAs mounting {default_sas}, pods on default {default_sa_pods}"),
        ("4.1.6", "workload pods mount no service account token", not token_pods,
         f"{len(workload_pods)} workload pods, mounting {token_pods}"),
        ("4.1.8", "no bind, escalate or impersonate outside the listed roles",
         escalation == sorted(ESCALATION_HOLDERS), f"{escalation}"),
        ("4.2.1-4.2.5", "no privileged, host PID/IPC/network or privilege escalation outside the namespaces "
         "excepted (with reasons) in platform_pod_security_exceptions", not risky,
         f"exempt {sorted(exempt)}; found {risky}"),
        ("4.2 PSA", "every namespace of ours enforces Pod Security (restricted, or its documented exception)",
         not unenforced, f"{len(ours)} namespaces, not enforced {unenforced}"),
        ("4.3.2", "default deny (both directions) in every non-system namespace",
         set(non_system) <= deny, f"{len(non_system)} namespaces, without {sorted(set(non_system) - deny)}"),
        ("4.4.1", "workloads take no secret from an environment variable", not env_secrets, f"{env_secrets}"),
        ("4.5.2", "the default namespace runs nothing", not in_default, f"{in_default}"),
    ]


def test_cis_eks_section_4_controls_hold_on_the_converged_platform(cluster):
    results = controls(cluster)
    for cid, check, held, evidence in results:
        record("CIS EKS (Kubernetes, local)", cid, check, held, evidence)
    assert [(cid, evidence) for cid, _check, held, evidence in results if not held] == []
