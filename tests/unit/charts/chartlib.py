"""Shared by the chart tests: helm template of a chart, its objects and pod specs, and Pod Security `restricted` as
a checker over pod specs (what the admission plugin would refuse, so a rendered chart can be judged without a
cluster; tests/integration dry-runs the same objects on one)."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

import yaml

KUBE_VERSION = "1.35.0"
VALUES_FILES = ["values.yaml", "values-staging.yaml", "values-production.yaml"]


@functools.cache
def _helm(root: Path, env_items: tuple, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(root / ".tools/bin/helm"), *args], cwd=root, env=dict(env_items), capture_output=True, text=True,
        check=False, timeout=120,
    )


def helm_runner(root: Path, tool_env: dict):
    """helm with our pinned binary, from the repo root; each distinct call runs once per session (helm costs CPU)."""
    return lambda *args: _helm(root, tuple(sorted(tool_env.items())), *args)


def renderer(helm, chart: str, release: str, namespace: str):
    """helm template of `chart` with one of its values files and --set flags, parsed into objects."""

    def _render(values_file: str = "values.yaml", *sets: str) -> list[dict]:
        args = ["template", release, chart, "-n", namespace, "--kube-version", KUBE_VERSION, "-f", f"{chart}/{values_file}"]
        for s in sets:
            args += ["--set", s]
        result = helm(*args)
        assert result.returncode == 0, result.stderr
        return [d for d in yaml.safe_load_all(result.stdout) if d]

    return _render


def template_with(helm, chart: str, values_file: str, values: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """helm template of `chart` with one of its values files and then `values` (as a file, the way the workloads role
    and Argo CD hand over an inventory's values: types as YAML writes them, a null removing a default)."""
    text = yaml.safe_dump(values, sort_keys=False)
    # Named by its content: helm's runs are cached by their arguments.
    given = tmp_path / f"values-{hashlib.sha256(text.encode()).hexdigest()[:12]}.yaml"
    given.write_text(text)
    return helm("template", "release", chart, "-n", "default", "--kube-version", KUBE_VERSION,
                "-f", f"{chart}/{values_file}", "-f", str(given))


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def pod_specs(docs: list[dict]) -> list[tuple[str, dict]]:
    """(name, pod spec) of every object that makes pods."""
    specs = []
    for doc in docs:
        kind = doc["kind"]
        if kind == "Pod":
            specs.append((doc["metadata"]["name"], doc["spec"]))
        elif kind == "CronJob":
            specs.append((doc["metadata"]["name"], doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            specs.append((doc["metadata"]["name"], doc["spec"]["template"]["spec"]))
    return specs


# https://kubernetes.io/docs/concepts/security/pod-security-standards/

RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
SECCOMP_ALLOWED = {"RuntimeDefault", "Localhost"}


def restricted_violations(spec: dict) -> list[str]:
    """What in a pod spec the Pod Security `restricted` level (baseline included) would refuse."""
    found = []
    pod_sc = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            found.append(f"pod: {field}")
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            found.append(f"volume {volume['name']}: {sorted(kinds - RESTRICTED_VOLUME_TYPES)}")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl["name"] not in SAFE_SYSCTLS:
            found.append(f"pod: sysctl {sysctl['name']}")
    if pod_sc.get("runAsUser") == 0:
        found.append("pod: runAsUser 0")
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_seccomp is not None and pod_seccomp not in SECCOMP_ALLOWED:
        found.append(f"pod: seccomp {pod_seccomp}")
    if (pod_sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        found.append("pod: appArmor Unconfined")
    containers = [*(spec.get("initContainers") or []), *spec["containers"], *(spec.get("ephemeralContainers") or [])]
    for c in containers:
        where, sc = f"container {c['name']}", c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        if sc.get("privileged"):
            found.append(f"{where}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{where}: allowPrivilegeEscalation not false")
        if "ALL" not in (caps.get("drop") or []):
            found.append(f"{where}: capabilities do not drop ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"{where}: capabilities add {sorted(set(caps['add']) - {'NET_BIND_SERVICE'})}")
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root is not True:
            found.append(f"{where}: runAsNonRoot not true")
        if sc.get("runAsUser") == 0:
            found.append(f"{where}: runAsUser 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in SECCOMP_ALLOWED:
            found.append(f"{where}: seccomp {seccomp}")
        if sc.get("procMount", "Default") != "Default":
            found.append(f"{where}: procMount {sc['procMount']}")
        if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
            found.append(f"{where}: appArmor Unconfined")
        if any(port.get("hostPort") for port in c.get("ports") or []):
            found.append(f"{where}: hostPort")
    return found
