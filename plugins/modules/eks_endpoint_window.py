#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_endpoint_window
short_description: Open a private EKS endpoint to given CIDRs for the run, and close it when the run ends
version_added: 0.10.0
description:
  - For a first build of a private cluster from outside its VPC (C(platform_eks_api_access=temporary_public)), as
    eksctl does for fully private clusters. C(state=open) turns the public endpoint on for O(public_access_cidrs) only
    (the private endpoint stays on) and, unless O(close_when_run_ends=false), leaves a watcher process behind that
    turns the public endpoint off again as soon as the C(ansible-playbook) run that opened it has ended, whether it
    succeeded, failed or was interrupted. C(state=closed) turns it off at once.
  - The watcher holds no file and no secret on disk; it gets the credentials through its environment, as the module
    got them. It ends after closing, or after O(wait_timeout) seconds of trying.
  - Endpoint updates take minutes on EKS; each one is waited for (C(DescribeUpdate)).
  - Supports check mode (nothing is called but the read) and diff.
author:
  - TripTrip Platform Team (@triptrip)
options:
  name:
    description: Cluster name.
    type: str
    required: true
  state:
    description: C(open) for the run, or C(closed).
    type: str
    choices: [open, closed]
    default: open
  public_access_cidrs:
    description: The CIDRs the public endpoint admits while open (the runner's egress). Required to open; never C(/0).
    type: list
    elements: str
    default: []
  close_when_run_ends:
    description: Leave a watcher that closes the endpoint when the C(ansible-playbook) run ends.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each endpoint update.
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Open the endpoint to this runner for the run
  triptrip.platform.eks_endpoint_window:
    name: triptrip-development
    public_access_cidrs: [203.0.113.7/32]

- name: Close it now
  triptrip.platform.eks_endpoint_window:
    name: triptrip-development
    state: closed
"""

RETURN = r"""
public_access:
  description: Whether the public endpoint is on after the call.
  returned: always
  type: bool
public_access_cidrs:
  description: The CIDRs it admits (empty when off).
  returned: always
  type: list
  elements: str
watcher_pid:
  description: The process that closes the endpoint when the run ends (with state=open and close_when_run_ends).
  returned: when a watcher was started
  type: int
"""

import json
import os
import sys

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import (
    describe_cluster, eks_client, endpoint_access_request, wait_for_update)

# The watcher: run by the same Python, with the settings as its argument and the credentials in its environment.
# It polls the run's process; once that is gone it closes the public endpoint if it is still open to the CIDRs it
# was opened to (a later run may have opened it again: that run's watcher owns it then).
WATCHER = r"""
import json, os, sys, time
import boto3
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(") ", 1)[-1].split()[0] != "Z"
    except OSError:
        return False
def close(settings):  # 0 once the endpoint is closed or no longer ours to close, 1 at the deadline
    while alive(settings["run_pid"]):
        time.sleep(1)
    client = boto3.client("eks", region_name=settings["region"], endpoint_url=settings["endpoint_url"] or None)
    deadline = time.monotonic() + settings["timeout"]
    while time.monotonic() < deadline:
        try:
            vpc = client.describe_cluster(name=settings["name"])["cluster"]["resourcesVpcConfig"]
            if not vpc.get("endpointPublicAccess") or sorted(vpc.get("publicAccessCidrs") or []) != settings["cidrs"]:
                return 0
            update = client.update_cluster_config(name=settings["name"], resourcesVpcConfig={
                "endpointPublicAccess": False, "endpointPrivateAccess": True})["update"]
            while update.get("status") not in ("Successful", "Failed", "Cancelled") and time.monotonic() < deadline:
                time.sleep(10)
                update = client.describe_update(name=settings["name"], updateId=update["id"])["update"]
            if update.get("status") == "Successful":
                return 0
        except Exception as err:  # throttling, an update in progress: try again until the deadline
            print(f"closing the endpoint of {settings['name']}: {err}", file=sys.stderr, flush=True)
        time.sleep(10)
    return 1
raise SystemExit(close(json.loads(sys.argv[1])))
"""

# How the module starts the watcher through module.run_command, which waits for what it runs: this launcher forks
# the watcher into a session of its own with /dev/null for stdin, stdout and stderr, prints its pid and ends, so
# run_command returns at once and the watcher outlives the module (and the run, which is what it waits for).
LAUNCHER = r"""
import os, sys
watcher = os.fork()
if watcher == 0:
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.execv(sys.executable, [sys.executable, "-c"] + sys.argv[1:])
print(watcher)
"""


def _parent(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return int(handle.read().rsplit(") ", 1)[-1].split()[1])


def run_pid(child=None):
    """The ansible-playbook process this module (or `child`) runs under, the outermost among its ancestors, else the
    parent: the watcher closes the endpoint when it has gone."""
    start = os.getppid() if child is None else _parent(child)
    pid, found = start, None
    while pid > 1:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
            parent = _parent(pid)
        except (OSError, ValueError, IndexError):
            break
        if any(os.path.basename(a) == b"ansible-playbook" for a in argv[:2]):
            found = pid
        pid = parent
    return found or start


def start_watcher(module, cidrs):
    """Start the watcher (its credentials as the module got them, in its environment) and return its pid."""
    env = {}
    for param, variable in (("access_key", "AWS_ACCESS_KEY_ID"), ("secret_key", "AWS_SECRET_ACCESS_KEY"),
                            ("session_token", "AWS_SESSION_TOKEN"), ("profile", "AWS_PROFILE")):
        if module.params.get(param):
            env[variable] = module.params[param]
    settings = {"name": module.params["name"], "region": module.region, "cidrs": cidrs, "run_pid": run_pid(),
                "endpoint_url": module.params.get("endpoint_url"), "timeout": module.params["wait_timeout"]}
    _rc, out, _err = module.run_command([sys.executable, "-c", LAUNCHER, WATCHER, json.dumps(settings)],
                                        environ_update=env, check_rc=True, expand_user_and_vars=False)
    return int(out)


def view(vpc):
    public = bool(vpc.get("endpointPublicAccess"))
    return {"public_access": public, "public_access_cidrs": sorted(vpc.get("publicAccessCidrs") or []) if public else []}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["open", "closed"], default="open"),
            public_access_cidrs=dict(type="list", elements="str", default=[]),
            close_when_run_ends=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    name, opening = module.params["name"], module.params["state"] == "open"
    cidrs = sorted(module.params["public_access_cidrs"])
    if opening and (not cidrs or any(c.endswith("/0") for c in cidrs)):
        module.fail_json(msg=f"public_access_cidrs={cidrs}: open the endpoint to the runner's egress CIDRs only")
    client = eks_client(module)
    try:
        cluster = describe_cluster(client, name)
        if cluster is None:
            module.fail_json(msg=f"EKS cluster {name} does not exist")
        before = view(cluster["resourcesVpcConfig"])
        after = {"public_access": opening, "public_access_cidrs": cidrs if opening else []}
        changed = before != after
        result = {"changed": changed, "diff": {"before": before, "after": after}, **after}
        if module.check_mode:
            module.exit_json(**result)
        if changed:
            update = client.update_cluster_config(name=name, aws_retry=True, resourcesVpcConfig=endpoint_access_request(
                private=True, public=opening, public_cidrs=cidrs))["update"]
            wait_for_update(client, name, update, module.params["wait_timeout"], module.fail_json)
        if opening and module.params["close_when_run_ends"]:
            result["watcher_pid"] = start_watcher(module, cidrs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Could not change the endpoint access of EKS cluster {name}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
