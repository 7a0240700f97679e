#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_nodegroup
short_description: Create, converge and delete an Amazon EKS managed node group
version_added: 0.1.0
description:
  - Creates an EKS managed node group with exactly the settings the task gives, converges an existing one to
    them, or deletes it.
  - Compares desired and actual first and calls AWS only when they differ; a run where nothing differs makes
    only read calls.
  - Labels, taints, scaling and the update configuration of an existing node group change with one
    C(UpdateNodegroupConfig) call carrying every part that differs; the launch template version, the Kubernetes
    I(version) and the I(release_version) change with one C(UpdateNodegroupVersion) call; tags change with
    C(TagResource) / C(UntagResource) on the node group ARN. The node group is never deleted and re-created.
  - Settings EKS cannot change on an existing node group (I(instance_types), I(capacity_type), I(ami_type),
    I(subnets), I(node_role_arn), I(disk_size), the launch template id or name) fail with a message naming the
    option, the current and the wanted value, before any change. Such a change needs a new node group.
  - "By default the cluster autoscaler owns the desired size: see I(desired_size_policy)."
  - Supports check mode (reports what would change, calls no write API) and diff (the managed settings before
    and after, in snake_case).
  - Calls retry with jittered backoff on throttling (C(ThrottlingException)) and transient errors.
  - Calls that pass an IAM role retry for up to 90 seconds while EKS answers that the role cannot be assumed or
    lacks its policies (IAM's eventual consistency right after the role is created).
  - Written instead of community.aws.eks_nodegroup, which crashes on a taint value change, misses label value
    changes, fails on tag changes, enforces the desired size on every run, under-reports in check mode and does
    not know the AL2023 AMI types.
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the EKS cluster the node group belongs to.
    type: str
    required: true
  name:
    description: Name of the node group.
    type: str
    required: true
  state:
    description:
      - C(present) creates the node group when it does not exist and converges it when it does.
      - C(absent) deletes it (and, with I(wait), waits until it is gone). Nothing is called when it is already
        absent.
    type: str
    choices: [present, absent]
    default: present
  node_role_arn:
    description:
      - ARN of the IAM role the nodes run with. Required to create.
      - Cannot change on an existing node group.
    type: str
  subnets:
    description:
      - Subnet ids the nodes are launched in. Required to create. Compared regardless of order.
      - Cannot change on an existing node group.
    type: list
    elements: str
  instance_types:
    description:
      - EC2 instance types of the nodes, in priority order (compared in order). Leave unset when the launch
        template sets the instance type.
      - Cannot change on an existing node group. Not compared when unset.
    type: list
    elements: str
  capacity_type:
    description:
      - Purchase option of the nodes.
      - Cannot change on an existing node group; an existing group of another type fails unless the task says
        that type.
    type: str
    choices: [ON_DEMAND, SPOT, CAPACITY_BLOCK]
    default: ON_DEMAND
  ami_type:
    description:
      - AMI family of the nodes. C(CUSTOM) when the launch template names an AMI; EKS chooses one when unset.
      - Cannot change on an existing node group. Not compared when unset.
    type: str
    choices:
      - AL2023_x86_64_STANDARD
      - AL2023_ARM_64_STANDARD
      - AL2023_x86_64_NVIDIA
      - AL2023_ARM_64_NVIDIA
      - AL2023_x86_64_NEURON
      - BOTTLEROCKET_x86_64
      - BOTTLEROCKET_ARM_64
      - BOTTLEROCKET_x86_64_FIPS
      - BOTTLEROCKET_ARM_64_FIPS
      - BOTTLEROCKET_x86_64_NVIDIA
      - BOTTLEROCKET_ARM_64_NVIDIA
      - BOTTLEROCKET_x86_64_NVIDIA_FIPS
      - BOTTLEROCKET_ARM_64_NVIDIA_FIPS
      - CUSTOM
      - AL2_x86_64
      - AL2_x86_64_GPU
      - AL2_ARM_64
      - WINDOWS_CORE_2019_x86_64
      - WINDOWS_FULL_2019_x86_64
      - WINDOWS_CORE_2022_x86_64
      - WINDOWS_FULL_2022_x86_64
      - WINDOWS_CORE_2025_x86_64
      - WINDOWS_FULL_2025_x86_64
  disk_size:
    description:
      - Root volume size of the nodes, in GiB. Only without I(launch_template) (the launch template sets the
        volumes then); giving both fails.
      - Cannot change on an existing node group. Not compared when unset.
    type: int
  scaling:
    description:
      - Size of the node group's Auto Scaling group. Each size given is compared; the ones left out are not.
      - Must satisfy O(scaling.min_size) <= O(scaling.desired_size) <= O(scaling.max_size), O(scaling.min_size) >= 0
        and O(scaling.max_size) >= 1; a violation fails, naming the option, before any AWS call. A size given
        alone is also checked against the node group's other current sizes.
    type: dict
    suboptions:
      min_size:
        description: Minimum number of nodes.
        type: int
      max_size:
        description: Maximum number of nodes.
        type: int
      desired_size:
        description:
          - Number of nodes wanted. When it is sent is up to I(desired_size_policy).
        type: int
  desired_size_policy:
    description:
      - When O(scaling.desired_size) is sent to EKS.
      - C(create) sends it only when creating the node group. Later runs leave the current desired size alone (the
        cluster autoscaler owns it), unless it falls outside the wanted [min_size, max_size]; then it is clamped
        to the nearest bound.
      - C(enforce) sends it whenever it differs from the current desired size (and clamps like C(create) when
        O(scaling.desired_size) is unset).
    type: str
    choices: [create, enforce]
    default: create
  labels:
    description:
      - Kubernetes labels of the nodes, exactly (labels not listed are removed; C({}) removes all). Values are
        compared too. Not managed when unset.
    type: dict
  taints:
    description:
      - Kubernetes taints of the nodes, exactly (taints not listed are removed; C([]) removes all). Not managed
        when unset.
      - A taint is identified by its key and effect; a different value updates it in place.
    type: list
    elements: dict
    suboptions:
      key:
        description: Taint key.
        type: str
        required: true
      value:
        description: Taint value (may be left out).
        type: str
      effect:
        description:
          - Taint effect, in Kubernetes spelling (C(NoSchedule), C(NoExecute), C(PreferNoSchedule)) or EKS
            spelling (C(NO_SCHEDULE), C(NO_EXECUTE), C(PREFER_NO_SCHEDULE)); normalised to EKS's. Anything else
            fails naming C(taints[i].effect).
        type: str
        required: true
  update_config:
    description:
      - How many nodes a version update may take down at a time. Give one of the two sizes. Not managed when unset.
    type: dict
    suboptions:
      max_unavailable:
        description: Number of nodes (at least 1).
        type: int
      max_unavailable_percentage:
        description: Percentage of the nodes, 1 to 100.
        type: int
  launch_template:
    description:
      - EC2 launch template of the nodes, by O(launch_template.id) or O(launch_template.name) (one of them).
      - The id or name cannot change on an existing node group; the version can (C(UpdateNodegroupVersion)).
    type: dict
    suboptions:
      id:
        description: Launch template id.
        type: str
      name:
        description: Launch template name.
        type: str
      version:
        description:
          - Launch template version, as a string (C("3")). C($Latest) and C($Default) are resolved to their number
            (with EC2 C(DescribeLaunchTemplates)) to compare with an existing node group. EKS uses the template's
            default version when unset at creation; not compared when unset.
        type: str
  version:
    description:
      - Kubernetes minor of the nodes, as C("1.35"). EKS uses the cluster's when unset at creation. Changing it
        upgrades the nodes (C(UpdateNodegroupVersion)). Not compared when unset. Not with O(ami_type=CUSTOM).
    type: str
  release_version:
    description:
      - AMI release version of the nodes (as C(1.35.0-20260115)). EKS uses the latest for I(version) when unset.
        Not compared when unset. Not with O(ami_type=CUSTOM).
    type: str
  tags:
    description: Tags of the node group (the EKS resource). Not managed when unset.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags) (tags starting with C(aws:) are always kept). Only with I(tags).
    type: bool
    default: true
  wait:
    description:
      - Wait for the node group to be C(ACTIVE) after a creation (failing on C(CREATE_FAILED) with its health
        issues), for each update to end C(Successful) (failing on C(Failed) or C(Cancelled) with its errors), and
        for a deletion to finish.
      - When a run needs both a configuration and a version update, the first is always waited for, because EKS
        refuses a second update while one is in progress.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each creation, update or deletion.
    type: int
    default: 1200
