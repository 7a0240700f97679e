# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The kubeconfig of an EKS cluster, as data: shared by the eks_kubeconfig filter and module."""

from __future__ import annotations

# The ExecCredential version `aws eks get-token` answers by default (and `aws eks update-kubeconfig` writes).
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def eks_kubeconfig(cluster, region, environment=None, role_arn="", proxy_url="", command="aws", token_helper="",
                   token_cache_dir=""):
    """The kubeconfig of `cluster` (eks_cluster_info's snake_case description): one cluster, user and context named
    by the cluster's ARN, as `aws eks update-kubeconfig` names them."""
    name = cluster["arn"]
    args = ["--region", region, "eks", "get-token", "--cluster-name", cluster["name"], "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    entry = {"server": cluster["endpoint"], "certificate-authority-data": cluster["certificate_authority"]["data"]}
    if proxy_url:
        entry["proxy-url"] = proxy_url
    if token_helper:
        if not token_cache_dir:
            raise ValueError("eks_kubeconfig: token_helper needs token_cache_dir")
        command, args = token_helper, ["--cache-dir", token_cache_dir, "--", command] + args
    exec_ = {"apiVersion": EXEC_API_VERSION, "command": command, "args": args, "interactiveMode": "Never"}
    env = [{"name": str(k), "value": str(v)} for k, v in sorted((environment or {}).items())]
    if env:
        exec_["env"] = env
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": entry}],
        "users": [{"name": name, "user": {"exec": exec_}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }
