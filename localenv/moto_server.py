#!/usr/bin/env python3
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see galaxy.yml)
"""moto's server with a thin patch layer for EKS (and one EC2) behaviours of moto 5.2 that differ from AWS.

Run as `python localenv/moto_server.py -H 127.0.0.1 -p PORT` (scripts/localenv does). Every patch below names
the moto behaviour it corrects. Patches 1-9, 13 and 23 are fields moto already receives and stores or answers
wrongly. Patches 10-12, 14, 17, 18, 20, 21 and 22 add APIs moto lacks where a playbook must run end to end here
(upgrade.yml and its insights, rollback.yml's control plane rollback; the AWS layer's add-on order and
configuration; access entries, which the local control plane's authenticator reads back from this server, and the
access policies they may name; pod identity associations), each stored and answered as the EKS API reference
describes, with EKS's errors. What moto lacks and no playbook needs end to end (encryption config association) stays
unimplemented: our modules' unit tests cover it with botocore's Stubber, asserting the exact request parameters.
Patch 15 points the local platform's cluster at the local kube-apiserver.

Patches (moto 5.2.5):
1. create_cluster drops `accessConfig`, `deletionProtection` and `upgradePolicy`: stored and described.
2. update_cluster_config ignores the same three fields: applied.
3. update_cluster_config replaces the whole `resourcesVpcConfig` with the request's (an endpoint-access update
   loses subnetIds, securityGroupIds, clusterSecurityGroupId, vpcId): merged into the existing one, as EKS does.
4. update_cluster_config answers `{"cluster": ...}` where EKS answers `{"update": {...}}`: answers an update.
5. delete_cluster ignores deletion protection: refused with InvalidRequestException, as EKS does.
6. create_nodegroup drops `updateConfig` (describe then lacks it, which crashes community.aws.eks_nodegroup)
   and `nodeRepairConfig`: stored.
7. create_nodegroup without `version` reports Kubernetes 1.19: the cluster's version, as EKS does.
8. tag_resource, untag_resource and list_tags_for_resource know cluster ARNs only (ResourceNotFound for a node
   group ARN): node group ARNs work too.
9. KMS schedule_key_deletion with a key ARN (as amazon.aws.kms_key sends it) fails with a KeyError (HTTP 500);
   KMS accepts a key id or ARN: the ARN is resolved to the key id first.
10. update_cluster_version is missing (HTTP 404): the cluster's version is set and a Successful VersionUpdate is
    answered; a jump of more than one minor, or back more than one, is refused with InvalidParameterException, as
    EKS does (one minor back is a rollback: patch 22).
11. update_nodegroup_version is missing (HTTP 404): the node group's version, release version or launch template
    version is set and a Successful VersionUpdate is answered; a version other than the cluster's (or the one
    below it) is refused with InvalidParameterException, as EKS does.
12. The managed add-on API is missing (HTTP 404): CreateAddon, DescribeAddon, ListAddons, UpdateAddon, DeleteAddon,
    DescribeAddonVersions and DescribeUpdate. Add-ons are stored on their cluster and described as EKS describes them
    (ACTIVE, an addon ARN, tags through patch 8). Errors as EKS answers them: ResourceNotFoundException for a missing
    cluster or add-on, ResourceInUseException for an add-on that exists, InvalidParameterException for a version
    that ADDON_VERSIONS does not offer for the cluster's Kubernetes version. An UpdateAddon that names no
    serviceAccountRoleArn drops the add-on's role, as EKS does (the add-on falls back to the node role).
    create_cluster stores `bootstrapSelfManagedAddons` (default true, as EKS) so a test can read what the cluster
    was created with.
13. EC2 DescribeTags calls a NAT gateway's resource type `nat-gateway` where EC2 says `natgateway` (the
    resource-type filter values of https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html),
    so a filter on `natgateway` (amazon.aws.ec2_vpc_nat_gateway's tag check) finds no tag and re-tags on every
    run: described as `natgateway`.
14. The access entry API is missing (HTTP 404): CreateAccessEntry, DescribeAccessEntry, ListAccessEntries,
    UpdateAccessEntry, DeleteAccessEntry, AssociateAccessPolicy, DisassociateAccessPolicy and
    ListAssociatedAccessPolicies. Entries and their policy associations are stored on their cluster
    (`cluster.access_entries`, `cluster.access_policies`) and described as EKS describes them (an access-entry ARN,
    EKS's default username, tags through patch 8). Errors as EKS answers them: ResourceNotFoundException for a
    missing cluster, entry or association; ResourceInUseException for an entry that exists; InvalidRequestException
    on a cluster whose authentication mode is CONFIG_MAP; InvalidParameterException for a principal that is not an
    IAM role or user ARN or does not exist in IAM, or a namespace scope without namespaces. (Which policies exist:
    patch 17.)
15. DescribeCluster (and create_cluster's answer) gives a made-up endpoint and certificate authority. With
    TRIPTRIP_EKS_LOCAL_CLUSTER, TRIPTRIP_EKS_LOCAL_ENDPOINT and TRIPTRIP_EKS_LOCAL_CA_FILE set in this server's
    environment (read at create and describe time), the cluster of that name is described with that endpoint and,
    as EKS gives it, `certificateAuthority.data` = base64 of the CA's PEM file, so kubeconfigs built from
    DescribeCluster reach the local kube-apiserver. Other clusters keep moto's values.
16. moto takes the region from the first `.<region>.amazonaws.com` anywhere in the URL, so an access entry path that
    holds an IAM Identity Center role's ARN (`role/aws-reserved/sso.amazonaws.com/...`) gives a bogus region and
    HTTP 500: EKS calls read the region from the URL's host only (then the signature's scope, as moto does).
17. ListAccessPolicies is missing (HTTP 404), and patch 14 took any `AmazonEKS*` name for an access policy, so a
    misspelt policy (AmazonEKSClusterAdminPolcy) was associated here and refused only by EKS. ListAccessPolicies
    answers the EKS cluster access policies AWS documents (ACCESS_POLICIES, names; each ARN in the region's
    partition), sorted by name and paged with maxResults and nextToken; AssociateAccessPolicy refuses any other
    policy ARN (another partition, a region or account in it, a name not in the list) with
    ResourceNotFoundException "The specified policyArn could not be found.", as EKS answers.
18. DescribeAddonConfiguration is missing (HTTP 404), and patch 12 stored any configurationValues, so a misspelt key
    (`enableNetworkPolcy` on vpc-cni) converged here and was refused only by EKS. DescribeAddonConfiguration answers,
    for every build of ADDON_VERSIONS, the add-on's configuration schema as a JSON string in `configurationSchema`
    (our own reduced schemas, localenv/eks_addon_schemas.py); a build ADDON_VERSIONS does not offer is refused with
    InvalidParameterException. CreateAddon and UpdateAddon (an update's new version included) hold
    configurationValues, JSON or YAML, to that schema and refuse what does not validate with EKS's
    InvalidParameterException "ConfigurationValue provided in request is not supported: Json schema validation
    failed with error: [...]", each error as EKS words it (`$.enableNetworkPolcy: is not defined in the schema and
    the schema does not allow additional properties`, `$.replicaCount: string found, integer expected`).
19. create_cluster and update_cluster_config drop `zonalShiftConfig` and `controlPlaneScalingConfig`, and
    update_cluster_config takes several kinds of change in one call: both are stored and described (EKS's defaults
    `{"enabled": false}` and `{"tier": "standard"}` when not given), an unknown tier is refused with
    InvalidParameterException, an update is answered with its type (ZonalShiftConfigUpdate,
    ControlPlaneScalingConfigUpdate, UpgradePolicyUpdate), and a call with more than one kind of change is refused
    as EKS refuses it: InvalidParameterException "Only one type of update can be allowed."
20. The insight API is missing (HTTP 404): ListInsights and DescribeInsight answer the UPGRADE_READINESS insights
    for the cluster's next minor, computed from what this layer stores when asked (EKS refreshes its own daily):
    add-on version compatibility (ERROR when no build of an installed add-on is offered for that minor, WARNING
    when the installed build is not but another is), kubelet version skew (ERROR past three minors) and deprecated
    API usage, UNKNOWN here as it comes from audit logs this server does not see. Filtered by category, version and
    status, paged as EKS pages, ResourceNotFoundException for an unknown id.
21. The EKS Pod Identity association API is missing (HTTP 404): CreatePodIdentityAssociation,
    DescribePodIdentityAssociation, ListPodIdentityAssociations (filtered by namespace and service account, paged),
    UpdatePodIdentityAssociation and DeletePodIdentityAssociation. Associations are stored on their cluster
    (`cluster.pod_identity_associations`, by id) and described as EKS describes them (an id `a-` and 17 characters,
    an ARN `podidentityassociation/<cluster>/<id>`, tags through patch 8). One association per service account:
    a second one is refused with ResourceInUseException, an unknown id with ResourceNotFoundException, a role that is
    not an IAM role ARN with InvalidParameterException. A role's trust is not checked here, as EKS does not check it
    on these calls (credentials fail later, in the EKS Auth API, which this server does not emulate). The
    `eks-pod-identity-agent` add-on is among ADDON_VERSIONS. https://docs.aws.amazon.com/eks/latest/APIReference/
    API_CreatePodIdentityAssociation.html
22. update_cluster_version refuses a downgrade (patch 10), where EKS rolls a control plane back one minor within 7
    days of the in-place upgrade to its current version (https://docs.aws.amazon.com/eks/latest/userguide/
    rollback-cluster.html), and ListUpdates is missing (HTTP 404). Each Successful version change is recorded on its
    cluster with its createdAt; update_cluster_version to the minor below then answers a Successful VersionRollback
    (params Version and PlatformVersion) when the cluster is ACTIVE, its last version change is a VersionUpdate to its
    current version no older than 7 days, and no ROLLBACK_READINESS insight is in ERROR (or `force` is true; it does
    not lift the other conditions, as EKS's does not). Refusals: InvalidRequestException naming the condition (EKS's
    exact wording for these is not published: ours), InvalidParameterException for a rollbackConfig timeoutMinutes
    outside 120-10080. ListUpdates for a cluster lists its version changes (the other update kinds this layer answers
    are not kept per cluster), paged. ListInsights and DescribeInsight (patch 20) add, while a rollback is possible,
    the ROLLBACK_READINESS insights for the minor below, computed from what this layer stores: kubelet version skew
    (ERROR while a node group runs a minor newer than the target), kube-proxy version skew (ERROR while the
    kube-proxy add-on's build is newer than the target) and add-on version compatibility (ERROR when no build of an
    installed add-on is offered for the target, WARNING when another build than the installed one is); API usage,
    which EKS reads from audit logs this server does not see, is not reported. While a rollback is possible,
    CreateAddon and UpdateAddon (patch 12) also take a build offered for the minor below, as EKS must for the documented
    step of downgrading add-ons before the control plane rollback. Test-only: with TRIPTRIP_MOTO_TEST_CLOCK_FILE set in
    this server's environment, the file's number of seconds (read at every call; missing or empty: 0) is added to the
    clock this patch stamps version changes with and measures the 7 days by, so a test can make an upgrade old.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import sys
import uuid
from urllib.parse import urlsplit
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import yaml
from moto.core.responses import ActionResult
from moto.eks import models as eks_models
from moto.eks import responses as eks_responses
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (InvalidParameterException, InvalidRequestException, ResourceInUseException,
                                 ResourceNotFoundException)
from moto.ec2 import utils as ec2_utils
from moto.iam.models import iam_backends
from moto.kms import models as kms_models
from moto.utilities.utils import PARTITION_NAMES, get_partition

EKSResponse = eks_responses.EKSResponse
EKSBackend = eks_models.EKSBackend

_VPC_KEEP = ("subnetIds", "securityGroupIds", "clusterSecurityGroupId", "vpcId")


def _cluster_extras(cluster, access_config, deletion_protection, upgrade_policy, zonal_shift=None, scaling=None):
    if zonal_shift is not None:  # patch 19
        cluster.zonal_shift_config = {"enabled": bool(zonal_shift.get("enabled"))}
    if scaling:  # patch 19
        cluster.control_plane_scaling_config = {"tier": scaling.get("tier", "standard")}
    if access_config:
        # EKS describes only the mode; bootstrapClusterCreatorAdminPermissions is create-time only.
        current = dict(getattr(cluster, "access_config", None) or {})
        if "authenticationMode" in access_config:
            current["authenticationMode"] = access_config["authenticationMode"]
        cluster.access_config = current
    if deletion_protection is not None:
        cluster.deletion_protection = bool(deletion_protection)
    if upgrade_policy:
        cluster.upgrade_policy = dict(upgrade_policy)


_orig_create_cluster = EKSResponse.create_cluster


def create_cluster(self):  # patch 1
    result = _orig_create_cluster(self)
    cluster = self.eks_backend.clusters[self._get_param("name")]
    cluster.access_config = {"authenticationMode": "CONFIG_MAP"}
    cluster.deletion_protection = False
    cluster.upgrade_policy = {"supportType": "EXTENDED"}
    cluster.zonal_shift_config = {"enabled": False}  # patch 19: EKS's defaults
    cluster.control_plane_scaling_config = {"tier": "standard"}
    scaling = self._get_param("controlPlaneScalingConfig")
    _check_tier(scaling)
    _cluster_extras(cluster, self._get_param("accessConfig"), self._get_param("deletionProtection"),
                    self._get_param("upgradePolicy"), self._get_param("zonalShiftConfig"), scaling)
    bootstrap = self._get_param("bootstrapSelfManagedAddons")
    cluster.bootstrap_self_managed_addons = True if bootstrap is None else bool(bootstrap)  # patch 12
    cluster.addons = {}
    cluster.access_entries, cluster.access_policies = {}, {}  # patch 14
    _local_endpoint(cluster)  # patch 15
    return result


def _local_endpoint(cluster):  # patch 15
    """The local platform's cluster answers the local kube-apiserver's endpoint and CA (read at every call)."""
    if not cluster.name or cluster.name != os.environ.get("TRIPTRIP_EKS_LOCAL_CLUSTER"):
        return
    endpoint, ca_file = os.environ.get("TRIPTRIP_EKS_LOCAL_ENDPOINT"), os.environ.get("TRIPTRIP_EKS_LOCAL_CA_FILE")
    if endpoint:
        cluster.endpoint = endpoint
    if ca_file:
        # EKS's certificateAuthority.data is the base64 of the PEM (kubeconfig's certificate-authority-data).
        cluster.certificate_authority = {"data": base64.b64encode(Path(ca_file).read_bytes()).decode("ascii")}


_orig_describe_cluster = EKSResponse.describe_cluster


def describe_cluster(self):  # patch 15
    cluster = self.eks_backend.clusters.get(self._get_param("name"))
    if cluster is not None:
        _local_endpoint(cluster)
    return _orig_describe_cluster(self)


# Patch 19: the control plane's scaling tiers (ProvisionedControlPlaneTier of the EKS API reference).
_TIERS = ("standard", "tier-xl", "tier-2xl", "tier-4xl", "tier-8xl")
_CONFIG_UPDATES = ("resourcesVpcConfig", "logging", "accessConfig", "deletionProtection", "upgradePolicy",
                   "zonalShiftConfig", "controlPlaneScalingConfig")


def _check_tier(scaling):
    if scaling and scaling.get("tier") not in _TIERS:
        raise InvalidParameterException(message=f"The specified controlPlaneScalingConfig tier is invalid: "
                                                f"{scaling.get('tier')}")


# Patch 23: the authentication modes in the one order EKS moves them, a step at a time.
_AUTH_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")


def _check_mode_step(cluster, access):
    wanted = (access or {}).get("authenticationMode")
    if wanted is None:
        return
    have = (getattr(cluster, "access_config", None) or {}).get("authenticationMode", "CONFIG_MAP")
    if wanted not in _AUTH_MODES or _AUTH_MODES.index(wanted) != _AUTH_MODES.index(have) + 1:
        raise InvalidParameterException(message=f"Unsupported authentication mode update from {have} to {wanted}")


def update_cluster_config(self):  # patches 2, 3, 4, 19, 23
    name = self._get_param("name")
    cluster = self.eks_backend.describe_cluster(name=name)
    # Patch 19: EKS takes one kind of change per call (kubernetes-sigs/cluster-api-provider-aws#3553, boto/boto3#2592).
    kinds = [key for key in _CONFIG_UPDATES if self._get_param(key) is not None]
    if len(kinds) > 1:
        raise InvalidParameterException(message="Only one type of update can be allowed.")
    zonal, scaling = self._get_param("zonalShiftConfig"), self._get_param("controlPlaneScalingConfig")
    _check_tier(scaling)
    _check_mode_step(cluster, self._get_param("accessConfig"))
    vpc = self._get_param("resourcesVpcConfig")
    params = []
    if vpc:
        merged = dict(cluster.resources_vpc_config or {})
        merged.update(vpc)
        for key in _VPC_KEEP:
            if key in (cluster.resources_vpc_config or {}) and key not in vpc:
                merged[key] = cluster.resources_vpc_config[key]
        cluster.resources_vpc_config = merged
        params.append({"type": "EndpointPrivateAccess", "value": json.dumps(vpc)})
    logging = self._get_param("logging")
    if logging:
        cluster.logging = logging
        params.append({"type": "ClusterLogging", "value": json.dumps(logging)})
    access = self._get_param("accessConfig")
    protection = self._get_param("deletionProtection")
    upgrade = self._get_param("upgradePolicy")
    _cluster_extras(cluster, access, protection, upgrade, zonal, scaling)
    if zonal is not None:
        params.append({"type": "ZonalShiftConfig", "value": json.dumps(zonal)})
    if scaling:
        params.append({"type": "UpdatedTier", "value": scaling.get("tier")})
    if access:
        params.append({"type": "AuthenticationMode", "value": json.dumps(access)})
    if protection is not None:
        params.append({"type": "DeletionProtection", "value": json.dumps(protection)})
    if upgrade:
        params.append({"type": "UpgradePolicy", "value": json.dumps(upgrade)})
    update_type = "AccessConfigUpdate" if access else ("LoggingUpdate" if logging and not vpc else "EndpointAccessUpdate")
    if protection is not None and not (vpc or logging or access):
        update_type = "DeletionProtectionUpdate"
    for given, kind in ((upgrade, "UpgradePolicyUpdate"), (zonal, "ZonalShiftConfigUpdate"),
                        (scaling, "ControlPlaneScalingConfigUpdate")):
        if given is not None:
            update_type = kind
    return ActionResult({"update": {
        "id": str(uuid.uuid4()), "status": "Successful", "type": update_type, "params": params,
        "createdAt": datetime.now(timezone.utc), "errors": [],
    }})


_orig_delete_cluster = EKSBackend.delete_cluster


def delete_cluster(self, name):  # patch 5
    cluster = self.clusters.get(name)
    if cluster is not None and getattr(cluster, "deletion_protection", False):
        raise InvalidRequestException(
            message=f"Cluster {name} has deletion protection enabled; disable it before deleting the cluster.")
    return _orig_delete_cluster(self, name)


_orig_create_nodegroup = EKSResponse.create_nodegroup


def create_nodegroup(self):  # patches 6, 7
    result = _orig_create_nodegroup(self)
    cluster = self.eks_backend.clusters[self._get_param("name")]
    nodegroup = cluster.nodegroups[self._get_param("nodegroupName")]
    nodegroup.update_config = self._get_param("updateConfig") or {"maxUnavailable": 1}
    nodegroup.node_repair_config = self._get_param("nodeRepairConfig")
    if not self._get_param("version"):
        nodegroup.version = cluster.version
    return result


class _Tagged:
    """An add-on's or access entry's tags (stored in its description) as the tag patch expects an object's."""

    def __init__(self, described, arn_key):
        self.arn, self.tags = described[arn_key], described["tags"]


