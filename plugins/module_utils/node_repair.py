# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""EKS node auto repair's settings (NodeRepairConfig): their names and their rules, without AWS libraries, so the
preflight (plugins/filter/preflight_errors.py) refuses what eks_nodegroup would without importing boto3."""

from __future__ import annotations

# The thresholds, as pairs of which one may be set: (count, percentage).
REPAIR_PAIRS = (("max_unhealthy_node_threshold_count", "max_unhealthy_node_threshold_percentage"),
                ("max_parallel_nodes_repaired_count", "max_parallel_nodes_repaired_percentage"))
# Option name -> the EKS API's.
REPAIR_KEYS = {"enabled": "enabled",
               "max_unhealthy_node_threshold_count": "maxUnhealthyNodeThresholdCount",
               "max_unhealthy_node_threshold_percentage": "maxUnhealthyNodeThresholdPercentage",
               "max_parallel_nodes_repaired_count": "maxParallelNodesRepairedCount",
               "max_parallel_nodes_repaired_percentage": "maxParallelNodesRepairedPercentage"}


def node_repair_error(repair):
    """Why `repair` (the node_repair option: enabled and thresholds) cannot be sent, as one sentence; None if it can."""
    for count, percentage in REPAIR_PAIRS:
        if repair.get(count) is not None and repair.get(percentage) is not None:
            return f"node_repair: set {count} or {percentage}, not both"
        if repair.get(count) is not None and repair[count] < 1:
            return f"node_repair.{count} must be 1 or more, got {repair[count]}"
        if repair.get(percentage) is not None and not 1 <= repair[percentage] <= 100:
            return f"node_repair.{percentage} must be between 1 and 100, got {repair[percentage]}"
        if not repair["enabled"] and (repair.get(count) is not None or repair.get(percentage) is not None):
            return f"node_repair: {count} and {percentage} apply only with enabled=true"
    return None