notes:
  - Nodes are replaced (drained, then terminated) by a version or launch template version update; labels and
    taints are applied to the existing nodes.
  - To change a setting EKS cannot change, create a new node group with it, drain the old group's nodes, then
    delete the old node group.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: General purpose node group, scaled by the cluster autoscaler
  triptrip.platform.eks_nodegroup:
    cluster_name: triptrip-production
    name: general-a
    node_role_arn: arn:aws:iam::123456789012:role/triptrip-production-node
    subnets: [subnet-0a, subnet-0c, subnet-0d]
    instance_types: [m7i.large, m6i.large]
    ami_type: AL2023_x86_64_STANDARD
    launch_template:
      name: triptrip-production-general
      version: "3"
    scaling:
      min_size: 3
      max_size: 12
      desired_size: 3
    update_config:
      max_unavailable_percentage: 33
    labels:
      triptrip.io/pool: general
    taints:
      - key: dedicated
        value: general
        effect: NoSchedule
    tags:
      Environment: production

- name: Pin the node count (no autoscaler)
  triptrip.platform.eks_nodegroup:
    cluster_name: triptrip-staging
    name: system
    scaling: {min_size: 2, max_size: 2, desired_size: 2}
    desired_size_policy: enforce

- name: Remove the old node group once its nodes are drained
  triptrip.platform.eks_nodegroup:
    cluster_name: triptrip-production
    name: general-old
    state: absent