def _find_tagged(backend, arn):
    for cluster in backend.clusters.values():
        if cluster.arn == arn:
            return cluster
        for nodegroup in cluster.nodegroups.values():
            if nodegroup.arn == arn:
                return nodegroup
        for addon in getattr(cluster, "addons", {}).values():
            if addon["addonArn"] == arn:
                return _Tagged(addon, "addonArn")
        for entry in getattr(cluster, "access_entries", {}).values():  # patch 14
            if entry["accessEntryArn"] == arn:
                return _Tagged(entry, "accessEntryArn")
    return None


def _tag_patch(original, apply):
    def patched(self, resource_arn, *args):  # patch 8
        target = _find_tagged(self, resource_arn)
        if target is None or any(c.arn == resource_arn for c in self.clusters.values()):
            return original(self, resource_arn, *args)
        return apply(target, *args)
    return patched


def _untag(target, keys):
    for key in keys if isinstance(keys, list) else [keys]:
        target.tags.pop(key, None)


_orig_schedule_key_deletion = kms_models.KmsBackend.schedule_key_deletion


def schedule_key_deletion(self, key_id, pending_window_in_days):  # patch 9
    return _orig_schedule_key_deletion(self, self.get_key_id(key_id), pending_window_in_days)


def _minor(version):
    major, _dot, rest = str(version).partition(".")
    return int(major), int(rest.partition(".")[0] or 0)


