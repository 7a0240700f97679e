#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_cluster
short_description: Create an Amazon EKS cluster and converge its configuration
version_added: 0.1.0
description:
  - Creates an EKS cluster with everything spec 2.1.2 sets at creation (endpoint access, secrets encryption
    with a KMS key, control plane logging, access configuration, deletion protection, tags), and converges an
    existing cluster to the same settings with the EKS update calls, one update at a time.
  - Upgrades the Kubernetes version one minor at a time. A jump of two or more minors, or a downgrade, fails
    before any call, saying which version to set first.
  - Settings EKS cannot change on an existing cluster (the cluster role, a different encryption key) fail with
    a message naming the option, before any change.
  - Compares desired and actual first and calls AWS only when they differ. Supports check mode and diff.
  - Calls retry with jittered backoff on throttling (C(ThrottlingException)) and transient errors.
  - Calls that pass an IAM role retry for up to 90 seconds while EKS answers that the role cannot be assumed or
    lacks its policies (IAM's eventual consistency right after the role is created).
author:
  - TripTrip Platform Team (@triptrip)
options:
  name:
    description: Cluster name.
    type: str
    required: true
  state:
    description: C(present) creates or converges; C(absent) deletes (refused while deletion protection is on).
    type: str
    choices: [present, absent]
    default: present
  version:
    description: Kubernetes minor, as C("1.35"). Required to create.
    type: str
  role_arn:
    description: Cluster IAM role. Required to create; cannot change afterwards.
    type: str
  subnets:
    description: Subnet ids of the control plane ENIs. Required to create.
    type: list
    elements: str
  security_groups:
    description: Additional security group ids of the control plane ENIs.
    type: list
    elements: str
    default: []
  endpoint_private_access:
    description: API endpoint reachable from inside the VPC.
    type: bool
    default: true
  endpoint_public_access:
    description: API endpoint reachable from the internet.
    type: bool
    default: false
  public_access_cidrs:
    description: CIDRs allowed to the public endpoint; ignored while it is off.
    type: list
    elements: str
    default: []
  logging_types:
    description: Control plane log types to enable; the others are disabled.
    type: list
    elements: str
    choices: [api, audit, authenticator, controllerManager, scheduler]
    default: []
  encryption_kms_key_arn:
    description:
      - KMS key that envelope-encrypts Kubernetes secrets. Added to an existing cluster without it; a
        different key than the one in use is refused (EKS cannot change it).
    type: str
  authentication_mode:
    description: How IAM principals authenticate (access entries C(API) is the spec's choice).
    type: str
    choices: [API, API_AND_CONFIG_MAP, CONFIG_MAP]
  bootstrap_cluster_creator_admin_permissions:
    description: Give the creating principal cluster admin through an access entry. Used at creation only.
    type: bool
    default: false
  bootstrap_self_managed_addons:
    description:
      - Let EKS install the self-managed aws-node, kube-proxy and CoreDNS at creation (EKS's default). C(false)
        leaves them to the managed add-ons, which can then be created before the first node group (EKS's
        documented order). Used at creation only; omitted, the request leaves EKS's default.
    type: bool
  deletion_protection:
    description: Refuse deletion of the cluster until turned off.
    type: bool
  support_type:
    description:
      - The cluster's upgrade policy. C(STANDARD) lets EKS upgrade the control plane when standard support of its
        minor ends; C(EXTENDED) keeps the minor for up to 12 more months, at the extended support price.
      - Omitted, the request leaves EKS's default (C(EXTENDED)) and a run leaves the cluster's alone.
    type: str
    choices: [STANDARD, EXTENDED]
  zonal_shift:
    description:
      - Let Amazon Application Recovery Controller shift the cluster's traffic away from an impaired availability
        zone (zonal shift and zonal autoshift). Omitted, the request leaves EKS's default (off).
    type: bool
  control_plane_tier:
    description:
      - The control plane's provisioned scaling tier. C(standard) scales with the load (EKS's default); the
        C(tier-*) tiers keep a capacity provisioned, at their hourly price.
      - Omitted, the request leaves EKS's default and a run leaves the cluster's alone.
    type: str
    choices: [standard, tier-xl, tier-2xl, tier-4xl, tier-8xl]
  tags:
    description: Tags of the cluster.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags).
    type: bool
    default: true
  wait:
    description: Wait for the cluster to be ACTIVE after a creation or an update, and for deletion to finish.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each creation, update or deletion.
    type: int
    default: 2400
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create or converge the production cluster
  triptrip.platform.eks_cluster:
    name: triptrip-production
    version: "1.35"
    role_arn: arn:aws:iam::123456789012:role/triptrip-production-cluster
    subnets: [subnet-0a, subnet-0c, subnet-0d]
    security_groups: [sg-0123]
    endpoint_private_access: true
    endpoint_public_access: false
    logging_types: [api, audit, authenticator, controllerManager, scheduler]
    encryption_kms_key_arn: arn:aws:kms:ap-northeast-1:123456789012:key/0000-1111
    authentication_mode: API
    bootstrap_self_managed_addons: false
    deletion_protection: true
    support_type: EXTENDED
    zonal_shift: true
    control_plane_tier: standard
    tags:
      Environment: production
"""

RETURN = r"""
cluster:
  description: The cluster as C(DescribeCluster) returns it after the run, keys in snake_case (tag keys kept).
  returned: when the cluster exists after the run
  type: dict
updates:
  description: The EKS update calls made (or, in check mode, planned), in order.
  returned: always
  type: list
  elements: dict
  sample: [{"call": "update_cluster_config", "what": "logging"}]
"""

import re
from functools import partial

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import (
    describe_cluster, eks_client, endpoint_access_request, snake, update_tags)
from ansible_collections.triptrip.platform.plugins.module_utils.retries import call_passing_role
from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, wanted_tags
from ansible_collections.triptrip.platform.plugins.module_utils.waiters import (
    failed, resource_judge, update_judge, wait)

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def minor(version):
    major, _dot, rest = str(version).partition(".")
    return int(major), int(rest.split(".")[0])


def enabled_log_types(cluster):
    enabled = set()
    for entry in (cluster.get("logging") or {}).get("clusterLogging") or []:
        if entry.get("enabled"):
            enabled.update(entry.get("types") or [])
    return sorted(enabled)


def encryption_key(cluster):
    for entry in cluster.get("encryptionConfig") or []:
        if "secrets" in (entry.get("resources") or []):
            return (entry.get("provider") or {}).get("keyArn")
    return None


def settings(cluster):
    """The settings this module manages, as a small dict: what --diff shows."""
    vpc = cluster.get("resourcesVpcConfig") or {}
    return {
        "version": cluster.get("version"),
        "subnets": sorted(vpc.get("subnetIds") or []),
        "security_groups": sorted(vpc.get("securityGroupIds") or []),
        "endpoint_private_access": vpc.get("endpointPrivateAccess"),
        "endpoint_public_access": vpc.get("endpointPublicAccess"),
        "public_access_cidrs": sorted(vpc.get("publicAccessCidrs") or []) if vpc.get("endpointPublicAccess") else [],
        "logging_types": enabled_log_types(cluster),
        "encryption_kms_key_arn": encryption_key(cluster),
        "authentication_mode": (cluster.get("accessConfig") or {}).get("authenticationMode"),
        "deletion_protection": bool(cluster.get("deletionProtection")),
        "support_type": (cluster.get("upgradePolicy") or {}).get("supportType"),
        "zonal_shift": bool((cluster.get("zonalShiftConfig") or {}).get("enabled")),
        "control_plane_tier": (cluster.get("controlPlaneScalingConfig") or {}).get("tier"),
        "tags": dict(cluster.get("tags") or {}),
    }


def desired_settings(params, have):
    """`have` with every setting the task states put in its place."""
    want = dict(have)
    for key in ("version", "authentication_mode", "encryption_kms_key_arn", "deletion_protection", "support_type",
                "zonal_shift", "control_plane_tier"):
        if params.get(key) is not None:
            want[key] = params[key]
    if params.get("subnets"):
        want["subnets"] = sorted(params["subnets"])
    if params.get("security_groups") is not None:
        want["security_groups"] = sorted(params["security_groups"])
    want["endpoint_private_access"] = params["endpoint_private_access"]
    want["endpoint_public_access"] = params["endpoint_public_access"]
    want["public_access_cidrs"] = sorted(params["public_access_cidrs"] or ["0.0.0.0/0"]) if params["endpoint_public_access"] else []
    want["logging_types"] = sorted(params["logging_types"])
    if params.get("tags") is not None:
        tags = wanted_tags(params["tags"])
        want["tags"] = tags if params["purge_tags"] else {**have["tags"], **tags}
    return want


def plan(params, cluster):
    """The update calls that take `cluster` (as EKS describes it) to `params`, or a refusal.

    Returns (calls, refusal): calls is a list of (what, api_call, kwargs), in the order EKS takes them.
    """
    name = params["name"]
    calls = []
    if params.get("role_arn") and cluster.get("roleArn") and params["role_arn"] != cluster["roleArn"]:
        return [], f"role_arn cannot change on an existing cluster ({cluster['roleArn']} -> {params['role_arn']})"
    key = encryption_key(cluster)
    want_key = params.get("encryption_kms_key_arn")
    if want_key and key and want_key != key:
        return [], f"encryption_kms_key_arn cannot change once secrets are encrypted ({key} -> {want_key})"

    if params.get("version") and cluster.get("version") and params["version"] != cluster["version"]:
        have, want = minor(cluster["version"]), minor(params["version"])
        if want < have:
            return [], f"version {params['version']} is older than the cluster's {cluster['version']}: EKS cannot downgrade"
        if want[0] != have[0] or want[1] - have[1] > 1:
            step = f"{have[0]}.{have[1] + 1}"
            return [], (
                f"version {params['version']} is more than one minor above the cluster's {cluster['version']}: "
                f"EKS upgrades one minor at a time, so set version to {step} first"
            )

    vpc = cluster.get("resourcesVpcConfig") or {}
    access = endpoint_access_request(params["endpoint_private_access"], params["endpoint_public_access"],
                                     params["public_access_cidrs"])
    have_access = {k: vpc.get(k) for k in access}
    if have_access.get("publicAccessCidrs") is not None:
        have_access["publicAccessCidrs"] = sorted(have_access["publicAccessCidrs"])
    if have_access != access:
        calls.append(("endpoint access", "update_cluster_config", {"name": name, "resourcesVpcConfig": access}))

    network = {}
    if params.get("subnets") and sorted(params["subnets"]) != sorted(vpc.get("subnetIds") or []):
        network["subnetIds"] = params["subnets"]
    if params.get("security_groups") is not None and sorted(params["security_groups"]) != sorted(vpc.get("securityGroupIds") or []):
        network["securityGroupIds"] = params["security_groups"]
    if network:
        calls.append(("subnets and security groups", "update_cluster_config", {"name": name, "resourcesVpcConfig": network}))

    have_logs, want_logs = enabled_log_types(cluster), sorted(params["logging_types"])
    if have_logs != want_logs:
        logging = [{"types": want_logs, "enabled": True}] if want_logs else []
        off = sorted(set(LOG_TYPES) - set(want_logs))
        if off:
            logging.append({"types": off, "enabled": False})
        calls.append(("logging", "update_cluster_config", {"name": name, "logging": {"clusterLogging": logging}}))

    if want_key and not key:
        calls.append(("secrets encryption", "associate_encryption_config", {
            "clusterName": name, "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": want_key}}],
        }))

    mode = params.get("authentication_mode")
    if mode and (cluster.get("accessConfig") or {}).get("authenticationMode") != mode:
        calls.append(("authentication mode", "update_cluster_config", {"name": name, "accessConfig": {"authenticationMode": mode}}))

    protect = params.get("deletion_protection")
    if protect is not None and bool(cluster.get("deletionProtection")) != protect:
        calls.append(("deletion protection", "update_cluster_config", {"name": name, "deletionProtection": protect}))

    # EKS takes one kind of change per UpdateClusterConfig ("Only one type of update can be allowed"): one call each.
    have = settings(cluster)
    if params.get("support_type") and have["support_type"] != params["support_type"]:
        calls.append(("support type", "update_cluster_config",
                      {"name": name, "upgradePolicy": {"supportType": params["support_type"]}}))
    if params.get("zonal_shift") is not None and have["zonal_shift"] != params["zonal_shift"]:
        calls.append(("zonal shift", "update_cluster_config",
                      {"name": name, "zonalShiftConfig": {"enabled": params["zonal_shift"]}}))
    if params.get("control_plane_tier") and (have["control_plane_tier"] or "standard") != params["control_plane_tier"]:
        calls.append(("control plane tier", "update_cluster_config",
                      {"name": name, "controlPlaneScalingConfig": {"tier": params["control_plane_tier"]}}))

    if params.get("version") and cluster.get("version") and params["version"] != cluster["version"]:
        calls.append(("version", "update_cluster_version", {"name": name, "version": params["version"]}))
    return calls, None


def create_request(params):
    vpc = {
        "subnetIds": params["subnets"],
        "securityGroupIds": params["security_groups"],
        "endpointPrivateAccess": params["endpoint_private_access"],
        "endpointPublicAccess": params["endpoint_public_access"],
    }
    if params["endpoint_public_access"]:
        vpc["publicAccessCidrs"] = params["public_access_cidrs"] or ["0.0.0.0/0"]
    request = {
        "name": params["name"],
        "version": params["version"],
        "roleArn": params["role_arn"],
        "resourcesVpcConfig": vpc,
        "logging": {"clusterLogging": [
            entry for entry in (
                {"types": sorted(params["logging_types"]), "enabled": True},
                {"types": sorted(set(LOG_TYPES) - set(params["logging_types"])), "enabled": False},
            ) if entry["types"]
        ]},
    }
    if params.get("encryption_kms_key_arn"):
        request["encryptionConfig"] = [{"resources": ["secrets"], "provider": {"keyArn": params["encryption_kms_key_arn"]}}]
    if params.get("authentication_mode"):
        request["accessConfig"] = {
            "authenticationMode": params["authentication_mode"],
            "bootstrapClusterCreatorAdminPermissions": params["bootstrap_cluster_creator_admin_permissions"],
        }
    if params.get("bootstrap_self_managed_addons") is not None:
        request["bootstrapSelfManagedAddons"] = params["bootstrap_self_managed_addons"]
    if params.get("deletion_protection") is not None:
        request["deletionProtection"] = params["deletion_protection"]
    if params.get("support_type"):
        request["upgradePolicy"] = {"supportType": params["support_type"]}
    if params.get("zonal_shift") is not None:
        request["zonalShiftConfig"] = {"enabled": params["zonal_shift"]}
    if params.get("control_plane_tier"):
        request["controlPlaneScalingConfig"] = {"tier": params["control_plane_tier"]}
    if params.get("tags"):
        request["tags"] = wanted_tags(params["tags"])
    return request


def wait_for(module, client, name, update_id=None, gone=False):
    """With wait, poll until the update `update_id` is Successful, else until the cluster is ACTIVE (or, with gone,
    deleted); fail when the update ends otherwise, the cluster is FAILED or wait_timeout passes."""
    if not module.params["wait"]:
        return
    timeout = module.params["wait_timeout"]

    def read_update():
        return client.describe_update(name=name, updateId=update_id, aws_retry=True).get("update") or {}

    if update_id:
        read = read_update
        judge = update_judge(lambda update: f"EKS update {update_id} of {name} ended {update['status']}: "
                                            f"{update.get('errors')}")
    else:
        read = partial(describe_cluster, client, name)
        judge = resource_judge(ready=("ACTIVE",), failing=("FAILED",), gone=gone,
                               failure=lambda _cluster: failed(f"EKS cluster {name} is FAILED"))
    wait(read, judge, timeout, module.fail_json, lambda _last: f"Timed out after {timeout} s waiting for EKS cluster {name}")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            version=dict(type="str"),
            role_arn=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str", default=[]),
            endpoint_private_access=dict(type="bool", default=True),
            endpoint_public_access=dict(type="bool", default=False),
            public_access_cidrs=dict(type="list", elements="str", default=[]),
            logging_types=dict(type="list", elements="str", choices=LOG_TYPES, default=[]),
            encryption_kms_key_arn=dict(type="str", no_log=False),
            authentication_mode=dict(type="str", choices=["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"]),
            bootstrap_cluster_creator_admin_permissions=dict(type="bool", default=False),
            bootstrap_self_managed_addons=dict(type="bool"),
            deletion_protection=dict(type="bool"),
            support_type=dict(type="str", choices=["STANDARD", "EXTENDED"]),
            zonal_shift=dict(type="bool"),
            control_plane_tier=dict(type="str", choices=["standard", "tier-xl", "tier-2xl", "tier-4xl", "tier-8xl"]),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=2400),
        ),
        supports_check_mode=True,
    )
    params = module.params
    name = params["name"]
    if params["version"] and not re.match(r"^1\.[0-9]{2}$", params["version"]):
        module.fail_json(msg=f"version={params['version']} must be a Kubernetes minor such as 1.35")
    client = eks_client(module)
    try:
        cluster = describe_cluster(client, name)
        if params["state"] == "absent":
            if cluster is None:
                module.exit_json(changed=False, updates=[])
            if cluster.get("deletionProtection"):
                module.fail_json(msg=f"EKS cluster {name} has deletion protection on: set deletion_protection=false first")
            if not module.check_mode:
                client.delete_cluster(name=name, aws_retry=True)
                wait_for(module, client, name, gone=True)
            module.exit_json(changed=True, updates=[{"call": "delete_cluster", "what": "cluster"}],
                             diff={"before": settings(cluster), "after": {}})

        if cluster is None:
            missing = [opt for opt in ("version", "role_arn", "subnets") if not params.get(opt)]
            if missing:
                module.fail_json(msg=f"to create EKS cluster {name}, set {', '.join(missing)}")
            request = create_request(params)
            if not module.check_mode:
                call_passing_role(client.create_cluster, **request)
                wait_for(module, client, name)
                cluster = describe_cluster(client, name)
            module.exit_json(changed=True, updates=[{"call": "create_cluster", "what": "cluster"}],
                             cluster=snake(cluster), diff={"before": {}, "after": desired_settings(params, settings({}))})

        calls, refusal = plan(params, cluster)
        if refusal:
            module.fail_json(msg=f"EKS cluster {name}: {refusal}")
        add_tags, remove_tags = tag_changes(cluster.get("tags"), params.get("tags"), params["purge_tags"])
        updates = [{"call": call, "what": what} for what, call, _args in calls]
        if add_tags:
            updates.append({"call": "tag_resource", "what": "tags"})
        if remove_tags:
            updates.append({"call": "untag_resource", "what": "tags"})
        changed = bool(updates)
        before = settings(cluster)
        after = desired_settings(params, before)
        if changed and not module.check_mode:
            for _what, call, kwargs in calls:
                response = getattr(client, call)(aws_retry=True, **kwargs)
                update = response.get("update") or {}
                if update.get("status") in ("Failed", "Cancelled"):
                    module.fail_json(msg=f"EKS update {update.get('id')} of {name} ended {update['status']}: "
                                         f"{update.get('errors')}")
                # An update that is already Successful needs no polling (and no describe_update call).
                if update.get("status") != "Successful":
                    wait_for(module, client, name, update_id=update.get("id"))
            update_tags(client, cluster["arn"], add_tags, remove_tags)
            cluster = describe_cluster(client, name)
        module.exit_json(changed=changed, updates=updates, cluster=snake(cluster),
                         diff={"before": before, "after": after} if changed else {})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"EKS cluster {name}")


if __name__ == "__main__":
    main()
