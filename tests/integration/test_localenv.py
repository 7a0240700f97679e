"""The local platform: starts on 127.0.0.1 with TLS, enforces Pod Security for real, and stops cleanly.

Runs its own instance on ports and in a state folder of its own, so a developer's running platform is left
alone. These tests start real processes; nothing is faked.
"""

from __future__ import annotations

import json
import ssl
import stat
import urllib.error
import urllib.request
import subprocess
import time
from pathlib import Path

import pytest

from localplatform import PORT_BASES, listening, our_processes, start_platform

PORTS = PORT_BASES["localenv"]


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    yield from start_platform(root, tool_env, tmp_path_factory, "localenv")


def kubectl(platform, *args, stdin=None):
    return subprocess.run(["kubectl", *args], env=platform["env"], input=stdin, capture_output=True, text=True, check=False)


def test_status_reports_every_component_healthy(root, platform):
    res = subprocess.run([str(root / "scripts/localenv"), "status"], env=platform["env"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout
    for component in ("moto", "eks-authenticator", "etcd", "kube-apiserver", "kube-controller-manager",
                      "kube-scheduler", "kwok"):
        assert f"{component} " in res.stdout and "stopped" not in res.stdout


def test_second_up_is_a_fast_no_op(root, platform):
    pids = sorted(p.read_text() for p in (platform["state"] / "run").glob("*.pid"))
    started = time.monotonic()
    res = subprocess.run([str(root / "scripts/localenv"), "up"], env=platform["env"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert time.monotonic() - started < 10
    assert sorted(p.read_text() for p in (platform["state"] / "run").glob("*.pid")) == pids


def test_api_is_tls_with_client_certificates_and_kubeconfig_is_private(platform):
    kubeconfig = Path(platform["env"]["KUBECONFIG"])
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    for key in (platform["state"] / "pki").glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    res = kubectl(platform, "version", "-o", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["serverVersion"]["minor"] == "35"
    # The server certificate is signed by our CA; without a client certificate the API refuses (401/403).
    ctx = ssl.create_default_context(cafile=str(platform["state"] / "pki" / "ca.crt"))
    url = f"https://127.0.0.1:{PORTS['TRIPTRIP_APISERVER_PORT']}/api/v1/namespaces"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, context=ctx, timeout=10)  # noqa: S310 - loopback
    assert refused.value.code in (401, 403)


def test_pod_security_admission_refuses_a_privileged_pod(platform):
    ns = "psa-probe"
    assert kubectl(platform, "create", "namespace", ns).returncode == 0
    assert kubectl(platform, "label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted").returncode == 0
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged", "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10", "securityContext": {"privileged": True}}]},
    }
    res = kubectl(platform, "create", "-f", "-", stdin=json.dumps(pod))
    assert res.returncode != 0
    assert 'violates PodSecurity "restricted:' in res.stderr
    assert kubectl(platform, "get", "pod", "privileged", "-n", ns).returncode != 0


def test_mutating_admission_policies_mutate_where_they_are_bound(platform):
    """The beta API is served and its admission plugin runs (the feature gate), as the istiod test double's sidecar
    injection needs: a policy bound to one namespace labels the ConfigMaps created there, and no others."""
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1beta1", "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": "map-probe"},
        "spec": {"failurePolicy": "Fail", "reinvocationPolicy": "Never",
                 "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                         "operations": ["CREATE"], "resources": ["configmaps"]}]},
                 "mutations": [{"patchType": "ApplyConfiguration", "applyConfiguration": {
                     "expression": 'Object{metadata: Object.metadata{labels: {"mutated": "yes"}}}'}}]},
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1beta1", "kind": "MutatingAdmissionPolicyBinding",
        "metadata": {"name": "map-probe"},
        "spec": {"policyName": "map-probe", "matchResources": {"namespaceSelector": {"matchLabels": {"map-probe": "on"}}}},
    }
    for ns, labels in (("map-probe-on", {"map-probe": "on"}), ("map-probe-off", {})):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        assert kubectl(platform, "create", "-f", "-", stdin=json.dumps(namespace)).returncode == 0
    for obj in (policy, binding):
        res = kubectl(platform, "create", "-f", "-", stdin=json.dumps(obj))
        assert res.returncode == 0, res.stderr

    def labels_of(ns, name):
        res = kubectl(platform, "create", "configmap", name, "-n", ns)
        assert res.returncode == 0, res.stderr
        return json.loads(kubectl(platform, "get", "configmap", name, "-n", ns, "-o", "json").stdout)["metadata"].get("labels", {})

    # A new policy takes effect once the API server's informers have it: try a few names.
    for attempt in range(30):
        if labels_of("map-probe-on", f"probe-{attempt}") == {"mutated": "yes"}:
            break
        time.sleep(1)
    else:
        pytest.fail("the bound MutatingAdmissionPolicy never mutated a ConfigMap")
    assert labels_of("map-probe-off", "probe") == {}
    kubectl(platform, "delete", "mutatingadmissionpolicybinding,mutatingadmissionpolicy", "map-probe")


def test_kwok_runs_pods_on_fake_nodes_through_the_real_scheduler(platform):
    node = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "probe-node", "annotations": {"kwok.x-k8s.io/node": "fake"}, "labels": {"type": "kwok"}},
        "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                   "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
    }
    assert kubectl(platform, "apply", "-f", "-", stdin=json.dumps(node)).returncode == 0
    deploy = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "probe", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "probe"}},
                 "template": {"metadata": {"labels": {"app": "probe"}},
                              "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}},
    }
    assert kubectl(platform, "apply", "-f", "-", stdin=json.dumps(deploy)).returncode == 0
    res = kubectl(platform, "rollout", "status", "deployment/probe", "-n", "default", "--timeout=60s")
    assert res.returncode == 0, res.stderr
    pods = json.loads(kubectl(platform, "get", "pods", "-n", "default", "-l", "app=probe", "-o", "json").stdout)["items"]
    assert {p["spec"]["nodeName"] for p in pods} == {"probe-node"}
    assert all(p["status"]["phase"] == "Running" for p in pods)


def test_down_stops_everything_and_frees_every_port(root, platform):
    res = subprocess.run([str(root / "scripts/localenv"), "down"], env=platform["env"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert [p for p in PORTS.values() if listening(p)] == []
    assert our_processes(platform["state"]) == []
    status = subprocess.run([str(root / "scripts/localenv"), "status"], env=platform["env"], capture_output=True, text=True, check=False)
    assert status.returncode == 1
    assert "healthy" not in status.stdout
