"""The cluster baseline against the real kube-apiserver: Pod Security, quotas, limit ranges, default-deny,
RBAC and bad input. Pods are server-side dry runs: the real admission chain decides, nothing is stored."""

from __future__ import annotations

import copy
import json
import re
import subprocess

import pytest
import yaml
from localplatform import start_platform

NS = "triptrip-api"
PSA = 'violates PodSecurity "restricted:v1.35"'
# Roles of ours that may read secrets, and why. Every other role of ours must not get, list or watch them.
SECRETS_ALLOWLIST = {
    "triptrip:platform-admin": "platform admins operate the workload secrets that External Secrets writes",
}
COMPLIANT = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": NS},
    "spec": {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "app", "image": "registry.k8s.io/pause:3.10",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        }],
    },
}


# The baseline alone, on the API server with the local admin kubeconfig: no AWS layer runs here, so there is no EKS
# cluster to check the kubeconfig against (test_site_check_mode and test_cluster_access take the EKS path).
def admin(platform):
    return ["-e", "platform_eks_target_check=false", "-e", f"platform_kubeconfig={platform['state'] / 'kubeconfig'}"]


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    for env in start_platform(root, tool_env, tmp_path_factory, "baseline"):
        res = subprocess.run(["ansible-playbook", "playbooks/cluster.yml", "-i", "inventories/local", *admin(env)],
                             env=env["env"], cwd=root, capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stdout[-3000:]
        yield env


def kubectl(platform, *args, stdin=None):
    return subprocess.run(["kubectl", *args], env=platform["env"], input=stdin, capture_output=True, text=True, check=False)


def dry_run(platform, obj):
    return kubectl(platform, "create", "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(obj))


def variant(change):
    pod = copy.deepcopy(COMPLIANT)
    change(pod["spec"], pod["spec"]["containers"][0])
    return pod


VIOLATIONS = {
    # The API server's own validation refuses privileged or CAP_SYS_ADMIN together with
    # allowPrivilegeEscalation=false before admission, so those two variants leave that field out.
    "privileged": lambda s, c: (c["securityContext"].update(privileged=True), c["securityContext"].pop("allowPrivilegeEscalation")),
    "host network": lambda s, c: s.update(hostNetwork=True),
    "host PID": lambda s, c: s.update(hostPID=True),
    "host IPC": lambda s, c: s.update(hostIPC=True),
    "privilege escalation": lambda s, c: c["securityContext"].update(allowPrivilegeEscalation=True),
    "no runAsNonRoot": lambda s, c: s["securityContext"].pop("runAsNonRoot"),
    "no seccomp profile": lambda s, c: s["securityContext"].pop("seccompProfile"),
    "SYS_ADMIN": lambda s, c: (c["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
                               c["securityContext"].pop("allowPrivilegeEscalation")),
    "hostPath": lambda s, c: (s.update(volumes=[{"name": "h", "hostPath": {"path": "/var/log"}}]),
                              c.update(volumeMounts=[{"name": "h", "mountPath": "/h"}])),
}


@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
def test_pod_security_refuses_each_violation(platform, violation):
    res = dry_run(platform, variant(VIOLATIONS[violation]))
    assert res.returncode != 0, f"{violation} was admitted"
    assert PSA in res.stderr, res.stderr


def test_compliant_pod_is_admitted_without_warnings(platform):
    res = dry_run(platform, COMPLIANT)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr


def test_namespace_with_an_invalid_level_is_refused(platform):
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "bad-level", "labels": {"pod-security.kubernetes.io/enforce": "strict"}}}
    res = dry_run(platform, ns)
    assert res.returncode != 0
    assert "pod-security.kubernetes.io/enforce" in res.stderr and "strict" in res.stderr


def test_pod_over_the_quota_is_refused(platform):
    def two_big_containers(spec, container):
        container["resources"] = {"requests": {"cpu": "6", "memory": "1Gi"}, "limits": {"cpu": "6", "memory": "1Gi"}}
        spec["containers"].append({**copy.deepcopy(container), "name": "second"})

    res = dry_run(platform, variant(two_big_containers))
    assert res.returncode != 0
    assert "exceeded quota: triptrip-quota" in res.stderr and "requests.cpu=12" in res.stderr, res.stderr


def test_pod_without_requests_gets_the_limit_range_defaults(platform, root):
    limits = yaml.safe_load((root / "group_vars/all/quotas.yml").read_text())["platform_limit_range"]
    res = dry_run(platform, variant(lambda s, c: c.pop("resources")))
    assert res.returncode == 0, res.stderr
    resources = json.loads(res.stdout)["spec"]["containers"][0]["resources"]
    assert resources == {"requests": limits["default_request"], "limits": limits["default"]}


def test_every_non_system_namespace_has_default_deny_for_both_directions(platform, root):
    system = yaml.safe_load((root / "group_vars/all/namespaces.yml").read_text())["platform_system_namespaces"]
    namespaces = [n["metadata"]["name"] for n in json.loads(kubectl(platform, "get", "ns", "-o", "json").stdout)["items"]]
    policies = json.loads(kubectl(platform, "get", "networkpolicy", "-A", "-o", "json").stdout)["items"]
    deny = {
        p["metadata"]["namespace"] for p in policies
        if p["spec"]["podSelector"] == {} and sorted(p["spec"]["policyTypes"]) == ["Egress", "Ingress"]
        and not p["spec"].get("ingress") and not p["spec"].get("egress")
    }
    checked = sorted(set(namespaces) - set(system))
    print("namespaces with default deny:", checked)
    assert len(checked) >= 12
    assert [n for n in checked if n not in deny] == []


def test_our_roles_have_no_wildcards_no_escalation_and_no_secret_reads_outside_the_allowlist(platform):
    roles = []
    for kind in ("clusterroles", "roles"):
        out = kubectl(platform, "get", kind, "-A", "-l", "app.kubernetes.io/managed-by=triptrip-platform", "-o", "json")
        roles += json.loads(out.stdout)["items"]
    names = sorted(r["metadata"]["name"] for r in roles)
    assert names == ["triptrip:auditor", "triptrip:developer", "triptrip:platform-admin"]
    problems = []
    for role in roles:
        name = role["metadata"]["name"]
        for rule in role.get("rules", []):
            for field in ("verbs", "resources", "apiGroups"):
                if "*" in rule.get(field, []):
                    problems.append(f"{name}: wildcard in {field}")
            if set(rule["verbs"]) & {"escalate", "bind", "impersonate"}:
                problems.append(f"{name}: {set(rule['verbs']) & {'escalate', 'bind', 'impersonate'}}")
            reads = set(rule["verbs"]) & {"get", "list", "watch"}
            if "secrets" in rule.get("resources", []) and "" in rule["apiGroups"] and reads and name not in SECRETS_ALLOWLIST:
                problems.append(f"{name}: reads secrets")
    assert problems == []


def test_only_system_masters_holds_cluster_admin(platform):
    bindings = json.loads(kubectl(platform, "get", "clusterrolebindings", "-o", "json").stdout)["items"]
    holders = [(b["metadata"]["name"], s["kind"], s["name"]) for b in bindings
               if b["roleRef"]["name"] == "cluster-admin" for s in b.get("subjects") or []]
    assert holders == [("cluster-admin", "Group", "system:masters")]


def test_default_service_accounts_mount_no_token(platform, root):
    namespaces = yaml.safe_load((root / "group_vars/all/namespaces.yml").read_text())
    for ns in namespaces["platform_workload_namespaces"] + namespaces["platform_addon_namespaces"]:
        sa = json.loads(kubectl(platform, "get", "sa", "default", "-n", ns, "-o", "json").stdout)
        assert sa.get("automountServiceAccountToken") is False, ns


@pytest.mark.parametrize(("extra", "variable"), [
    ({"platform_resource_quotas_overrides": {"triptrip-api": {"requests.cpu": "ten"}}}, "platform_resource_quotas"),
    ({"platform_pod_security_level": "strict"}, "platform_pod_security_level"),
    ({"platform_limit_range": {"default_request": {"cpu": "1 core"}, "default": {}, "max": {}}}, "platform_limit_range"),
    ({"platform_pod_security_exceptions": {"triptrip-api": {"level": "privileged"}}}, "platform_pod_security_exceptions"),
])
def test_bad_input_fails_in_preflight_naming_the_variable(platform, root, extra, variable):
    before = kubectl(platform, "get", "ns,resourcequota,limitrange,networkpolicy", "-A", "-o", "name").stdout
    res = subprocess.run(["ansible-playbook", "site.yml", "-i", "inventories/local", "-e", json.dumps(extra),
                          *admin(platform)],
                         env=platform["env"], cwd=root, capture_output=True, text=True, check=False)
    assert res.returncode != 0
    recap = re.search(r"triptrip-local\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=1", res.stdout)
    assert recap and recap.group(1) == "0", res.stdout[-2000:]
    failed_task = re.findall(r"TASK \[([^\]]+)\]", res.stdout.split("fatal:")[0])[-1]
    assert failed_task.startswith("triptrip.platform.preflight :"), failed_task  # the first play, before any change
    assert variable in res.stdout
    assert kubectl(platform, "get", "ns,resourcequota,limitrange,networkpolicy", "-A", "-o", "name").stdout == before


def test_with_many_objects_the_apply_reads_first_and_still_finds_every_drift(platform, root):
    """Twenty tenant namespaces make the baseline more than 100 objects, so k8s_objects reads the live objects
    with one list per kind and sends only those an apply would change (read_first). A no-op sends nothing; drift
    of three kinds (a label removed, a quota and a policy deleted) is planned by --check --diff and repaired, and
    only those objects are sent. (A value changed by another field manager is a conflict for server-side apply,
    read first or not: the baseline does not force conflicts.)"""
    names = [f"tenant-{i:02d}" for i in range(20)]
    base = yaml.safe_load((root / "group_vars" / "all" / "namespaces.yml").read_text())
    extra = json.dumps({"platform_workload_namespaces": base["platform_workload_namespaces"] + names,
                        "platform_resource_quotas_overrides": {n: {"requests.cpu": "10m", "limits.cpu": "20m",
                                                                   "requests.memory": "16Mi", "limits.memory": "32Mi",
                                                                   "pods": "2"} for n in names}})

    def cluster(*args):
        res = subprocess.run(["ansible-playbook", "playbooks/cluster.yml", "-i", "inventories/local", "-e", extra,
                              *admin(platform),
                              "-v", *args], env=platform["env"], cwd=root, capture_output=True, text=True, check=False)
        recap = re.search(r"triptrip-local\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", res.stdout)
        assert recap, [line[:600] for line in res.stdout.splitlines() if line.startswith(("fatal:", "failed:"))]
        baseline = res.stdout.split("objects | Apply the objects of the cluster baseline]")[1].split("TASK [")[0]
        in_sync = re.search(r'"in_sync": (\d+)', baseline)
        assert in_sync, baseline[:2000]
        return res, int(recap.group(1)), int(in_sync.group(1)), baseline.count('"method": "apply"')

    cluster()  # converge the tenants
    res, changed, in_sync, sent = cluster()
    # Every object read as in sync, none sent: an object the read cannot decide (an atomic selector, a false the
    # server omits) would be sent on every no-op.
    assert changed == 0 and in_sync > 100 and sent == 0, (in_sync, sent)
    everything = in_sync
    kubectl(platform, "label", "namespace", "tenant-03", "pod-security.kubernetes.io/enforce-")
    kubectl(platform, "delete", "resourcequota", "--all", "-n", "tenant-07")
    kubectl(platform, "delete", "networkpolicy", "default-deny-all", "-n", "tenant-11")
    res, changed, in_sync, sent = cluster("--check", "--diff")
    assert changed == 1 and in_sync == everything - 3 and sent == 3, (in_sync, everything, sent)
    for header in ("Namespace tenant-03", "ResourceQuota tenant-07/", "NetworkPolicy tenant-11/default-deny-all"):
        assert f"+++ after: {header}" in res.stdout, header
    res, changed, in_sync, sent = cluster()
    assert changed == 1 and in_sync == everything - 3 and sent == 3
    res, changed, in_sync, sent = cluster()
    assert changed == 0 and in_sync == everything and sent == 0
    quota = json.loads(kubectl(platform, "get", "resourcequota", "-n", "tenant-07", "-o", "json").stdout)["items"][0]
    assert quota["spec"]["hard"]["pods"] == "2"
    assert kubectl(platform, "get", "networkpolicy", "default-deny-all", "-n", "tenant-11").returncode == 0