_UPDATES = {}


def _update(update_type, params):
    """A Successful update as EKS answers it, kept for DescribeUpdate."""
    update = {"id": str(uuid.uuid4()), "status": "Successful", "type": update_type, "params": params,
              "createdAt": datetime.now(timezone.utc), "errors": []}
    _UPDATES[update["id"]] = update
    return ActionResult({"update": update})


def _version_update(params):
    return _update("VersionUpdate", params)


def update_cluster_version(self):  # patches 10, 22
    cluster = self.eks_backend.describe_cluster(name=self._get_param("name"))
    want = self._get_param("version")
    (have_major, have_minor), (want_major, want_minor) = _minor(cluster.version), _minor(want)
    if want_major == have_major and want_minor == have_minor - 1:
        return _rollback(self, cluster, want)  # patch 22
    if want_major != have_major or want_minor != have_minor + 1:
        raise InvalidParameterException(
            message=f"Unsupported Kubernetes minor version update from {cluster.version} to {want}")
    cluster.version = want
    return _version_change(cluster, "VersionUpdate", want)


# Patch 22: version rollback (https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html): one minor
# back, within 7 days of the in-place upgrade to the current version, blocked by rollback readiness insights in ERROR
# unless forced. The 7 days are counted from the upgrade's createdAt, the one time the Update shape carries.
ROLLBACK_WINDOW = timedelta(days=7)


