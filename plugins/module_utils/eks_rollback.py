# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""EKS control plane version rollback: the cluster's version history and whether a rollback may be asked for.

EKS rolls a control plane back one minor, within 7 days of the in-place upgrade to its current version
(https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html). DescribeCluster has no field for that window:
the upgrade's time is the createdAt of the cluster's last Successful VersionUpdate (ListUpdates, DescribeUpdate), the
only time the Update shape carries (EKS counts from the upgrade's completion, a little later, so this is conservative).
"""

from __future__ import annotations

from datetime import timedelta

WINDOW = timedelta(days=7)
VERSION_CHANGES = ("VersionUpdate", "VersionRollback")


def minor(version):
    major, _dot, rest = str(version).partition(".")
    return int(major), int(rest.split(".")[0] or 0)


def update_version(update):
    """The Kubernetes version an update set (its Version param)."""
    return next((p.get("value") for p in update.get("params") or [] if p.get("type") == "Version"), None)


def version_changes(client, name):
    """The cluster's Successful version upgrades and rollbacks, oldest first (ListUpdates, then DescribeUpdate each:
    ListUpdates gives ids only, in no documented order)."""
    request = {"name": name}
    ids = []
    while True:
        response = client.list_updates(aws_retry=True, **request)
        ids += response.get("updateIds") or []
        if not response.get("nextToken"):
            break
        request["nextToken"] = response["nextToken"]
    changes = []
    for update_id in ids:
        update = client.describe_update(name=name, updateId=update_id, aws_retry=True).get("update") or {}
        if update.get("type") in VERSION_CHANGES and update.get("status") == "Successful":
            changes.append(update)
    return sorted(changes, key=lambda u: u["createdAt"])


def plan(cluster, changes, target, now):
    """What a rollback of `cluster` to `target` means now: a dict with current, target, upgraded_at, window_ends,
    rolled_back_at (datetimes or None), action (rollback or none) and refusal (a sentence, or None)."""
    current = cluster.get("version")
    last = changes[-1] if changes else None
    upgrade = last if last and last["type"] == "VersionUpdate" and update_version(last) == current else None
    found = {"current": current, "target": target, "action": "none", "refusal": None,
             "upgraded_at": upgrade["createdAt"] if upgrade else None,
             "window_ends": upgrade["createdAt"] + WINDOW if upgrade else None,
             "rolled_back_at": last["createdAt"] if last and last["type"] == "VersionRollback"
             and update_version(last) == current else None}
    if target == current:
        return found
    have, want = minor(current), minor(target)
    if want != (have[0], have[1] - 1):
        found["refusal"] = (f"version {target}: EKS rolls a control plane back to the minor below its current version "
                            f"only ({current} -> {have[0]}.{have[1] - 1})")
    elif cluster.get("status") != "ACTIVE":
        found["refusal"] = f"the cluster is {cluster.get('status')}: EKS rolls back an ACTIVE cluster only"
    elif upgrade is None:
        found["refusal"] = (f"the cluster's {current} was not reached by an in-place upgrade (it was created at it, or "
                            "already rolled back to it): EKS rolls back only the upgrade to the current version")
    elif now > found["window_ends"]:
        found["refusal"] = (f"the upgrade to {current} was on {upgrade['createdAt'].isoformat()}, more than 7 days ago: "
                            f"the rollback window closed on {found['window_ends'].isoformat()}")
    else:
        found["action"] = "rollback"
    return found
