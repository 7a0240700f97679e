#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_cluster_rollback
short_description: Roll an Amazon EKS control plane back to the minor below, within EKS's rollback window
version_added: 0.10.0
description:
  - Rolls the cluster's control plane back to I(version), the minor below its current one, with
    C(UpdateClusterVersion) (EKS answers a C(VersionRollback) update) and waits for it.
  - EKS allows it within 7 days of the in-place upgrade to the current version, for a cluster that is C(ACTIVE) and
    was not created at its version. DescribeCluster does not tell that window, so the module reads the cluster's
    updates (C(ListUpdates), C(DescribeUpdate)) and counts the 7 days from the C(createdAt) of the last successful
    C(VersionUpdate). A rollback EKS would refuse (outside the window, more than one minor, not upgraded in place)
    fails before any change, saying why and when the window closed.
  - A cluster already at I(version) is left alone (C(changed=false)); C(rollback.rolled_back_at) tells whether a
    rollback brought it there.
  - Node groups and add-ons are not rolled back by EKS; roll them back first (C(triptrip.platform.eks_nodegroup),
    C(triptrip.platform.eks_addon)); EKS refuses the rollback while a rollback readiness insight is in C(ERROR), unless
    I(force).
  - Supports check mode (plans, reads only) and diff (the version). Calls retry with jittered backoff on throttling.
  - See U(https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html).
author:
  - TripTrip Platform Team (@triptrip)
options:
  name:
    description: Cluster name.
    type: str
    required: true
  version:
    description: The Kubernetes minor to roll back to, as C("1.34"); the minor below the cluster's.
    type: str
    required: true
  force:
    description:
      - Go past rollback readiness insights in C(ERROR) or C(UNKNOWN) (EKS's C(force)). It does not lift the window,
        the one-minor rule or a cluster created at its version.
    type: bool
    default: false
  rollback_timeout_minutes:
    description:
      - How long EKS lets the rollback run before it cancels it (C(rollbackConfig.timeoutMinutes)), 120 to 10080.
        Omitted, EKS's default (720).
    type: int
  wait:
    description: Wait for the rollback update to be C(Successful).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the rollback.
    type: int
    default: 2400
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Plan the rollback of the production control plane to 1.34 (reads only)
  triptrip.platform.eks_cluster_rollback:
    name: triptrip-production
    version: "1.34"
  check_mode: true
  register: plan

- name: Roll the control plane back to 1.34
  triptrip.platform.eks_cluster_rollback:
    name: triptrip-production
    version: "1.34"
    rollback_timeout_minutes: 240
"""

RETURN = r"""
rollback:
  description: What the rollback means for the cluster, read before any change.
  returned: when the cluster exists
  type: dict
  contains:
    current:
      description: The cluster's version before the run.
      type: str
      sample: "1.35"
    target:
      description: I(version).
      type: str
      sample: "1.34"
    upgraded_at:
      description: When the in-place upgrade to C(current) was asked for (its update's createdAt, ISO 8601), or null.
      type: str
      sample: "2026-12-07T09:12:00+00:00"
    window_ends:
      description: Seven days after C(upgraded_at), or null.
      type: str
      sample: "2026-12-14T09:12:00+00:00"
    rolled_back_at:
      description: When the rollback that brought the cluster to C(current) was asked for, or null.
      type: str
    action:
      description: C(rollback) or C(none).
      type: str
    refusal:
      description: Why EKS would refuse the rollback, or null.
      type: str
update:
  description: The C(VersionRollback) update as EKS answered it (snake_case).
  returned: when a rollback was made
  type: dict
"""

from datetime import datetime, timezone

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import (
    describe_cluster, eks_client, snake, wait_for_update)
from ansible_collections.triptrip.platform.plugins.module_utils.eks_rollback import plan, version_changes


def shown(found):
    """The plan with its times as ISO 8601 strings."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in found.items()}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            version=dict(type="str", required=True),
            force=dict(type="bool", default=False),
            rollback_timeout_minutes=dict(type="int"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=2400),
        ),
        supports_check_mode=True,
    )
    params = module.params
    name, target = params["name"], params["version"]
    timeout = params["rollback_timeout_minutes"]
    if timeout is not None and not 120 <= timeout <= 10080:
        module.fail_json(msg=f"rollback_timeout_minutes={timeout} must be between 120 (2 hours) and 10080 (7 days)")
    client = eks_client(module)
    try:
        cluster = describe_cluster(client, name)
        if cluster is None:
            module.fail_json(msg=f"EKS cluster {name} does not exist: nothing to roll back")
        found = plan(cluster, version_changes(client, name), target, datetime.now(timezone.utc))
        if found["refusal"]:
            module.fail_json(msg=f"EKS cluster {name} cannot be rolled back: {found['refusal']}", rollback=shown(found))
        if found["action"] == "none":
            module.exit_json(changed=False, rollback=shown(found))
        diff = {"before": {"version": found["current"]}, "after": {"version": target}}
        if module.check_mode:
            module.exit_json(changed=True, rollback=shown(found), diff=diff)
        request = {"name": name, "version": target}
        if params["force"]:
            request["force"] = True
        if timeout is not None:
            request["rollbackConfig"] = {"timeoutMinutes": timeout}
        update = client.update_cluster_version(aws_retry=True, **request)["update"]
        if params["wait"] and update.get("status") != "Successful":
            update = wait_for_update(client, name, update, params["wait_timeout"], module.fail_json)
        elif update.get("status") in ("Failed", "Cancelled"):
            module.fail_json(msg=f"EKS update {update.get('id')} of {name} ended {update['status']}: {update.get('errors')}")
        module.exit_json(changed=True, rollback=shown(found), update=snake(update), diff=diff)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Rollback of EKS cluster {name} to {target}")


if __name__ == "__main__":
    main()
