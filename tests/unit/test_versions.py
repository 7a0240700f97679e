"""The local control plane is built at the Kubernetes minor the inventories default to, from one module graph."""

from __future__ import annotations

import re

import yaml


def versions(root):
    out = {}
    for line in (root / "localenv" / "versions.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out[key] = value
    return out


def test_local_kubernetes_minor_equals_the_default_eks_version(root):
    eks = yaml.safe_load((root / "group_vars" / "all" / "platform.yml").read_text())["platform_eks_version"]
    kube = versions(root)["KUBE_VERSION"]
    assert kube.rsplit(".", 1)[0] == eks, f"KUBE_VERSION {kube} vs platform_eks_version {eks}"


def test_go_mod_builds_the_pinned_versions(root):
    v = versions(root)
    go_mod = (root / "localenv" / "kube" / "go.mod").read_text()
    assert f"k8s.io/kubernetes v{v['KUBE_VERSION']}" in go_mod
    assert f"go.etcd.io/etcd/server/v3 v{v['ETCD_VERSION']}" in go_mod
    staging = "v0." + v["KUBE_VERSION"].split(".", 1)[1]
    replaces = re.findall(r"^\s+(k8s\.io/\S+) => (k8s\.io/\S+) (\S+)$", go_mod, re.M)
    assert len(replaces) >= 30, "every k8s.io staging module needs its replace line"
    wrong = [(a, b, ver) for a, b, ver in replaces if a != b or ver != staging]
    assert not wrong, f"staging replaces not at {staging}: {wrong}"