"""

RETURN = r"""
nodegroup:
  description:
    - The node group as C(DescribeNodegroup) returns it after the run, keys in snake_case (tag and label keys kept
      as they are). In check mode, the node group as it is now.
  returned: when the node group exists after the run (or, in check mode, exists now)
  type: dict
  sample:
    nodegroup_name: general-a
    cluster_name: triptrip-production
    status: ACTIVE
    scaling_config: {min_size: 3, max_size: 12, desired_size: 4}
    labels: {triptrip.io/pool: general}
    taints: [{key: dedicated, value: general, effect: NO_SCHEDULE}]
    tags: {Environment: production}
updates:
  description:
    - The write calls made (in check mode, planned), in order. C(what) lists the parts each call changes;
      C(id), C(type) and C(status) are EKS's for the update calls it answers with an update.
  returned: always
  type: list
  elements: dict
  sample:
    - {call: update_nodegroup_config, what: [labels, taints], id: 0f3c-..., type: ConfigUpdate, status: Successful}
    - {call: tag_resource, what: [tags]}
"""

import re
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client
from ansible_collections.triptrip.platform.plugins.module_utils.retries import call_passing_role

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
POLL_SECONDS = 10
IMMUTABLE_ADVICE = (
    "The node group must be replaced: create a new node group with the new settings, drain the old group's nodes, "
    "then delete the old node group. Nothing was changed."
)


def ec2_client(module):
    """EC2 client, only to resolve a launch template's $Latest / $Default version."""
    return module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30))


def snake(nodegroup):
    """AWS's camelCase node group as snake_case, keeping tag and label keys as they are."""
    if nodegroup is None:
        return None
    return camel_dict_to_snake_dict(nodegroup, ignore_list=["tags", "labels"])


