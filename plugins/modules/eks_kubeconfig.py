#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_kubeconfig
short_description: Write the kubeconfig of an Amazon EKS cluster, as aws eks update-kubeconfig does
version_added: 0.2.0
description:
  - Reads the cluster with C(DescribeCluster) and writes its kubeconfig to O(path) (mode 0600, its folder 0700) with
    the cluster's endpoint and CA and an C(exec) credential running C(aws eks get-token), as the filter
    P(triptrip.platform.eks_kubeconfig#filter) builds it.
  - With O(token_helper), also writes that program to C(bin/triptrip-eks-token) beside the kubeconfig (0700), and
    the kubeconfig runs it with C(--cache-dir eks-tokens) beside the kubeconfig, so that the run's many Kubernetes
    clients reuse a token instead of each running C(aws) again.
  - One module run for what a describe, a folder, a program and a file would take four; a file already as wanted is
    left alone (changed=false). Writes are atomic (a file beside the target, then renamed).
  - When the cluster does not exist, writes nothing and returns C(exists=false), as
    M(triptrip.platform.eks_cluster_info) does.
  - Calls retry with jittered backoff on throttling and transient errors.
author:
  - TripTrip Platform Team (@triptrip)
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
  path:
    description: Where to write the kubeconfig (an absolute path).
    type: path
    required: true
  exec_environment:
    description: Environment of the exec credential (endpoint, profile, retry settings), never credentials.
    type: dict
    default: {}
  role_arn:
    description: The role C(aws eks get-token --role-arn) assumes; empty for the runner's own identity.
    type: str
    default: ""
  proxy_url:
    description: The cluster entry's C(proxy-url); empty for none.
    type: str
    default: ""
  command:
    description: The exec credential's command.
    type: str
    default: aws
  token_helper:
    description: The text of the token helper to install beside the kubeconfig; empty to run O(command) itself.
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reports what it would write, and writes nothing.
    support: full
  diff_mode:
    description: Names each file that would change, with its checksum before and after.
    support: full
"""

EXAMPLES = r"""
- name: Write the production cluster's kubeconfig
  triptrip.platform.eks_kubeconfig:
    name: triptrip-production
    region: ap-northeast-1
    path: /home/me/.local/state/triptrip-platform/kubeconfig-triptrip-production
    token_helper: "{{ lookup('ansible.builtin.file', 'triptrip-eks-token') }}"
  register: reached

- name: Stop when there is no cluster to reach
  ansible.builtin.fail:
    msg: The cluster does not exist yet.
  when: not reached.exists
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
  sample: true
cluster:
  description: The cluster as M(triptrip.platform.eks_cluster_info) returns it.
  returned: when the cluster exists
  type: dict
written:
  description: The files written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
"""

import hashlib
import json
import os
import tempfile

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, read_cluster
from ansible_collections.triptrip.platform.plugins.module_utils.kubeconfig import eks_kubeconfig

HELPER = os.path.join("bin", "triptrip-eks-token")
TOKENS = "eks-tokens"


def checksum(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return None


def mode_of(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def wanted_files(module, cluster):
    """[(path, text, mode)]: the token helper first (the kubeconfig runs it), then the kubeconfig."""
    path, params = module.params["path"], module.params
    folder = os.path.dirname(path)
    files = []
    helper = ""
    if params["token_helper"]:
        helper = os.path.join(folder, HELPER)
        files.append((helper, params["token_helper"], 0o700))
    config = eks_kubeconfig(cluster, module.region, environment=params["exec_environment"],
                            role_arn=params["role_arn"], proxy_url=params["proxy_url"], command=params["command"],
                            token_helper=helper, token_cache_dir=os.path.join(folder, TOKENS) if helper else "")
    # JSON is YAML: every client reads it, and the module needs no YAML library on the host.
    files.append((path, json.dumps(config, indent=2) + "\n", 0o600))
    return files


def write(module, path, text, mode):
    """Atomically: a file beside the target in its folder (0700, created if missing), then renamed over it."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if mode_of(folder) != 0o700:
        os.chmod(folder, 0o700)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".triptrip-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as err:
        if os.path.exists(temporary):
            os.unlink(temporary)
        module.fail_json(msg=f"Could not write {path}: {err}")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            path=dict(type="path", required=True),
            exec_environment=dict(type="dict", default={}),
            role_arn=dict(type="str", default=""),
            proxy_url=dict(type="str", default=""),
            command=dict(type="str", default="aws"),
            token_helper=dict(type="str", default="", no_log=False),
        ),
        supports_check_mode=True,
    )
    if not os.path.isabs(module.params["path"]):
        module.fail_json(msg=f"path={module.params['path']!r}: an absolute path is needed")
    client = eks_client(module)
    cluster = read_cluster(module, client, module.params["name"])
    if cluster is None:
        module.exit_json(changed=False, exists=False, written=[])
    before, after, written = [], [], []
    for path, text, mode in wanted_files(module, cluster):
        old = checksum(path)
        new = hashlib.sha256(text.encode("utf-8")).hexdigest()
        folder_mode = mode_of(os.path.dirname(path))
        if old == new and mode_of(path) == mode and folder_mode == 0o700:
            continue
        before.append(f"{path}: {old or 'absent'} mode {oct(mode_of(path) or 0)}\n")
        after.append(f"{path}: {new} mode {oct(mode)}\n")
        written.append(path)
        if not module.check_mode:
            write(module, path, text, mode)
    result = {"changed": bool(written), "exists": True, "cluster": cluster, "written": written}
    if module._diff and written:
        result["diff"] = {"before": "".join(before), "after": "".join(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