def _now():
    """This layer's clock: the real one, shifted by TRIPTRIP_MOTO_TEST_CLOCK_FILE's seconds (test-only, patch 22)."""
    path = os.environ.get("TRIPTRIP_MOTO_TEST_CLOCK_FILE")
    text = Path(path).read_text(encoding="utf-8").strip() if path and Path(path).is_file() else ""
    return datetime.now(timezone.utc) + timedelta(seconds=float(text or 0))


def _version_change(cluster, kind, version):
    """A Successful VersionUpdate or VersionRollback, kept for DescribeUpdate and in the cluster's history."""
    update = {"id": str(uuid.uuid4()), "status": "Successful", "type": kind,
              "params": [{"type": "Version", "value": version}, {"type": "PlatformVersion", "value": "eks.1"}],
              "createdAt": _now(), "errors": []}
    _UPDATES[update["id"]] = update
    cluster.version_changes = [*getattr(cluster, "version_changes", []), update]
    return ActionResult({"update": update})


def _rollback_target(cluster):
    """The minor the cluster can roll back to now, or None with the reason it cannot."""
    changes = getattr(cluster, "version_changes", [])
    last = changes[-1] if changes else None
    if last is None or last["type"] != "VersionUpdate" or last["params"][0]["value"] != cluster.version:
        return None, (f"Cluster {cluster.name} cannot be rolled back: version {cluster.version} was not reached by an "
                      "in-place upgrade (the cluster was created at it, or was already rolled back to it).")
    ends = last["createdAt"] + ROLLBACK_WINDOW
    if _now() > ends:
        return None, (f"Cluster {cluster.name} cannot be rolled back: the upgrade to {cluster.version} "
                      f"({last['createdAt'].isoformat()}) is more than 7 days old; the rollback window ended "
                      f"{ends.isoformat()}.")
    major, minor = _minor(cluster.version)
    return f"{major}.{minor - 1}", None


def _rollback(self, cluster, want):  # patch 22
    target, refusal = _rollback_target(cluster)
    if refusal:
        raise InvalidRequestException(message=refusal)
    if cluster.status != "ACTIVE":
        raise InvalidRequestException(message=f"Cluster {cluster.name} is {cluster.status}: a rollback needs it ACTIVE.")
    timeout = (self._get_param("rollbackConfig") or {}).get("timeoutMinutes")
    if timeout is not None and not 120 <= int(timeout) <= 10080:
        raise InvalidParameterException(message=f"rollbackConfig timeoutMinutes {timeout} is not between 120 and 10080.")
    blocking = [i["name"] for i in _rollback_insights(cluster) if i["insightStatus"]["status"] == "ERROR"]
    if blocking and not self._get_param("force"):
        raise InvalidRequestException(
            message=f"Rollback of cluster {cluster.name} to {target} is blocked by rollback readiness insights in ERROR: "
                    f"{', '.join(blocking)}. Resolve them, or set force to go past them.")
    cluster.version = want
    return _version_change(cluster, "VersionRollback", want)


def list_updates(self):  # patch 22
    cluster = _cluster_of(self)
    if self._get_param("nodegroupName") or self._get_param("addonName") or self._get_param("capabilityName"):
        return ActionResult({"updateIds": []})  # not kept per node group or add-on here
    ids = [u["id"] for u in getattr(cluster, "version_changes", [])]
    max_results = int(self._get_param("maxResults") or 100)
    start = int(self._get_param("nextToken") or 0)
    page = ids[start:start + max_results]
    more = start + max_results < len(ids)
    return ActionResult({"updateIds": page, **({"nextToken": str(start + max_results)} if more else {})})


def _rollback_insights(cluster):  # patch 22
    target, _refusal = _rollback_target(cluster)
    if target is None:
        return []  # EKS shows them after an upgrade, for as long as the rollback window lasts
    major, minor = _minor(target)
    newer = sorted(f"{n} ({g.version})" for n, g in cluster.nodegroups.items() if _minor(g.version) > (major, minor))
    addons = getattr(cluster, "addons", {})
    proxy = addons.get("kube-proxy", {}).get("addonVersion")
    proxy_newer = bool(proxy) and _minor(proxy.lstrip("v")) > (major, minor)
    missing, behind = [], []
    for name, addon in sorted(addons.items()):
        offered = [v for v, minors in ADDON_VERSIONS.get(name, {}).items() if target in minors]
        if not offered:
            missing.append(name)
        elif addon["addonVersion"] not in offered:
            behind.append(f"{name} {addon['addonVersion']} (offered for {target}: {', '.join(offered)})")
    found = [
        ("Kubelet version skew", "ERROR" if newer else "PASSING",
         f"Node groups newer than Kubernetes {target}: {', '.join(newer)}." if newer else
         f"No node group runs a minor newer than Kubernetes {target}.",
         f"Roll the node groups back to {target} (UpdateNodegroupVersion) before the control plane."),
        ("kube-proxy version skew", "ERROR" if proxy_newer else "PASSING",
         f"kube-proxy {proxy} is newer than Kubernetes {target}." if proxy_newer else
         f"kube-proxy is not newer than Kubernetes {target}.",
         f"Update the kube-proxy add-on to a build offered for {target} before the control plane."),
        ("Amazon EKS add-on version compatibility",
         "ERROR" if missing else "WARNING" if behind else "PASSING",
         f"No build offered for Kubernetes {target}: {', '.join(missing)}." if missing else
         f"Installed builds not offered for Kubernetes {target}: {'; '.join(behind)}." if behind else
         f"Every installed add-on build is offered for Kubernetes {target}.",
         f"Update the add-ons to builds offered for {target} (DescribeAddonVersions) before the control plane."),
    ]
    return [_insight(cluster, "ROLLBACK_READINESS", target, name, status, reason, advice)
            for name, status, reason, advice in found]


def update_nodegroup_version(self):  # patch 11
    cluster = self.eks_backend.describe_cluster(name=self._get_param("name"))
    nodegroup = self.eks_backend.describe_nodegroup(cluster_name=cluster.name,
                                                    nodegroup_name=self._get_param("nodegroupName"))
    params = []
    want = self._get_param("version")
    if want:
        if _minor(want) not in (_minor(cluster.version), (_minor(cluster.version)[0], _minor(cluster.version)[1] - 1)):
            raise InvalidParameterException(
                message=f"Requested Kubernetes version {want} is not supported with cluster version {cluster.version}")
        nodegroup.version = want
        params.append({"type": "Version", "value": want})
    release = self._get_param("releaseVersion")
    if release:
        nodegroup.release_version = release
        params.append({"type": "ReleaseVersion", "value": release})
    template = self._get_param("launchTemplate")
    if template and template.get("version"):
        nodegroup.launch_template = {**(nodegroup.launch_template or {}), "version": str(template["version"])}
        params.append({"type": "LaunchTemplateVersion", "value": str(template["version"])})
    return _version_update(params)


