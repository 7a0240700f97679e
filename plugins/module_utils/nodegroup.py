# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The logic of the eks_nodegroup module, apart from its AWS calls' order: validation, the managed settings (what
--diff shows), the plan of update calls (UpdateNodegroupConfig, UpdateNodegroupVersion, tags), the launch template
version and the waits for a node group and its updates."""

from __future__ import annotations

import re

from ansible_collections.triptrip.platform.plugins.module_utils.eks import health_issues, snake
from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.node_repair import REPAIR_KEYS, node_repair_error
from ansible_collections.triptrip.platform.plugins.module_utils.retries import aws_client
from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, tags_after, wanted_tags
from ansible_collections.triptrip.platform.plugins.module_utils.waiters import (
    failed, resource_judge, update_judge, wait)

AMI_TYPES = [
    "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64_FIPS", "BOTTLEROCKET_ARM_64_FIPS",
    "BOTTLEROCKET_x86_64_NVIDIA", "BOTTLEROCKET_ARM_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA_FIPS",
    "BOTTLEROCKET_ARM_64_NVIDIA_FIPS",
    "CUSTOM",
    "AL2_x86_64", "AL2_x86_64_GPU", "AL2_ARM_64",
    "WINDOWS_CORE_2019_x86_64", "WINDOWS_FULL_2019_x86_64", "WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2022_x86_64",
    "WINDOWS_CORE_2025_x86_64", "WINDOWS_FULL_2025_x86_64",
]
TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NO_SCHEDULE": "NO_SCHEDULE", "NO_EXECUTE": "NO_EXECUTE", "PREFER_NO_SCHEDULE": "PREFER_NO_SCHEDULE",
}
IMMUTABLE_ADVICE = (
    "The node group must be replaced: create a new node group with the new settings, drain the old group's nodes, "
    "then delete the old node group. Nothing was changed."
)


def ec2_client(module):
    """EC2 client, only to resolve a launch template's $Latest / $Default version."""
    return aws_client(module, "ec2")


def nodegroup_result(nodegroup):
    """The node group as the modules return it: snake_case, tag and label keys kept as they are."""
    return snake(nodegroup, keep=("tags", "labels"))


def describe_nodegroup(client, cluster_name, name):
    """The node group as EKS describes it, or None when it (or its cluster) does not exist."""
    return describe_or_none(client.describe_nodegroup, "nodegroup", clusterName=cluster_name, nodegroupName=name)


# ---------------------------------------------------------------------------------------------------------------
# Validation (before any AWS call)
# ---------------------------------------------------------------------------------------------------------------

def validate(params):
    """Check the task's options; normalise taint effects in place. Returns an error message or None."""
    scaling = params.get("scaling") or {}
    low, high, want = scaling.get("min_size"), scaling.get("max_size"), scaling.get("desired_size")
    if low is not None and low < 0:
        return f"scaling.min_size must be 0 or more, got {low}"
    if high is not None and high < 1:
        return f"scaling.max_size must be 1 or more, got {high}"
    if want is not None and want < 0:
        return f"scaling.desired_size must be 0 or more, got {want}"
    if low is not None and high is not None and low > high:
        return f"scaling.min_size ({low}) must not be above scaling.max_size ({high})"
    if want is not None and low is not None and want < low:
        return f"scaling.desired_size ({want}) must not be below scaling.min_size ({low})"
    if want is not None and high is not None and want > high:
        return f"scaling.desired_size ({want}) must not be above scaling.max_size ({high})"

    seen = {}
    for index, taint in enumerate(params.get("taints") or []):
        effect = TAINT_EFFECTS.get(taint.get("effect"))
        if effect is None:
            return (f"taints[{index}].effect={taint.get('effect')!r} is not a taint effect: use NoSchedule, NoExecute "
                    f"or PreferNoSchedule (or NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE)")
        taint["effect"] = effect
        ident = (taint["key"], effect)
        if ident in seen:
            return f"taints[{index}] repeats taints[{seen[ident]}] (key {taint['key']}, effect {effect})"
        seen[ident] = index

    update = params.get("update_config")
    if update:
        if update.get("max_unavailable") is not None and update["max_unavailable"] < 1:
            return f"update_config.max_unavailable must be 1 or more, got {update['max_unavailable']}"
        pct = update.get("max_unavailable_percentage")
        if pct is not None and not 1 <= pct <= 100:
            return f"update_config.max_unavailable_percentage must be between 1 and 100, got {pct}"

    repair_error = node_repair_error(params["node_repair"]) if params.get("node_repair") else None
    if repair_error:
        return repair_error

    if params.get("disk_size") is not None and params.get("launch_template"):
        return "disk_size cannot be used with launch_template: set the root volume size in the launch template"
    if params.get("ami_type") == "CUSTOM":
        for option in ("version", "release_version"):
            if params.get(option):
                return f"{option} cannot be used with ami_type=CUSTOM: the launch template's AMI decides it"
    if params.get("version") and not re.match(r"^[0-9]+\.[0-9]+$", params["version"]):
        return f"version={params['version']} must be a Kubernetes minor such as 1.35"
    return None


