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
  node_repair:
    description:
      - EKS node auto repair (C(nodeRepairConfig)) - EKS replaces or reboots nodes that the node monitoring agent or
        the kubelet report unhealthy. Not managed when unset.
      - A threshold left out is EKS's default, and is not compared. For each pair, give the count or the percentage.
    type: dict
    suboptions:
      enabled:
        description: Repair unhealthy nodes.
        type: bool
        required: true
      max_unhealthy_node_threshold_count:
        description: Stop repairing when more nodes than this are unhealthy (a wider problem than one node).
        type: int
      max_unhealthy_node_threshold_percentage:
        description: The same, as a percentage of the group's nodes (1 to 100).
        type: int
      max_parallel_nodes_repaired_count:
        description: At most this many nodes repaired at a time.
        type: int
      max_parallel_nodes_repaired_percentage:
        description: The same, as a percentage of the group's nodes (1 to 100).
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
    node_repair:
      enabled: true
      max_unhealthy_node_threshold_percentage: 20
      max_parallel_nodes_repaired_percentage: 10
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

from functools import partial

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, health_issues, update_tags
from ansible_collections.triptrip.platform.plugins.module_utils.nodegroup import (
    AMI_TYPES, create_request, create_settings, describe_nodegroup, desired_settings, ec2_client, nodegroup_result,
    plan, resolve_template_version, settings, validate, wait_for_nodegroup, wait_for_update)
from ansible_collections.triptrip.platform.plugins.module_utils.retries import call_passing_role

# The logic is in module_utils/nodegroup.py (validation, --diff settings, the plan of update calls, the launch
# template version, the waits); this module carries the plan out in the order EKS takes it.


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
                     nodegroup=nodegroup_result(nodegroup), diff={"before": {}, "after": create_settings(params)})


def ensure_converged(module, client, nodegroup):
    params = module.params
    name = params["name"]
    status = nodegroup.get("status")
    if status in ("DELETING", "CREATE_FAILED", "DELETE_FAILED"):
        module.fail_json(msg=f"EKS node group {name} of {params['cluster_name']} is {status} ({health_issues(nodegroup)}): "
                             f"delete it (state=absent) and create it again")
    if status in ("CREATING", "UPDATING") and params["wait"] and not module.check_mode:
        # EKS refuses an update while another runs (an earlier run with wait=false, the console, eksctl).
        nodegroup = wait_for_nodegroup(module, client, usable=("ACTIVE", "DEGRADED"))

    steps = plan(params, nodegroup, resolve_template_version(params, nodegroup, partial(ec2_client, module)))
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
        update_tags(client, nodegroup["nodegroupArn"], steps["add_tags"], steps["remove_tags"])
        nodegroup = describe_nodegroup(client, params["cluster_name"], name)
    module.exit_json(changed=changed, updates=updates, nodegroup=nodegroup_result(nodegroup),
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
            node_repair=dict(type="dict", options=dict(
                enabled=dict(type="bool", required=True),
                max_unhealthy_node_threshold_count=dict(type="int"),
                max_unhealthy_node_threshold_percentage=dict(type="int"),
                max_parallel_nodes_repaired_count=dict(type="int"),
                max_parallel_nodes_repaired_percentage=dict(type="int"),
            )),
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