# The add-on builds the local environment offers, by Kubernetes minor: the ones this platform pins
# (group_vars/all/eks.yml), each as EKS lists it for those versions. A pin that is not here fails as on EKS.
ADDON_VERSIONS = {
    "vpc-cni": {"v1.21.1-eksbuild.3": ("1.33", "1.34", "1.35")},
    "coredns": {"v1.13.2-eksbuild.1": ("1.34", "1.35")},
    "kube-proxy": {"v1.34.1-eksbuild.2": ("1.34",), "v1.35.0-eksbuild.2": ("1.35",)},
    "aws-ebs-csi-driver": {"v1.66.0-eksbuild.1": ("1.33", "1.34", "1.35")},
    "eks-node-monitoring-agent": {"v1.4.0-eksbuild.2": ("1.33", "1.34", "1.35")},
    "eks-pod-identity-agent": {"v1.3.8-eksbuild.2": ("1.33", "1.34", "1.35")},
}
_ADDON_FIELDS = ("serviceAccountRoleArn", "configurationValues")


def _cluster_of(self):
    name = self._get_param("clusterName") or self._get_param("name")
    cluster = self.eks_backend.clusters.get(name)
    if cluster is None:
        raise ResourceNotFoundException(clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                                        message=f"No cluster found for name: {name}.")
    if not hasattr(cluster, "addons"):
        cluster.addons = {}
    return cluster


def _addon_of(self, cluster):
    name = self._get_param("addonName")
    addon = cluster.addons.get(name)
    if addon is None:
        raise ResourceNotFoundException(clusterName=cluster.name, nodegroupName=None, fargateProfileName=None,
                                        addonName=name, message=f"No addon: {name} found in cluster: {cluster.name}")
    return addon


def _offered(name, version, cluster):
    minor = "%d.%d" % _minor(cluster.version)
    if version is None:
        offered = [v for v, minors in ADDON_VERSIONS.get(name, {}).items() if minor in minors]
        if offered:
            return offered[-1]
    elif minor in ADDON_VERSIONS.get(name, {}).get(version, ()):
        return version
    elif _rollback_target(cluster)[0] in ADDON_VERSIONS.get(name, {}).get(version, ()):
        return version  # patch 22: add-ons go back before the control plane rollback
    raise InvalidParameterException(
        message=f"Addon version specified is not supported, addon: {name}, version: {version}, "
                f"cluster version: {cluster.version}")


def _load_schemas():  # patch 18
    """localenv/eks_addon_schemas.py, beside this file (this server runs as a script, the tests load it by path)."""
    spec = importlib.util.spec_from_file_location("triptrip_eks_addon_schemas",
                                                  Path(__file__).resolve().with_name("eks_addon_schemas.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SCHEMAS = _load_schemas()
# JSON Schema's names of a value's type, as EKS's validation messages give them ("boolean found, string expected").
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (dict, "object"),
               (list, "array"), (type(None), "null"))


def _json_type(value):
    return next(name for kind, name in _JSON_TYPES if isinstance(value, kind))


def _schema_messages(error):
    """One validation error of jsonschema as EKS words it: `<JSON path>: <message>`."""
    path = error.json_path
    if error.validator == "additionalProperties":
        known = error.schema.get("properties") or {}
        return [f"{path}.{key}: is not defined in the schema and the schema does not allow additional properties"
                for key in error.instance if key not in known]
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else ", ".join(error.validator_value)
        return [f"{path}: {_json_type(error.instance)} found, {expected} expected"]
    if error.validator == "enum":
        return [f"{path}: does not have a value in the enumeration [{', '.join(map(str, error.validator_value))}]"]
    if error.validator == "minimum":
        return [f"{path}: must have a minimum value of {error.validator_value}"]
    return [f"{path}: {error.message}"]


def _check_configuration(name, text):  # patch 18
    """Refuse configurationValues (JSON or YAML) that do not validate against the add-on's schema, as EKS does."""
    try:
        values = json.loads(text)
    except ValueError:
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError:
            values = text
    schema = json.loads(_SCHEMAS.configuration_schema(name) or "{}")
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: e.json_path)
    # A value of the wrong type is reported as that alone (`boolean found, string expected`), not also against its enum.
    mistyped = {e.json_path for e in errors if e.validator == "type"}
    errors = [e for e in errors if e.validator == "type" or e.json_path not in mistyped]
    messages = [message for error in errors for message in _schema_messages(error)]
    if messages:
        raise InvalidParameterException(
            message="ConfigurationValue provided in request is not supported: Json schema validation failed with "
                    f"error: [{', '.join(messages)}]")


def describe_addon_configuration(self):  # patch 18
    name, version = self._get_param("addonName"), self._get_param("addonVersion")
    if version not in ADDON_VERSIONS.get(name, {}):
        raise InvalidParameterException(
            message=f"Addon version specified is not supported, addon: {name}, version: {version}")
    return ActionResult({"addonName": name, "addonVersion": version,
                         "configurationSchema": _SCHEMAS.configuration_schema(name) or "",
                         "podIdentityConfiguration": []})


def create_addon(self):  # patch 12
    cluster = _cluster_of(self)
    name = self._get_param("addonName")
    if name in cluster.addons:
        raise ResourceInUseException(clusterName=cluster.name, nodegroupName=None, addonName=name,
                                     message=f"Addon already exists with name: {name} in cluster: {cluster.name}")
    version = _offered(name, self._get_param("addonVersion"), cluster)
    if self._get_param("configurationValues"):
        _check_configuration(name, self._get_param("configurationValues"))  # patch 18
    now = datetime.now(timezone.utc)
    addon = {"addonName": name, "clusterName": cluster.name, "status": "ACTIVE",
             "addonVersion": version,
             "health": {"issues": []}, "createdAt": now, "modifiedAt": now,
             "addonArn": cluster.arn.replace(":cluster/", ":addon/") + f"/{name}/{uuid.uuid4()}",
             "tags": dict(self._get_param("tags") or {}), "owner": "aws", "publisher": "eks"}
    for field in _ADDON_FIELDS:
        if self._get_param(field):
            addon[field] = self._get_param(field)
    cluster.addons[name] = addon
    return ActionResult({"addon": addon})


def describe_addon(self):  # patch 12
    return ActionResult({"addon": _addon_of(self, _cluster_of(self))})


def list_addons(self):  # patch 12
    return ActionResult({"addons": sorted(_cluster_of(self).addons)})


def update_addon(self):  # patch 12
    cluster = _cluster_of(self)
    addon = _addon_of(self, cluster)
    params = []
    version = _offered(addon["addonName"], self._get_param("addonVersion"), cluster) \
        if self._get_param("addonVersion") else None
    # patch 18: the configuration the add-on will run with, held to the schema of the version it will run.
    configuration = self._get_param("configurationValues")
    if configuration is None and version:
        configuration = addon.get("configurationValues")
    if configuration:
        _check_configuration(addon["addonName"], configuration)
    if version:
        addon["addonVersion"] = version
        params.append({"type": "AddonVersion", "value": addon["addonVersion"]})
    # EKS binds the role an update names, and drops the one it had when an update names none ("If you don't specify
    # an existing IAM role, then the add-on uses the permissions assigned to the node IAM role", UpdateAddon's
    # serviceAccountRoleArn; an empty ARN fails the API's minimum length).
    role = self._get_param("serviceAccountRoleArn")
    if role:
        addon["serviceAccountRoleArn"] = role
        params.append({"type": "ServiceAccountRoleArn", "value": role})
    elif addon.pop("serviceAccountRoleArn", None):
        params.append({"type": "ServiceAccountRoleArn", "value": ""})
    value = self._get_param("configurationValues")
    if value is not None:
        if value == "":
            addon.pop("configurationValues", None)
        else:
            addon["configurationValues"] = value
        params.append({"type": "ConfigurationValues", "value": value})
    if self._get_param("resolveConflicts"):
        params.append({"type": "ResolveConflicts", "value": self._get_param("resolveConflicts")})
    addon["modifiedAt"] = datetime.now(timezone.utc)
    return _update("AddonUpdate", params)