# ---------------------------------------------------------------------------------------------------------------
# The managed settings (what --diff shows) and the plan
# ---------------------------------------------------------------------------------------------------------------

def taint(key, value, effect):
    """A taint in one shape for comparing: no value and an empty value are the same."""
    return {"key": key, "value": value if value not in (None, "") else None, "effect": effect}


def request_taint(entry):
    """A taint as EKS takes it: no value key when there is no value."""
    return {k: v for k, v in entry.items() if v is not None}


def taint_map(taints):
    """{(key, effect): taint} of EKS taints (or normalised task taints)."""
    return {(t["key"], t["effect"]): taint(t["key"], t.get("value"), t["effect"]) for t in taints or []}


def sorted_taints(taints):
    return sorted(taints, key=lambda t: (t["key"], t["effect"], t["value"] or ""))


def settings(nodegroup):
    """The settings this module manages, snake_case: what --diff shows."""
    if not nodegroup:
        return {}
    scaling = nodegroup.get("scalingConfig") or {}
    template = nodegroup.get("launchTemplate")
    update = nodegroup.get("updateConfig") or {}
    return {
        "node_role_arn": nodegroup.get("nodeRole"),
        "subnets": sorted(nodegroup.get("subnets") or []),
        "instance_types": list(nodegroup.get("instanceTypes") or []),
        "capacity_type": nodegroup.get("capacityType") or "ON_DEMAND",
        "ami_type": nodegroup.get("amiType"),
        "disk_size": None if template else nodegroup.get("diskSize"),
        "scaling": {
            "min_size": scaling.get("minSize"),
            "max_size": scaling.get("maxSize"),
            "desired_size": scaling.get("desiredSize"),
        },
        "labels": dict(nodegroup.get("labels") or {}),
        "taints": sorted_taints(taint_map(nodegroup.get("taints")).values()),
        "update_config": {
            snake_key: update[key]
            for key, snake_key in (("maxUnavailable", "max_unavailable"),
                                   ("maxUnavailablePercentage", "max_unavailable_percentage"))
            if update.get(key) is not None
        },
        "launch_template": {
            "id": template.get("id"), "name": template.get("name"), "version": template.get("version"),
        } if template else None,
        "version": nodegroup.get("version"),
        "release_version": nodegroup.get("releaseVersion"),
        "node_repair": {snake: (nodegroup.get("nodeRepairConfig") or {}).get(camel) for snake, camel in REPAIR_KEYS.items()
                        if (nodegroup.get("nodeRepairConfig") or {}).get(camel) is not None} or {"enabled": False},
        "tags": dict(nodegroup.get("tags") or {}),
    }


def wanted_node_repair(params):
    """NodeRepairConfig as the task states it (the thresholds not given are left out: EKS's defaults)."""
    return {camel: params["node_repair"][snake] for snake, camel in REPAIR_KEYS.items()
            if params["node_repair"].get(snake) is not None}


def wanted_labels(params):
    return {str(k): str(v) for k, v in params["labels"].items()}


def wanted_update_config(params):
    update = params["update_config"]
    want = {}
    if update.get("max_unavailable") is not None:
        want["maxUnavailable"] = update["max_unavailable"]
    if update.get("max_unavailable_percentage") is not None:
        want["maxUnavailablePercentage"] = update["max_unavailable_percentage"]
    return want


def template_ref(template):
    """The launch template by the identifier the task used."""
    return {"id": template["id"]} if template.get("id") else {"name": template["name"]}