def describe_nodegroup(client, cluster_name, name):
    """The node group as EKS describes it, or None when it (or its cluster) does not exist."""
    try:
        return client.describe_nodegroup(clusterName=cluster_name, nodegroupName=name, aws_retry=True)["nodegroup"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


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
        "tags": dict(nodegroup.get("tags") or {}),
    }


def wanted_labels(params):
    return {str(k): str(v) for k, v in params["labels"].items()}


def wanted_tags(params):
    return {str(k): str(v) for k, v in params["tags"].items()}


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
    if config:
        result["config"] = {"clusterName": cluster_name, "nodegroupName": name, **config}
        result["config_parts"] = [{"labels": "labels", "taints": "taints", "scalingConfig": "scaling",
                                   "updateConfig": "update_config"}[k] for k in config]

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

    if params.get("tags") is not None:
        want, have = wanted_tags(params), nodegroup.get("tags") or {}
        result["add_tags"] = {k: v for k, v in want.items() if have.get(k) != v}
        if params["purge_tags"]:
            result["remove_tags"] = sorted(k for k in have if k not in want and not k.startswith("aws:"))
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
    version = steps.get("version") or {}
    if "launchTemplate" in version:
        after["launch_template"] = {**after["launch_template"], "version": version["launchTemplate"]["version"]}
    for key, option in (("version", "version"), ("releaseVersion", "release_version")):
        if key in version:
            after[option] = version[key]
    if params.get("tags") is not None:
        tags = {k: v for k, v in have.get("tags", {}).items() if k not in steps["remove_tags"]}
        after["tags"] = {**tags, **steps["add_tags"]}
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
        request["tags"] = wanted_tags(params)
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
        "tags": request.get("tags") or {},
    }


# ---------------------------------------------------------------------------------------------------------------
# Waits
# ---------------------------------------------------------------------------------------------------------------

def health(nodegroup):
    """The node group's health issues, one line."""
    issues = []
    for issue in ((nodegroup or {}).get("health") or {}).get("issues") or []:
        resources = f" ({', '.join(issue['resourceIds'])})" if issue.get("resourceIds") else ""
        issues.append(f"{issue.get('code')}: {issue.get('message')}{resources}")
    return "; ".join(issues) or "no health issues reported"


def wait_for_nodegroup(module, client, gone=False, usable=("ACTIVE",)):
    """Poll DescribeNodegroup until its status is one of `usable` (or, with gone, until it no longer exists).

    Returns the node group. Fails on CREATE_FAILED, DELETING, DELETE_FAILED and, when not usable, DEGRADED (a node
    group that has just been created DEGRADED does not heal by itself soon), with the health issues.
    """
    params = module.params
    cluster_name, name = params["cluster_name"], params["name"]
    deadline = time.monotonic() + params["wait_timeout"]
    while True:
        nodegroup = describe_nodegroup(client, cluster_name, name)
        status = (nodegroup or {}).get("status")
        if gone:
            if nodegroup is None:
                return None
            if status == "DELETE_FAILED":
                module.fail_json(msg=f"EKS node group {name} of {cluster_name} is DELETE_FAILED: {health(nodegroup)}")
        else:
            if nodegroup is None:
                module.fail_json(msg=f"EKS node group {name} of {cluster_name} disappeared while waiting for it")
            if status in usable:
                return nodegroup
            if status in ("CREATE_FAILED", "DELETING", "DELETE_FAILED", "DEGRADED"):
                module.fail_json(msg=f"EKS node group {name} of {cluster_name} is {status}: {health(nodegroup)}")
        if time.monotonic() >= deadline:
            module.fail_json(msg=(f"Timed out after {params['wait_timeout']} s waiting for EKS node group {name} of "
                                  f"{cluster_name} to be {'deleted' if gone else 'ACTIVE'} (now {status}: "
                                  f"{health(nodegroup)})"))
        time.sleep(POLL_SECONDS)