def delete_addon(self):  # patch 12
    cluster = _cluster_of(self)
    addon = _addon_of(self, cluster)
    del cluster.addons[addon["addonName"]]
    return ActionResult({"addon": {**addon, "status": "DELETING"}})


def describe_addon_versions(self):  # patch 12
    name, minor = self._get_param("addonName"), self._get_param("kubernetesVersion")
    addons = []
    for addon, versions in sorted(ADDON_VERSIONS.items()):
        if name and addon != name:
            continue
        offered = [{"addonVersion": v, "architecture": ["amd64", "arm64"], "requiresConfiguration": False,
                    "compatibilities": [{"clusterVersion": m, "platformVersions": ["*"], "defaultVersion": True}
                                        for m in minors if not minor or m == minor]}
                   for v, minors in versions.items() if not minor or minor in minors]
        if offered:
            addons.append({"addonName": addon, "type": "networking", "addonVersions": offered, "owner": "aws",
                           "publisher": "eks"})
    return ActionResult({"addons": addons})


def describe_update(self):  # patch 12
    _cluster_of(self)
    update = _UPDATES.get(self._get_param("updateId"))
    if update is None:
        raise ResourceNotFoundException(clusterName=None, nodegroupName=None, addonName=None,
                                        message=f"No update found for ID: {self._get_param('updateId')}")
    return ActionResult({"update": update})