def immutable_differences(params, nodegroup):
    """[(option, current, wanted)] of settings EKS cannot change that the task wants different."""
    found = []
    if params.get("node_role_arn") and params["node_role_arn"] != nodegroup.get("nodeRole"):
        found.append(("node_role_arn", nodegroup.get("nodeRole"), params["node_role_arn"]))
    if params.get("subnets") and sorted(params["subnets"]) != sorted(nodegroup.get("subnets") or []):
        found.append(("subnets", sorted(nodegroup.get("subnets") or []), sorted(params["subnets"])))
    if params.get("instance_types") and list(params["instance_types"]) != list(nodegroup.get("instanceTypes") or []):
        found.append(("instance_types", nodegroup.get("instanceTypes"), params["instance_types"]))
    have_capacity = nodegroup.get("capacityType") or "ON_DEMAND"
    if params["capacity_type"] != have_capacity:
        found.append(("capacity_type", have_capacity, params["capacity_type"]))
    if params.get("ami_type") and params["ami_type"] != nodegroup.get("amiType"):
        found.append(("ami_type", nodegroup.get("amiType"), params["ami_type"]))
    have_template = nodegroup.get("launchTemplate")
    if params.get("disk_size") is not None and not have_template and params["disk_size"] != nodegroup.get("diskSize"):
        found.append(("disk_size", nodegroup.get("diskSize"), params["disk_size"]))
    template = params.get("launch_template")
    if template:
        if not have_template:
            found.append(("launch_template", None, template_ref(template)))
        elif template.get("id") and template["id"] != have_template.get("id"):
            found.append(("launch_template.id", have_template.get("id"), template["id"]))
        elif template.get("name") and template["name"] != have_template.get("name"):
            found.append(("launch_template.name", have_template.get("name"), template["name"]))
    return found


def plan_scaling(params, nodegroup):
    """(scalingConfig to send, refusal) for an existing node group."""
    scaling = params.get("scaling")
    have = nodegroup.get("scalingConfig") or {}
    want = {}
    if scaling:
        for option, key in (("min_size", "minSize"), ("max_size", "maxSize")):
            if scaling.get(option) is not None and scaling[option] != have.get(key):
                want[key] = scaling[option]
    low = want.get("minSize", have.get("minSize"))
    high = want.get("maxSize", have.get("maxSize"))
    if low is not None and high is not None and low > high:
        option = "scaling.min_size" if "minSize" in want else "scaling.max_size"
        return {}, (f"{option} would leave min_size {low} above max_size {high} (the node group's current "
                    f"{'max' if option.endswith('min_size') else 'min'}): set both")
    desired = (scaling or {}).get("desired_size")
    current = have.get("desiredSize")
    if params["desired_size_policy"] == "enforce" and desired is not None:
        if desired != current:
            want["desiredSize"] = desired
    elif current is not None:
        if low is not None and current < low:
            want["desiredSize"] = low
        elif high is not None and current > high:
            want["desiredSize"] = high
    return want, None


def plan(params, nodegroup, template_version):
    """Everything that takes `nodegroup` (as EKS describes it) to the task.

    Returns a dict: config (UpdateNodegroupConfig kwargs or None) and config_parts, version (UpdateNodegroupVersion
    kwargs or None) and version_parts, add_tags, remove_tags, refusal.
    """
    cluster_name, name = params["cluster_name"], params["name"]
    result = {"config": None, "config_parts": [], "version": None, "version_parts": [],
              "add_tags": {}, "remove_tags": [], "refusal": None}

    differences = immutable_differences(params, nodegroup)
    if differences:
        lines = "; ".join(f"{option} cannot change on an existing node group (current: {have}, wanted: {want})"
                          for option, have, want in differences)
        result["refusal"] = f"{lines}. {IMMUTABLE_ADVICE}"
        return result

    config = {}
    if params.get("labels") is not None:
        want, have = wanted_labels(params), nodegroup.get("labels") or {}
        payload = {}
        add = {k: v for k, v in want.items() if have.get(k) != v}
        remove = sorted(k for k in have if k not in want)
        if add:
            payload["addOrUpdateLabels"] = add
        if remove:
            payload["removeLabels"] = remove
        if payload:
            config["labels"] = payload
    if params.get("taints") is not None:
        want, have = taint_map(params["taints"]), taint_map(nodegroup.get("taints"))
        payload = {}
        add = [request_taint(t) for ident, t in want.items() if have.get(ident) != t]
        remove = [request_taint(t) for t in sorted_taints(t for ident, t in have.items() if ident not in want)]
        if add:
            payload["addOrUpdateTaints"] = add
        if remove:
            payload["removeTaints"] = remove
        if payload:
            config["taints"] = payload
    scaling, refusal = plan_scaling(params, nodegroup)
    if refusal:
        result["refusal"] = refusal
        return result
    if scaling:
        config["scalingConfig"] = scaling
    if params.get("update_config"):
        want = wanted_update_config(params)
        have = {k: v for k, v in (nodegroup.get("updateConfig") or {}).items()
                if k in ("maxUnavailable", "maxUnavailablePercentage") and v is not None}
        if want != have:
            config["updateConfig"] = want
    if params.get("node_repair"):
        want = wanted_node_repair(params)
        # Compared on what the task states: a threshold left out is EKS's to choose (described or not); a node group
        # EKS describes without the config has repair off.
        have = {"enabled": False, **(nodegroup.get("nodeRepairConfig") or {})}
        if any(have.get(key) != value for key, value in want.items()):
            config["nodeRepairConfig"] = want
    if config:
        result["config"] = {"clusterName": cluster_name, "nodegroupName": name, **config}
        result["config_parts"] = [{"labels": "labels", "taints": "taints", "scalingConfig": "scaling",
                                   "updateConfig": "update_config", "nodeRepairConfig": "node_repair"}[k]
                                  for k in config]

    version = {}
    template = params.get("launch_template")
    have_template = nodegroup.get("launchTemplate") or {}
    if template and template_version is not None and str(template_version) != str(have_template.get("version")):
        version["launchTemplate"] = {**template_ref(template), "version": str(template_version)}
    if params.get("version") and params["version"] != nodegroup.get("version"):
        version["version"] = params["version"]
    if params.get("release_version") and params["release_version"] != nodegroup.get("releaseVersion"):
        version["releaseVersion"] = params["release_version"]
    if version:
        result["version"] = {"clusterName": cluster_name, "nodegroupName": name, **version}
        result["version_parts"] = [{"launchTemplate": "launch_template.version", "version": "version",
                                    "releaseVersion": "release_version"}[k] for k in version]

    result["add_tags"], result["remove_tags"] = tag_changes(nodegroup.get("tags"), params.get("tags"),
                                                            params["purge_tags"])
    return result