def wait_for_update(module, client, update):
    """Poll DescribeUpdate until the update is Successful; fail on Failed or Cancelled."""
    params = module.params
    cluster_name, name = params["cluster_name"], params["name"]
    deadline = time.monotonic() + params["wait_timeout"]
    while True:
        status = update.get("status")
        if status == "Successful":
            return update
        if status in ("Failed", "Cancelled"):
            errors = "; ".join(f"{e.get('errorCode')}: {e.get('errorMessage')}" for e in update.get("errors") or [])
            module.fail_json(msg=f"EKS update {update.get('id')} ({update.get('type')}) of node group {name} of "
                                 f"{cluster_name} ended {status}: {errors or 'no errors reported'}")
        if time.monotonic() >= deadline:
            module.fail_json(msg=f"Timed out after {params['wait_timeout']} s waiting for EKS update {update.get('id')} "
                                 f"of node group {name} of {cluster_name} (now {status})")
        time.sleep(POLL_SECONDS)
        update = client.describe_update(name=cluster_name, nodegroupName=name, updateId=update["id"],
                                        aws_retry=True)["update"]


def resolve_template_version(module, params, nodegroup):
    """The wanted launch template version as a number string ($Latest / $Default looked up), or None."""
    template = params.get("launch_template")
    version = (template or {}).get("version")
    if not version or version not in ("$Latest", "$Default") or nodegroup is None:
        return version
    request = {"LaunchTemplateIds": [template["id"]]} if template.get("id") else {"LaunchTemplateNames": [template["name"]]}
    found = ec2_client(module).describe_launch_templates(aws_retry=True, **request)["LaunchTemplates"][0]
    return str(found["LatestVersionNumber" if version == "$Latest" else "DefaultVersionNumber"])


# ---------------------------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------------------------

def ensure_absent(module, client, nodegroup):
    if nodegroup is None:
        module.exit_json(changed=False, updates=[])
    diff = {"before": settings(nodegroup), "after": {}}
    if nodegroup.get("status") == "DELETING":
        if not module.check_mode and module.params["wait"]:
            wait_for_nodegroup(module, client, gone=True)
        module.exit_json(changed=False, updates=[])
    if not module.check_mode:
        client.delete_nodegroup(clusterName=module.params["cluster_name"], nodegroupName=module.params["name"],
                                aws_retry=True)
        if module.params["wait"]:
            wait_for_nodegroup(module, client, gone=True)
    module.exit_json(changed=True, updates=[{"call": "delete_nodegroup", "what": ["nodegroup"]}], diff=diff)


def ensure_created(module, client):
    params = module.params
    missing = [opt for opt in ("node_role_arn", "subnets") if not params.get(opt)]
    if missing:
        module.fail_json(msg=f"to create EKS node group {params['name']} of {params['cluster_name']}, set "
                             f"{' and '.join(missing)}")
    nodegroup = None
    if not module.check_mode:
        nodegroup = call_passing_role(client.create_nodegroup, **create_request(params))["nodegroup"]
        if params["wait"]:
            nodegroup = wait_for_nodegroup(module, client)
    module.exit_json(changed=True, updates=[{"call": "create_nodegroup", "what": ["nodegroup"]}],
                     nodegroup=snake(nodegroup), diff={"before": {}, "after": create_settings(params)})