# Patch 14: access entries. A principal is an IAM role or user ARN (a role may have a path); its name is the last
# segment.
_PRINCIPAL = re.compile(r"^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):(role|user)/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
# Patch 17: the EKS cluster access policies, by name, as AWS lists them (Amazon EKS User Guide, "Review access policy
# permissions", and what `aws eks list-access-policies` answers). EKS owns them (account `aws`, no region); a name
# AWS adds later is added here.
ACCESS_POLICIES = (
    "AIDevOpsAgentAccessPolicy", "AmazonAIOpsAssistantPolicy", "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSACKPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSArgoCDClusterPolicy",
    "AmazonEKSArgoCDPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy", "AmazonEKSEditPolicy", "AmazonEKSEventPolicy", "AmazonEKSHybridPolicy",
    "AmazonEKSKROPolicy", "AmazonEKSLoadBalancingClusterPolicy", "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy", "AmazonEKSNetworkingPolicy", "AmazonEKSPodIdentityPolicy",
    "AmazonEKSSecretAdminPolicy", "AmazonEKSSecretReaderPolicy", "AmazonEKSViewPolicy", "AmazonEMRJobPolicy",
    "AmazonSagemakerHyperpodClusterPolicy", "AmazonSagemakerHyperpodControllerPolicy",
    "AmazonSagemakerHyperpodSpacePolicy", "AmazonSagemakerHyperpodSpaceTemplatePolicy",
    "AmazonSagemakerHyperpodSystemNamespacePolicy", "AmazonSagemakerHyperpodUserClusterPolicy",
)
_ACCESS_ENTRY_TYPES = ("STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX")


def _access_cluster(self):
    """The cluster of the request, refused (as EKS does) unless its authentication mode includes API."""
    cluster = _cluster_of(self)
    for name in ("access_entries", "access_policies"):
        if not hasattr(cluster, name):
            setattr(cluster, name, {})
    if (getattr(cluster, "access_config", None) or {}).get("authenticationMode", "CONFIG_MAP") == "CONFIG_MAP":
        raise InvalidRequestException(message="The cluster's authentication mode must be set to one of "
                                              "[API, API_AND_CONFIG_MAP] to perform this operation.")
    return cluster


def _principal(self):
    """The request's principal ARN (URL-decoded from the path) and its (partition, account, kind, name)."""
    arn = self._get_param("principalArn")
    match = _PRINCIPAL.match(arn or "")
    if not match or match.group(1) not in PARTITION_NAMES:
        raise InvalidParameterException(message=f"The specified principalArn is invalid: {arn} is not the ARN of "
                                                f"an IAM role or user.")
    return arn, match.groups()


def _entry_of(self, cluster):
    arn, _parts = _principal(self)
    entry = cluster.access_entries.get(arn)
    if entry is None:
        raise ResourceNotFoundException(
            clusterName=cluster.name, message=f"No access entry found for principal: {arn} in cluster: {cluster.name}")
    return entry


def _page(self, items):
    """One page of sorted items and the next token, as EKS's list calls page (maxResults, nextToken)."""
    max_results = int(self._get_param("maxResults") or 100)
    return eks_models.paginated_list(list(items), max_results, self._get_param("nextToken"))


def create_access_entry(self):  # patch 14
    cluster = _access_cluster(self)
    arn, (partition, account, kind, name) = _principal(self)
    iam = iam_backends[account][partition]
    if not (name in iam.users if kind == "user" else any(role.name == name for role in iam.get_roles())):
        # EKS validates the principal with IAM (a role in another account included).
        raise InvalidParameterException(message=f"The specified principalArn is invalid: {arn} does not exist.")
    if arn in cluster.access_entries:
        raise ResourceInUseException(clusterName=cluster.name,
                                     message="The specified access entry resource is already in use on this cluster.")
    entry_type = self._get_param("type") or "STANDARD"
    if entry_type not in _ACCESS_ENTRY_TYPES:
        raise InvalidParameterException(message=f"The specified type is invalid: {entry_type}")
    # EKS's default username: the principal's assumed-role session for a role, the user's ARN for a user.
    username = f"arn:{partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}" if kind == "role" else arn
    entry_arn = cluster.arn.replace(":cluster/", ":access-entry/") + f"/{kind}/{account}/{name}/{uuid.uuid4()}"
    now = datetime.now(timezone.utc)
    entry = {"clusterName": cluster.name, "principalArn": arn,
             "kubernetesGroups": list(self._get_param("kubernetesGroups") or []),
             "accessEntryArn": entry_arn,
             "createdAt": now, "modifiedAt": now, "tags": dict(self._get_param("tags") or {}),
             "username": self._get_param("username") or username, "type": entry_type}
    cluster.access_entries[arn] = entry
    cluster.access_policies[arn] = {}
    return ActionResult({"accessEntry": entry})


def describe_access_entry(self):  # patch 14
    return ActionResult({"accessEntry": _entry_of(self, _access_cluster(self))})


def list_access_entries(self):  # patch 14
    cluster = _access_cluster(self)
    policy = self._get_param("associatedPolicyArn")
    arns = [arn for arn in cluster.access_entries if not policy or policy in cluster.access_policies.get(arn, {})]
    page, token = _page(self, arns)
    return ActionResult({"accessEntries": page, **({"nextToken": token} if token else {})})


def update_access_entry(self):  # patch 14
    entry = _entry_of(self, _access_cluster(self))
    groups, username = self._get_param("kubernetesGroups"), self._get_param("username")
    if groups is not None:
        entry["kubernetesGroups"] = list(groups)
    if username:
        entry["username"] = username
    entry["modifiedAt"] = datetime.now(timezone.utc)
    return ActionResult({"accessEntry": entry})


def delete_access_entry(self):  # patch 14
    cluster = _access_cluster(self)
    entry = _entry_of(self, cluster)
    del cluster.access_entries[entry["principalArn"]]
    cluster.access_policies.pop(entry["principalArn"], None)
    return ActionResult({})


def associate_access_policy(self):  # patch 14
    cluster = _access_cluster(self)
    entry = _entry_of(self, cluster)
    policy, scope = self._get_param("policyArn"), self._get_param("accessScope") or {}
    if policy not in _access_policies(self):  # patch 17
        raise ResourceNotFoundException(clusterName=cluster.name, message="The specified policyArn could not be found.")
    if scope.get("type") not in ("cluster", "namespace"):
        raise InvalidParameterException(message=f"The specified accessScope type is invalid: {scope.get('type')}")
    namespaces = list(scope.get("namespaces") or []) if scope["type"] == "namespace" else []
    if scope["type"] == "namespace" and not namespaces:
        raise InvalidParameterException(message="namespaces must be specified for an accessScope of type namespace.")
    now = datetime.now(timezone.utc)
    policies = cluster.access_policies.setdefault(entry["principalArn"], {})
    # Associating a policy again replaces its scope; it stays associated since its first association.
    associated = {"policyArn": policy, "accessScope": {"type": scope["type"], "namespaces": namespaces},
                  "associatedAt": policies.get(policy, {}).get("associatedAt", now), "modifiedAt": now}
    policies[policy] = associated
    return ActionResult({"clusterName": cluster.name, "principalArn": entry["principalArn"],
                         "associatedAccessPolicy": associated})


def disassociate_access_policy(self):  # patch 14
    cluster = _access_cluster(self)
    entry = _entry_of(self, cluster)
    policy = self._get_param("policyArn")
    if cluster.access_policies.get(entry["principalArn"], {}).pop(policy, None) is None:
        raise ResourceNotFoundException(clusterName=cluster.name, message=f"The access policy {policy} is not "
                                        f"associated with the access entry of {entry['principalArn']}.")
    return ActionResult({})


def list_associated_access_policies(self):  # patch 14
    cluster = _access_cluster(self)
    entry = _entry_of(self, cluster)
    policies = cluster.access_policies.get(entry["principalArn"], {})
    page, token = _page(self, policies)
    return ActionResult({"clusterName": cluster.name, "principalArn": entry["principalArn"],
                         "associatedAccessPolicies": [policies[arn] for arn in page],
                         **({"nextToken": token} if token else {})})


def _access_policies(self):  # patch 17
    """{ARN: name} of the EKS cluster access policies, in the partition of the request's region."""
    partition = get_partition(self.region)
    return {f"arn:{partition}:eks::aws:cluster-access-policy/{name}": name for name in ACCESS_POLICIES}


def list_access_policies(self):  # patch 17
    policies = {name: arn for arn, name in _access_policies(self).items()}
    page, token = _page(self, policies)
    return ActionResult({"accessPolicies": [{"name": name, "arn": policies[name]} for name in page],
                         **({"nextToken": token} if token else {})})


_ACCESS_ENTRY_CALLS = ("create_access_entry", "describe_access_entry", "list_access_entries", "update_access_entry",
                       "delete_access_entry", "associate_access_policy", "disassociate_access_policy",
                       "list_associated_access_policies")


# Patch 20: upgrade insights, computed from what the patch layer stores when they are asked for (EKS refreshes its own
# once a day). For the next Kubernetes minor: add-on compatibility (ERROR when no build of an installed add-on is
# offered for it, WARNING when the installed build is not but another is: upgrade it after the control plane) and
# kubelet version skew (ERROR when a node group would be more than three minors behind, the Kubernetes skew policy).
# Deprecated API usage comes from the cluster's audit logs, which this server does not see: UNKNOWN, saying so.
def _insights(cluster):
    major, minor = _minor(cluster.version)
    target = f"{major}.{minor + 1}"
    missing, behind = [], []
    for name, addon in sorted(getattr(cluster, "addons", {}).items()):
        offered = [v for v, minors in ADDON_VERSIONS.get(name, {}).items() if target in minors]
        if not offered:
            missing.append(name)
        elif addon["addonVersion"] not in offered:
            behind.append(f"{name} {addon['addonVersion']} (offered for {target}: {', '.join(offered)})")
    skewed = sorted(f"{n} ({g.version})" for n, g in cluster.nodegroups.items() if minor + 1 - _minor(g.version)[1] > 3)
    found = [
        ("Amazon EKS add-on version compatibility",
         "ERROR" if missing else "WARNING" if behind else "PASSING",
         f"No build offered for Kubernetes {target}: {', '.join(missing)}." if missing else
         f"Installed builds not offered for Kubernetes {target}: {'; '.join(behind)}." if behind else
         f"Every installed add-on build is offered for Kubernetes {target}.",
         "Upgrade the add-ons to builds offered for the target version (DescribeAddonVersions) before or right "
         "after the control plane, as each add-on's documentation says."),
        ("Kubelet version skew", "ERROR" if skewed else "PASSING",
         f"Node groups more than three minors behind Kubernetes {target}: {', '.join(skewed)}." if skewed else
         "No node group would be more than three minors behind the control plane.",
         "Upgrade the node groups to the cluster's version before upgrading the control plane."),
        (f"Deprecated APIs removed in Kubernetes v{target}", "UNKNOWN",
         "The local patch layer does not see the cluster's API requests (EKS reads them from its audit logs).",
         "Check the API server's apiserver_requested_deprecated_apis metric before upgrading."),
    ]
    return [_insight(cluster, "UPGRADE_READINESS", target, name, status, reason, advice)
            for name, status, reason, advice in found] + _rollback_insights(cluster)  # patch 22


def _insight(cluster, category, target, name, status, reason, advice):
    now = datetime.now(timezone.utc)
    # Patch 20's ids stay as they were; the rollback ones share two names, so their category is in theirs.
    key = name if category == "UPGRADE_READINESS" else f"{category}/{name}"
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cluster.arn}/insights/{key}")), "name": name,
            "category": category, "kubernetesVersion": target, "lastRefreshTime": now,
            "lastTransitionTime": now, "description": f"Checks for {name.lower()}.",
            "insightStatus": {"status": status, "reason": reason}, "recommendation": advice,
            "additionalInfo": {}, "resources": [], "categorySpecificSummary": {}}


def list_insights(self):  # patch 20
    cluster = _cluster_of(self)
    wanted = self._get_param("filter") or {}
    chosen = [i for i in _insights(cluster)
              if i["category"] in (wanted.get("categories") or [i["category"]])
              and i["kubernetesVersion"] in (wanted.get("kubernetesVersions") or [i["kubernetesVersion"]])
              and i["insightStatus"]["status"] in (wanted.get("statuses") or [i["insightStatus"]["status"]])]
    by_id = {i["id"]: i for i in chosen}
    page, token = _page(self, by_id)
    fields = ("id", "name", "category", "kubernetesVersion", "lastRefreshTime", "lastTransitionTime", "description",
              "insightStatus")
    return ActionResult({"insights": [{k: by_id[i][k] for k in fields} for i in page],
                         **({"nextToken": token} if token else {})})


def describe_insight(self):  # patch 20
    cluster = _cluster_of(self)
    ident = self._get_param("id")
    found = {i["id"]: i for i in _insights(cluster)}.get(ident)
    if found is None:
        raise ResourceNotFoundException(clusterName=cluster.name, nodegroupName=None, fargateProfileName=None,
                                        addonName=None, message=f"No insight found for id: {ident}")
    return ActionResult({"insight": found})


# Patch 21: EKS Pod Identity associations, one per (namespace, service account) of a cluster.
_ROLE_ARN = re.compile(r"^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$")
_ASSOCIATION_SUMMARY = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")