def desired_settings(params, have, steps):
    """`have` (settings()) as it is after the plan `steps` is carried out."""
    after = {**have, "scaling": dict(have.get("scaling") or {})}
    if params.get("labels") is not None:
        after["labels"] = wanted_labels(params)
    if params.get("taints") is not None:
        after["taints"] = sorted_taints(taint_map(params["taints"]).values())
    scaling = ((steps.get("config") or {}).get("scalingConfig")) or {}
    for key, option in (("minSize", "min_size"), ("maxSize", "max_size"), ("desiredSize", "desired_size")):
        if key in scaling:
            after["scaling"][option] = scaling[key]
    if params.get("update_config"):
        after["update_config"] = {k: v for k, v in params["update_config"].items() if v is not None}
    if params.get("node_repair"):
        after["node_repair"] = {k: v for k, v in params["node_repair"].items() if v is not None}
    version = steps.get("version") or {}
    if "launchTemplate" in version:
        after["launch_template"] = {**after["launch_template"], "version": version["launchTemplate"]["version"]}
    for key, option in (("version", "version"), ("releaseVersion", "release_version")):
        if key in version:
            after[option] = version[key]
    if params.get("tags") is not None:
        after["tags"] = tags_after(have.get("tags"), params["tags"], params["purge_tags"])
    return after


def create_request(params):
    request = {
        "clusterName": params["cluster_name"],
        "nodegroupName": params["name"],
        "nodeRole": params["node_role_arn"],
        "subnets": params["subnets"],
        "capacityType": params["capacity_type"],
    }
    scaling = {key: params["scaling"][option]
               for option, key in (("min_size", "minSize"), ("max_size", "maxSize"), ("desired_size", "desiredSize"))
               if (params.get("scaling") or {}).get(option) is not None}
    if scaling:
        request["scalingConfig"] = scaling
    if params.get("instance_types"):
        request["instanceTypes"] = params["instance_types"]
    if params.get("ami_type"):
        request["amiType"] = params["ami_type"]
    if params.get("disk_size") is not None:
        request["diskSize"] = params["disk_size"]
    if params.get("labels"):
        request["labels"] = wanted_labels(params)
    if params.get("taints"):
        request["taints"] = [request_taint(t) for t in taint_map(params["taints"]).values()]
    if params.get("update_config"):
        request["updateConfig"] = wanted_update_config(params)
    if params.get("node_repair"):
        request["nodeRepairConfig"] = wanted_node_repair(params)
    if params.get("launch_template"):
        template = template_ref(params["launch_template"])
        if params["launch_template"].get("version"):
            template["version"] = params["launch_template"]["version"]
        request["launchTemplate"] = template
    if params.get("version"):
        request["version"] = params["version"]
    if params.get("release_version"):
        request["releaseVersion"] = params["release_version"]
    if params.get("tags"):
        request["tags"] = wanted_tags(params["tags"])
    return request