def ensure_converged(module, client, nodegroup):
    params = module.params
    name = params["name"]
    status = nodegroup.get("status")
    if status in ("DELETING", "CREATE_FAILED", "DELETE_FAILED"):
        module.fail_json(msg=f"EKS node group {name} of {params['cluster_name']} is {status} ({health(nodegroup)}): "
                             f"delete it (state=absent) and create it again")
    if status in ("CREATING", "UPDATING") and params["wait"] and not module.check_mode:
        # EKS refuses an update while another runs (an earlier run with wait=false, the console, eksctl).
        nodegroup = wait_for_nodegroup(module, client, usable=("ACTIVE", "DEGRADED"))

    steps = plan(params, nodegroup, resolve_template_version(module, params, nodegroup))
    if steps["refusal"]:
        module.fail_json(msg=f"EKS node group {name} of {params['cluster_name']}: {steps['refusal']}")

    updates = []
    if steps["config"]:
        updates.append({"call": "update_nodegroup_config", "what": steps["config_parts"]})
    if steps["version"]:
        updates.append({"call": "update_nodegroup_version", "what": steps["version_parts"]})
    if steps["add_tags"]:
        updates.append({"call": "tag_resource", "what": ["tags"]})
    if steps["remove_tags"]:
        updates.append({"call": "untag_resource", "what": ["tags"]})
    changed = bool(updates)
    before = settings(nodegroup)
    after = desired_settings(params, before, steps)

    if changed and not module.check_mode:
        eks_updates = [(entry, entry["call"].rpartition("_")[2]) for entry in updates
                       if entry["call"] in ("update_nodegroup_config", "update_nodegroup_version")]
        for index, (entry, key) in enumerate(eks_updates):
            response = getattr(client, entry["call"])(aws_retry=True, **steps[key])
            update = response.get("update") or {}
            entry.update({k: update.get(k) for k in ("id", "type", "status")})
            # EKS refuses a second update while one is in progress: always wait for all but the last.
            if params["wait"] or index < len(eks_updates) - 1:
                update = wait_for_update(module, client, update)
                entry["status"] = update.get("status")
        if steps["add_tags"]:
            client.tag_resource(resourceArn=nodegroup["nodegroupArn"], tags=steps["add_tags"], aws_retry=True)
        if steps["remove_tags"]:
            client.untag_resource(resourceArn=nodegroup["nodegroupArn"], tagKeys=steps["remove_tags"], aws_retry=True)
        nodegroup = describe_nodegroup(client, params["cluster_name"], name)
    module.exit_json(changed=changed, updates=updates, nodegroup=snake(nodegroup),
                     diff={"before": before, "after": after} if changed else {})


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            node_role_arn=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            instance_types=dict(type="list", elements="str"),
            capacity_type=dict(type="str", choices=["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"], default="ON_DEMAND"),
            ami_type=dict(type="str", choices=AMI_TYPES),
            disk_size=dict(type="int"),
            scaling=dict(type="dict", options=dict(
                min_size=dict(type="int"),
                max_size=dict(type="int"),
                desired_size=dict(type="int"),
            )),
            desired_size_policy=dict(type="str", choices=["create", "enforce"], default="create"),
            labels=dict(type="dict"),
            taints=dict(type="list", elements="dict", options=dict(
                key=dict(type="str", required=True, no_log=False),
                value=dict(type="str"),
                effect=dict(type="str", required=True),
            )),
            update_config=dict(type="dict", options=dict(
                max_unavailable=dict(type="int"),
                max_unavailable_percentage=dict(type="int"),
            ), mutually_exclusive=[["max_unavailable", "max_unavailable_percentage"]],
                required_one_of=[["max_unavailable", "max_unavailable_percentage"]]),
            launch_template=dict(type="dict", options=dict(
                id=dict(type="str"),
                name=dict(type="str"),
                version=dict(type="str"),
            ), mutually_exclusive=[["id", "name"]], required_one_of=[["id", "name"]]),
            version=dict(type="str"),
            release_version=dict(type="str"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    params = module.params
    error = validate(params)
    if error:
        module.fail_json(msg=error)
    client = eks_client(module)
    try:
        nodegroup = describe_nodegroup(client, params["cluster_name"], params["name"])
        if params["state"] == "absent":
            ensure_absent(module, client, nodegroup)
        if nodegroup is None:
            ensure_created(module, client)
        ensure_converged(module, client, nodegroup)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"EKS node group {params['name']} of {params['cluster_name']}")


if __name__ == "__main__":
    main()