def _associations(self):
    cluster = _cluster_of(self)
    if not hasattr(cluster, "pod_identity_associations"):
        cluster.pod_identity_associations = {}
    return cluster


def _association_of(self, cluster):
    ident = self._get_param("associationId")
    found = cluster.pod_identity_associations.get(ident)
    if found is None:
        raise ResourceNotFoundException(clusterName=cluster.name, nodegroupName=None, fargateProfileName=None,
                                        addonName=None, message=f"Association not found: {ident}")
    return found


def _role_arn(self):
    arn = self._get_param("roleArn")
    match = _ROLE_ARN.match(arn or "")
    if not match or match.group(1) not in PARTITION_NAMES:
        raise InvalidParameterException(message=f"The specified roleArn is invalid: {arn} is not the ARN of an IAM role.")
    return arn


def create_pod_identity_association(self):  # patch 21
    cluster = _associations(self)
    namespace, account = self._get_param("namespace"), self._get_param("serviceAccount")
    role = _role_arn(self)
    for ident, found in cluster.pod_identity_associations.items():
        if (found["namespace"], found["serviceAccount"]) == (namespace, account):
            raise ResourceInUseException(clusterName=cluster.name, nodegroupName=None, addonName=None,
                                         message=f"Association already exists: {ident}")
    ident = "a-" + uuid.uuid4().hex[:17]
    now = datetime.now(timezone.utc)
    association = {"clusterName": cluster.name, "namespace": namespace, "serviceAccount": account, "roleArn": role,
                   "associationArn": cluster.arn.replace(":cluster/", ":podidentityassociation/") + f"/{ident}",
                   "associationId": ident, "tags": dict(self._get_param("tags") or {}), "createdAt": now,
                   "modifiedAt": now, "disableSessionTags": bool(self._get_param("disableSessionTags"))}
    if self._get_param("targetRoleArn"):
        association["targetRoleArn"] = self._get_param("targetRoleArn")
    cluster.pod_identity_associations[ident] = association
    return ActionResult({"association": association})


def describe_pod_identity_association(self):  # patch 21
    return ActionResult({"association": _association_of(self, _associations(self))})


def list_pod_identity_associations(self):  # patch 21
    cluster = _associations(self)
    namespace, account = self._get_param("namespace"), self._get_param("serviceAccount")
    chosen = {ident: a for ident, a in cluster.pod_identity_associations.items()
              if namespace in (None, a["namespace"]) and account in (None, a["serviceAccount"])}
    page, token = _page(self, chosen)
    return ActionResult({"associations": [{k: chosen[i][k] for k in _ASSOCIATION_SUMMARY if k in chosen[i]} for i in page],
                         **({"nextToken": token} if token else {})})


def update_pod_identity_association(self):  # patch 21
    cluster = _associations(self)
    association = _association_of(self, cluster)
    if self._get_param("roleArn"):
        association["roleArn"] = _role_arn(self)
    if self._get_param("disableSessionTags") is not None:
        association["disableSessionTags"] = bool(self._get_param("disableSessionTags"))
    association["modifiedAt"] = datetime.now(timezone.utc)
    return ActionResult({"association": association})


def delete_pod_identity_association(self):  # patch 21
    cluster = _associations(self)
    association = _association_of(self, cluster)
    del cluster.pod_identity_associations[association["associationId"]]
    return ActionResult({"association": association})


_POD_IDENTITY_CALLS = ("create_pod_identity_association", "describe_pod_identity_association",
                       "list_pod_identity_associations", "update_pod_identity_association",
                       "delete_pod_identity_association")


_orig_get_region_from_url = EKSResponse.get_region_from_url


def get_region_from_url(self, request, full_url):  # patch 16
    """The region from the URL's host only: the path may hold `.sso.amazonaws.com` (an access entry's principal)."""
    parts = urlsplit(full_url)
    return _orig_get_region_from_url(self, request, f"{parts.scheme}://{parts.netloc}/")


def apply():
    """Install the patches (idempotent)."""
    if getattr(EKSResponse, "_triptrip_patched", False):
        return
    EKSResponse.create_cluster = create_cluster
    EKSResponse.update_cluster_config = update_cluster_config
    EKSBackend.delete_cluster = delete_cluster
    EKSResponse.create_nodegroup = create_nodegroup
    EKSBackend.tag_resource = _tag_patch(EKSBackend.tag_resource, lambda t, tags: t.tags.update(tags))
    EKSBackend.untag_resource = _tag_patch(EKSBackend.untag_resource, _untag)
    EKSBackend.list_tags_for_resource = _tag_patch(EKSBackend.list_tags_for_resource, lambda t: t.tags)
    kms_models.KmsBackend.schedule_key_deletion = schedule_key_deletion
    EKSResponse.update_cluster_version = update_cluster_version
    EKSResponse.update_nodegroup_version = update_nodegroup_version
    EKSResponse.list_updates = list_updates  # patch 22: GET on patch 10's path
    eks_urls.url_paths["{0}/clusters/(?P<name>[^/]+)/updates$"] = eks_urls.response.dispatch
    eks_urls.url_paths["{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$"] = \
        eks_urls.response.dispatch
    for name in ("create_addon", "describe_addon", "list_addons", "update_addon", "delete_addon",
                 "describe_addon_versions", "describe_update"):
        setattr(EKSResponse, name, globals()[name])
    for path in ("{0}/clusters/(?P<name>[^/]+)/addons$", "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
                 "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$", "{0}/addons/supported-versions$",
                 "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$"):
        eks_urls.url_paths[path] = eks_urls.response.dispatch
    EKSResponse.describe_addon_configuration = describe_addon_configuration  # patch 18
    eks_urls.url_paths["{0}/addons/configuration-schemas$"] = eks_urls.response.dispatch
    # patch 14. The principal ARN arrives URL-encoded in the path; moto's server (Flask) matches these paths once
    # decoded (a role's ARN then has slashes), so the entry's part is a named `.+` (Flask's rules keep named groups
    # only), which also takes .../access-policies[/{policyArn}]. moto's router then picks the operation from the raw
    # path and _get_param gives principalArn and policyArn decoded.
    for name in _ACCESS_ENTRY_CALLS:
        setattr(EKSResponse, name, globals()[name])
    for path in ("{0}/clusters/(?P<name>[^/]+)/access-entries$",
                 "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$"):
        eks_urls.url_paths[path] = eks_urls.response.dispatch
    EKSResponse.list_access_policies = list_access_policies  # patch 17
    eks_urls.url_paths["{0}/access-policies$"] = eks_urls.response.dispatch
    for name in ("list_insights", "describe_insight"):  # patch 20
        setattr(EKSResponse, name, globals()[name])
    for path in ("{0}/clusters/(?P<name>[^/]+)/insights$", "{0}/clusters/(?P<name>[^/]+)/insights/(?P<id>[^/]+)$"):
        eks_urls.url_paths[path] = eks_urls.response.dispatch
    for name in _POD_IDENTITY_CALLS:  # patch 21
        setattr(EKSResponse, name, globals()[name])
    for path in ("{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
                 "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$"):
        eks_urls.url_paths[path] = eks_urls.response.dispatch
    EKSResponse.describe_cluster = describe_cluster  # patch 15
    EKSResponse.get_region_from_url = get_region_from_url  # patch 16
    # patch 13: the shared prefix table moto's tag backend reads (the same dict object, changed in place).
    ec2_utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"
    EKSResponse._triptrip_patched = True


def main(argv=None):
    apply()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