def create_settings(params):
    """What a creation asks for, as settings(): the --diff `after` of a creation."""
    request = create_request(params)
    scaling = request.get("scalingConfig") or {}
    template = params.get("launch_template")
    return {
        "node_role_arn": params["node_role_arn"],
        "subnets": sorted(params["subnets"] or []),
        "instance_types": list(params.get("instance_types") or []),
        "capacity_type": params["capacity_type"],
        "ami_type": params.get("ami_type"),
        "disk_size": params.get("disk_size"),
        "scaling": {"min_size": scaling.get("minSize"), "max_size": scaling.get("maxSize"),
                    "desired_size": scaling.get("desiredSize")},
        "labels": request.get("labels") or {},
        "taints": sorted_taints(taint_map(params.get("taints")).values()),
        "update_config": {k: v for k, v in (params.get("update_config") or {}).items() if v is not None},
        "launch_template": {"id": template.get("id"), "name": template.get("name"),
                            "version": template.get("version")} if template else None,
        "version": params.get("version"),
        "release_version": params.get("release_version"),
        "node_repair": {k: v for k, v in (params.get("node_repair") or {"enabled": False}).items() if v is not None},
        "tags": request.get("tags") or {},
    }


# ---------------------------------------------------------------------------------------------------------------
# The launch template version
# ---------------------------------------------------------------------------------------------------------------

def resolve_template_version(params, nodegroup, ec2):
    """The wanted launch template version as a number string ($Latest / $Default looked up with the EC2 client
    ec2() returns), or None. Only an existing node group needs the number (to compare); EKS resolves it at creation."""
    template = params.get("launch_template")
    version = (template or {}).get("version")
    if not version or version not in ("$Latest", "$Default") or nodegroup is None:
        return version
    request = {"LaunchTemplateIds": [template["id"]]} if template.get("id") else {"LaunchTemplateNames": [template["name"]]}
    found = ec2().describe_launch_templates(aws_retry=True, **request)["LaunchTemplates"][0]
    return str(found["LatestVersionNumber" if version == "$Latest" else "DefaultVersionNumber"])


# ---------------------------------------------------------------------------------------------------------------
# Waits
# ---------------------------------------------------------------------------------------------------------------

def wait_for_nodegroup(module, client, gone=False, usable=("ACTIVE",)):
    """Poll DescribeNodegroup until its status is one of `usable` (or, with gone, until it no longer exists).

    Returns the node group. Fails on CREATE_FAILED, DELETING, DELETE_FAILED and, when not usable, DEGRADED (a node
    group that has just been created DEGRADED does not heal by itself soon), with the health issues.
    """
    params = module.params
    cluster_name, name = params["cluster_name"], params["name"]
    label = f"EKS node group {name} of {cluster_name}"

    def timed_out(nodegroup):
        return (f"Timed out after {params['wait_timeout']} s waiting for {label} to be "
                f"{'deleted' if gone else 'ACTIVE'} (now {(nodegroup or {}).get('status')}: {health_issues(nodegroup)})")

    judge = resource_judge(
        ready=usable, failing=("DELETE_FAILED",) if gone else ("CREATE_FAILED", "DELETING", "DELETE_FAILED", "DEGRADED"),
        failure=lambda nodegroup: failed(f"{label} is {nodegroup['status']}: {health_issues(nodegroup)}"),
        missing=f"{label} disappeared while waiting for it", gone=gone)
    return wait(lambda: describe_nodegroup(client, cluster_name, name), judge, params["wait_timeout"],
                module.fail_json, timed_out)


def update_errors(update):
    return "; ".join(f"{e.get('errorCode')}: {e.get('errorMessage')}" for e in update.get("errors") or [])


def wait_for_update(module, client, update):
    """Poll DescribeUpdate until the update is Successful; fail on Failed or Cancelled."""
    params = module.params
    cluster_name, name = params["cluster_name"], params["name"]
    label = f"of node group {name} of {cluster_name}"
    return wait(
        lambda: client.describe_update(name=cluster_name, nodegroupName=name, updateId=update["id"],
                                       aws_retry=True)["update"],
        update_judge(lambda last: f"EKS update {last.get('id')} ({last.get('type')}) {label} ended {last['status']}: "
                                  f"{update_errors(last) or 'no errors reported'}"),
        params["wait_timeout"], module.fail_json,
        lambda last: f"Timed out after {params['wait_timeout']} s waiting for EKS update {last.get('id')} {label} "
                     f"(now {last.get('status')})",
        first=update)
