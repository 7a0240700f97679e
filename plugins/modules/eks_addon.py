#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_addon
short_description: Create, converge or delete an Amazon EKS managed add-on
version_added: 0.1.0
description:
  - Creates an EKS managed add-on (C(vpc-cni), C(coredns), C(kube-proxy), C(aws-ebs-csi-driver), ...) on an
    existing cluster, converges its version, configuration values, IRSA role and tags, or deletes it.
  - Compares desired and actual first and calls AWS only when they differ. An existing add-on is changed with a
    single C(UpdateAddon) call carrying only what differs (plus I(resolve_conflicts)); tags go through
    C(TagResource) and C(UntagResource) on the add-on ARN.
  - A pinned I(addon_version) is checked against C(DescribeAddonVersions) for the cluster's Kubernetes version
    before the add-on is created or its version changed; a version EKS does not offer fails, naming
    I(addon_version) and listing the available versions, before any change.
  - I(configuration_values) is validated against the add-on's own configuration schema (C(DescribeAddonConfiguration)
    for the version the add-on will run) before it is sent, in check mode too; a key the schema does not have or a
    value of another type fails, naming the JSON path and the value of each error, before any change.
  - Waits (unless I(wait=false)) until the add-on is C(ACTIVE) after a creation or an update, and until it is
    gone after a deletion; a creation ending C(CREATE_FAILED) or C(DEGRADED), or an update ending C(Failed),
    fails the task with the health issues or update errors EKS reports.
  - Supports check mode and diff (the managed fields I(addon_version), I(configuration_values),
    I(service_account_role_arn) and I(tags), before and after).
  - Calls retry with jittered backoff on throttling (C(ThrottlingException)) and transient errors.
  - Calls that pass an IAM role retry for up to 90 seconds while EKS answers that the role cannot be assumed or
    lacks its policies (IAM's eventual consistency right after the role is created).
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the EKS cluster the add-on belongs to. The cluster must exist.
    type: str
    required: true
  name:
    description: Name of the add-on, as C(DescribeAddonVersions) lists it (C(vpc-cni), C(coredns), C(kube-proxy), ...).
    type: str
    required: true
    aliases: [addon_name]
  state:
    description: C(present) creates or converges the add-on; C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  addon_version:
    description:
      - Add-on version, as C(v1.21.1-eksbuild.3).
      - Unset, EKS installs its default version for the cluster's Kubernetes version at creation, and the
        module leaves the version alone afterwards.
      - Checked against C(DescribeAddonVersions) for the cluster's Kubernetes version on creation and on a version
        change (one extra read then, none otherwise).
    type: str
  kubernetes_version:
    description:
      - The Kubernetes version the control plane is planned to be at when the add-on changes, as C(1.35).
      - Used in check mode, where a planned control-plane upgrade has not happened yet, so that
        I(addon_version) is checked for the version the run would have (C(upgrade.yml --check)). Outside check mode
        the version is checked for the cluster's actual version, as EKS checks it.
      - Also used outside check mode when it is the minor below the cluster's, the target of a control plane rollback.
        EKS has add-ons taken back to a build of that minor before it rolls the control plane back
        (U(https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html)).
    type: str
  configuration_values:
    description:
      - The add-on's configuration, as a dictionary following the add-on's configuration schema
        (C(aws eks describe-addon-configuration)). Sent to EKS as a compact JSON string with sorted keys.
      - Compared with the add-on's current configuration as parsed JSON (or YAML), so key order and formatting
        do not matter. Quote values the schema wants as strings (C("true"), C("1")).
      - Whenever it is sent (on creation, or an update that changes it) and whenever the version changes, it is first
        validated against the schema C(DescribeAddonConfiguration) gives for the version the add-on will run
        (I(addon_version), else the installed one, else EKS's default for the cluster's Kubernetes version). Each
        error is named by its JSON path (C($.enableNetworkPolcy)) and value, an unknown key with the closest key of
        the schema; nothing is created or updated then. The schema is read each time, never cached.
      - Unset or C({}) leaves the configuration alone; the module cannot remove a configuration.
    type: dict
  service_account_role_arn:
    description:
      - IAM role (IRSA) bound to the add-on's Kubernetes service account.
      - Unset leaves the role alone; an existing role is sent again with every C(UpdateAddon), since EKS reverts
        the service account to the node IAM role when an update does not name one.
      - C("") removes the role (the service account then uses the node IAM role). EKS accepts no empty role
        ARN, so the removal is an C(UpdateAddon) that names no role.
    type: str
  resolve_conflicts:
    description:
      - What EKS does when the add-on's Kubernetes objects (on creation, a self-managed installation of the
        add-on; on update, fields changed by hand) conflict with the values EKS applies. Sent with every
        C(CreateAddon) and C(UpdateAddon).
      - C(OVERWRITE) - EKS sets the conflicting fields to the managed add-on's values (its defaults, or
        I(configuration_values)).
      - C(NONE) - EKS changes nothing it conflicts with; on creation and on update the call may then fail
        (the update ends C(Failed) with a C(ConfigurationConflict) error).
      - C(PRESERVE) - on update EKS keeps the values changed by hand; on creation it behaves as C(NONE).
    type: str
    choices: [NONE, OVERWRITE, PRESERVE]
    default: OVERWRITE
  preserve:
    description:
      - On deletion (I(state=absent)), keep the add-on's Kubernetes objects (its DaemonSet, Deployment, ...)
        running in the cluster, now unmanaged by EKS. C(false) deletes them with the add-on.
    type: bool
    default: false
  tags:
    description: Tags of the add-on. Unset leaves the tags alone.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags) (tags whose key starts with C(aws:) are never removed).
    type: bool
    default: true
  wait:
    description:
      - Wait for the add-on to be C(ACTIVE) after a creation or an update (polling C(DescribeUpdate) for the
        update first), and for it to be gone after a deletion.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a creation, an update or a deletion.
    type: int
    default: 900
notes:
  - EKS reports C(DEGRADED) for an add-on whose pods cannot become ready, for instance C(coredns) on a cluster
    without nodes yet; the module fails then, so create such add-ons after the nodes.
  - Validating I(configuration_values) needs the C(jsonschema) Python library on the host that runs the module,
    and the principal needs C(eks:DescribeAddonConfiguration).
requirements:
  - jsonschema (when I(configuration_values) is set)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: VPC CNI with prefix delegation, network policies and its IRSA role
  triptrip.platform.eks_addon:
    cluster_name: triptrip-production
    name: vpc-cni
    addon_version: v1.21.1-eksbuild.3
    configuration_values:
      enableNetworkPolicy: "true"
      env:
        ENABLE_PREFIX_DELEGATION: "true"
        WARM_PREFIX_TARGET: "1"
        POD_SECURITY_GROUP_ENFORCING_MODE: standard
    service_account_role_arn: arn:aws:iam::123456789012:role/triptrip-production-vpc-cni
    resolve_conflicts: OVERWRITE
    tags:
      Environment: production

- name: kube-proxy at the next minor's build, planned in --check before the control plane is upgraded
  triptrip.platform.eks_addon:
    cluster_name: triptrip-production
    name: kube-proxy
    addon_version: v1.35.0-eksbuild.2
    kubernetes_version: "1.35"

- name: kube-proxy at EKS's default version for the cluster, version left alone afterwards
  triptrip.platform.eks_addon:
    cluster_name: triptrip-production
    name: kube-proxy

- name: Stop using an IRSA role (back to the node role)
  triptrip.platform.eks_addon:
    cluster_name: triptrip-production
    name: aws-ebs-csi-driver
    service_account_role_arn: ""

- name: Hand the add-on's objects over to self-management
  triptrip.platform.eks_addon:
    cluster_name: triptrip-production
    name: coredns
    state: absent
    preserve: true
"""

RETURN = r"""
addon:
  description:
    - The add-on as C(DescribeAddon) returns it after the run, keys in snake_case (tag keys kept as they are),
      with I(configuration_values) parsed into a dictionary (C({}) when the add-on has none).
    - Not returned after a deletion, nor for an add-on check mode would create.
  returned: when the add-on exists after the run
  type: dict
  contains:
    addon_name:
      description: Name of the add-on.
      type: str
      sample: vpc-cni
    cluster_name:
      description: Name of the cluster.
      type: str
      sample: triptrip-production
    addon_arn:
      description: ARN of the add-on (the one its tags are set on).
      type: str
      sample: arn:aws:eks:ap-northeast-1:123456789012:addon/triptrip-production/vpc-cni/1a2b3c4d
    addon_version:
      description: Installed version.
      type: str
      sample: v1.21.1-eksbuild.3
    status:
      description: C(ACTIVE) after a successful wait; C(CREATING), C(UPDATING) ... without it.
      type: str
      sample: ACTIVE
    configuration_values:
      description: The configuration, parsed.
      type: dict
      sample: {"enableNetworkPolicy": "true", "env": {"ENABLE_PREFIX_DELEGATION": "true"}}
    service_account_role_arn:
      description: IRSA role of the add-on's service account, when it has one.
      type: str
    health:
      description: Health issues EKS reports (C(issues), each with C(code), C(message), C(resource_ids)).
      type: dict
    tags:
      description: Tags of the add-on.
      type: dict
      sample: {"Environment": "production"}
configuration_errors:
  description:
    - Each way I(configuration_values) breaks the add-on's configuration schema, as C(<JSON path>=<value> - <what is
      wrong>); the task fails before any change.
  returned: when I(configuration_values) does not validate
  type: list
  elements: str
  sample: ['$.enableNetworkPolcy="true": not a key of the schema; did you mean enableNetworkPolicy?']
"""

import difflib
import json
import re
import traceback
from functools import partial

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

try:
    import yaml
except ImportError:  # only to read a configuration someone set in YAML
    yaml = None

try:
    import jsonschema
except ImportError:  # needed only with configuration_values: main() reports it then
    jsonschema = None
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()
else:
    JSONSCHEMA_IMPORT_ERROR = None

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import (
    describe_cluster, eks_client, health_issues, snake, update_tags)
from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.retries import call_passing_role
from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, tags_after, wanted_tags
from ansible_collections.triptrip.platform.plugins.module_utils.waiters import (
    Deadline, failed, resource_judge, update_judge, wait)

ADDON_FAILED = ("CREATE_FAILED", "DEGRADED", "UPDATE_FAILED", "DELETE_FAILED")


def describe_addon(client, cluster_name, name):
    """The add-on as EKS describes it, or None when it (or its cluster) does not exist."""
    return describe_or_none(client.describe_addon, "addon", clusterName=cluster_name, addonName=name)


def config_json(values):
    """What the module sends as configurationValues: compact JSON, keys sorted (the same string on every run)."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def parse_config(text):
    """The add-on's configurationValues (JSON, or YAML when set so by someone else) as data; {} when none."""
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        pass
    if yaml is not None:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    return text  # unreadable: compared as the string, so any stated configuration replaces it


def settings(addon):
    """The fields this module manages, as --diff shows them."""
    return {
        "addon_version": addon.get("addonVersion"),
        "configuration_values": parse_config(addon.get("configurationValues")),
        "service_account_role_arn": addon.get("serviceAccountRoleArn"),
        "tags": dict(addon.get("tags") or {}),
    }


def desired_settings(params, have):
    """`have` with every field the task states put in its place."""
    want = dict(have)
    if params.get("addon_version"):
        want["addon_version"] = params["addon_version"]
    if params.get("configuration_values"):
        want["configuration_values"] = params["configuration_values"]
    if params.get("service_account_role_arn") is not None:
        want["service_account_role_arn"] = params["service_account_role_arn"] or None
    if params.get("tags") is not None:
        want["tags"] = tags_after(have["tags"], params["tags"], params["purge_tags"])
    return want


def addon_result(addon):
    if addon is None:
        return None
    result = snake(addon)
    result["configuration_values"] = parse_config(addon.get("configurationValues"))
    return result


def create_request(params):
    request = {"clusterName": params["cluster_name"], "addonName": params["name"]}
    if params.get("addon_version"):
        request["addonVersion"] = params["addon_version"]
    if params.get("configuration_values"):
        request["configurationValues"] = config_json(params["configuration_values"])
    if params.get("service_account_role_arn"):
        request["serviceAccountRoleArn"] = params["service_account_role_arn"]
    request["resolveConflicts"] = params["resolve_conflicts"]
    if params.get("tags"):
        request["tags"] = wanted_tags(params["tags"])
    return request


def update_request(params, addon):
    """The one UpdateAddon request that takes `addon` to `params`, or None when nothing differs."""
    changes = {}
    if params.get("addon_version") and params["addon_version"] != addon.get("addonVersion"):
        changes["addonVersion"] = params["addon_version"]
    want_config = params.get("configuration_values")
    if want_config and parse_config(addon.get("configurationValues")) != want_config:
        changes["configurationValues"] = config_json(want_config)
    have_role = addon.get("serviceAccountRoleArn") or None
    want_role = params.get("service_account_role_arn")
    role_changes = want_role is not None and (want_role or None) != have_role
    if not changes and not role_changes:
        return None
    request = {"clusterName": params["cluster_name"], "addonName": params["name"], **changes}
    # EKS drops the role of an update that names none: carry the role that stays, omit it to remove it.
    keep_role = (want_role or None) if want_role is not None else have_role
    if keep_role:
        request["serviceAccountRoleArn"] = keep_role
    request["resolveConflicts"] = params["resolve_conflicts"]
    return request


def _minor_below(version, cluster_version):
    """Whether `version` is the Kubernetes minor just below `cluster_version` (both as C(1.35))."""
    try:
        (major, minor), (have_major, have_minor) = [tuple(int(x) for x in str(v).split(".")[:2])
                                                    for v in (version, cluster_version)]
    except ValueError:
        return False
    return major == have_major and minor == have_minor - 1


def check_version(module, client, params):
    """Fail, naming addon_version and listing what EKS offers, unless the version exists for the cluster's
    Kubernetes version."""
    cluster_name, name, version = params["cluster_name"], params["name"], params["addon_version"]
    cluster = describe_cluster(client, cluster_name)
    if cluster is None:
        if module.check_mode:
            # --check on a new account: the run would create the cluster first, and the version is checked then.
            return
        module.fail_json(msg=f"EKS cluster {cluster_name} does not exist: cannot manage its add-on {name}")
    kubernetes = cluster.get("version")
    if module.check_mode and params.get("kubernetes_version"):
        kubernetes = params["kubernetes_version"]  # the control plane's planned upgrade has not run in --check
    elif params.get("kubernetes_version") and _minor_below(params["kubernetes_version"], kubernetes):
        kubernetes = params["kubernetes_version"]  # a rollback: add-ons go back before the control plane
    available = []
    request = {"addonName": name, "kubernetesVersion": kubernetes}
    while True:
        response = client.describe_addon_versions(aws_retry=True, **request)
        for info in response.get("addons") or []:
            if info.get("addonName") == name:
                available.extend(v["addonVersion"] for v in info.get("addonVersions") or [] if v.get("addonVersion"))
        if not response.get("nextToken"):
            break
        request["nextToken"] = response["nextToken"]
    if version not in available:
        module.fail_json(
            msg=(f"addon_version {version} is not available for EKS add-on {name} on Kubernetes {kubernetes} "
                 f"(cluster {cluster_name}); available: {', '.join(available) if available else 'none'}"),
            available_versions=available,
        )


def default_version(module, client, params):
    """The version EKS installs when none is given: its default for the cluster's Kubernetes version (None when the
    cluster does not exist yet in check mode, or EKS names no default)."""
    cluster = describe_cluster(client, params["cluster_name"])
    if cluster is None:
        if module.check_mode:
            return None
        module.fail_json(msg=f"EKS cluster {params['cluster_name']} does not exist: cannot manage its add-on "
                             f"{params['name']}")
    kubernetes = cluster.get("version")
    request = {"addonName": params["name"], "kubernetesVersion": kubernetes}
    while True:
        response = client.describe_addon_versions(aws_retry=True, **request)
        for info in response.get("addons") or []:
            for version in info.get("addonVersions") or []:
                if any(c.get("clusterVersion") == kubernetes and c.get("defaultVersion")
                       for c in version.get("compatibilities") or []):
                    return version.get("addonVersion")
        if not response.get("nextToken"):
            return None
        request["nextToken"] = response["nextToken"]


def _json_path(path, key):
    """A key under a JSON path, as jsonschema writes one ($.env.NAME, or $['odd key'])."""
    return f"{path}.{key}" if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) else f"{path}[{json.dumps(key)}]"


def _json_type(value):
    kinds = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (dict, "object"),
             (list, "array"), (type(None), "null"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def configuration_errors(schema, values):
    """Each way `values` breaks the JSON schema, as `<JSON path>=<value>: <what is wrong>`, in path order."""
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: e.json_path)
    mistyped = {e.json_path for e in errors if e.validator == "type"}
    messages = []  # (JSON path, message), sorted by path
    for error in errors:
        path, value = error.json_path, error.instance
        if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(value, dict):
            known = list(error.schema.get("properties") or {})
            patterns = list(error.schema.get("patternProperties") or {})
            for key in value:
                if key in known or any(re.search(pattern, key) for pattern in patterns):
                    continue
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
                where = _json_path(path, key)
                messages.append((where, f"{where}={json.dumps(value[key])}: not a key of the schema"
                                        + (f"; did you mean {near[0]}?" if near else "")))
        elif error.validator == "type":
            wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            messages.append((path, f"{path}={json.dumps(value)}: {_json_type(value)} where the schema wants "
                                   f"{' or '.join(wanted)}"))
        elif error.validator == "enum" and path not in mistyped:
            messages.append((path, f"{path}={json.dumps(value)}: not one of {json.dumps(error.validator_value)}"))
        elif path not in mistyped:  # a value of the wrong type is named once, for its type
            messages.append((path, f"{path}={json.dumps(value)}: {error.message}"))
    return [message for _path, message in sorted(messages)]


def check_configuration(module, client, params, version):
    """Fail, naming each error's JSON path and value, unless configuration_values validates against the schema EKS
    gives for `version` of the add-on (read each time: a schema is per build)."""
    name = params["name"]
    if not version:
        return  # no version to read a schema for yet (a new account in check mode): EKS validates it on creation
    response = client.describe_addon_configuration(addonName=name, addonVersion=version, aws_retry=True)
    label = f"configuration_values of EKS add-on {name} {version}"
    if not response.get("configurationSchema"):
        module.fail_json(msg=f"{label}: the add-on takes no configuration (DescribeAddonConfiguration gives no schema)")
    try:
        errors = configuration_errors(json.loads(response["configurationSchema"]), params["configuration_values"])
    except (ValueError, jsonschema.exceptions.SchemaError) as err:
        module.fail_json(msg=f"{label}: cannot read the configuration schema DescribeAddonConfiguration gives: {err}")
    if errors:
        module.fail_json(msg=f"{label} does not fit the add-on's configuration schema (DescribeAddonConfiguration): "
                             + "; ".join(errors), configuration_errors=errors)


def update_errors(update):
    errors = update.get("errors") or []
    if not errors:
        return "no errors reported"
    return "; ".join(
        f"{error.get('errorCode')}: {error.get('errorMessage')}"
        + (f" ({', '.join(error['resourceIds'])})" if error.get("resourceIds") else "")
        for error in errors
    )


def wait_addon(module, client, update_id=None, gone=False):
    """Wait for the update (when one is in progress), then for the add-on to be ACTIVE (or, with gone, deleted), all
    within one wait_timeout; return the add-on. Fails on a failed update or a failed add-on, with its issues."""
    cluster_name, name = module.params["cluster_name"], module.params["name"]
    label = f"EKS add-on {name} on cluster {cluster_name}"
    timeout = module.params["wait_timeout"]
    deadline = Deadline(timeout)

    def timed_out(what):
        return lambda last: f"Timed out after {timeout} s waiting for {what} (last status: {(last or {}).get('status')})"

    if update_id:
        wait(lambda: client.describe_update(name=cluster_name, updateId=update_id, addonName=name, aws_retry=True)["update"],
             update_judge(lambda update: f"Update {update_id} of {label} ended {update['status']}: {update_errors(update)}",
                          update=snake),
             deadline, module.fail_json, timed_out(f"update {update_id} of {label} to succeed"), clip=True)
    judge = resource_judge(
        ready=("ACTIVE",), failing=("DELETE_FAILED",) if gone else ADDON_FAILED, gone=gone,
        missing=f"{label} disappeared while waiting for it to be ACTIVE",
        failure=lambda addon: failed(f"{label} is {addon['status']}: {health_issues(addon)}", addon=addon_result(addon)))
    return wait(partial(describe_addon, client, cluster_name, name), judge, deadline, module.fail_json,
                timed_out(f"{label} to be {'deleted' if gone else 'ACTIVE'}"), clip=True)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            name=dict(type="str", required=True, aliases=["addon_name"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            addon_version=dict(type="str"),
            kubernetes_version=dict(type="str"),
            configuration_values=dict(type="dict"),
            service_account_role_arn=dict(type="str"),
            resolve_conflicts=dict(type="str", choices=["NONE", "OVERWRITE", "PRESERVE"], default="OVERWRITE"),
            preserve=dict(type="bool", default=False),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    params = module.params
    cluster_name, name = params["cluster_name"], params["name"]
    if params["state"] == "present" and params.get("configuration_values") and jsonschema is None:
        module.fail_json(msg=missing_required_lib("jsonschema"), exception=JSONSCHEMA_IMPORT_ERROR)
    client = eks_client(module)
    try:
        addon = describe_addon(client, cluster_name, name)

        if params["state"] == "absent":
            if addon is None:
                module.exit_json(changed=False)
            if not module.check_mode:
                client.delete_addon(clusterName=cluster_name, addonName=name, preserve=params["preserve"], aws_retry=True)
                if params["wait"]:
                    wait_addon(module, client, gone=True)
            module.exit_json(changed=True, diff={"before": settings(addon), "after": {}})

        if addon is None:
            if params.get("addon_version"):
                check_version(module, client, params)
            if params.get("configuration_values"):
                check_configuration(module, client, params,
                                    params.get("addon_version") or default_version(module, client, params))
            request = create_request(params)
            if not module.check_mode:
                addon = call_passing_role(client.create_addon, **request)["addon"]
                if params["wait"]:
                    addon = wait_addon(module, client)
            after = {k: v for k, v in desired_settings(params, settings({})).items() if v not in (None, {})}
            result = {"changed": True, "diff": {"before": {}, "after": after}}
            if addon is not None:
                result["addon"] = addon_result(addon)
            module.exit_json(**result)

        request = update_request(params, addon)
        if request and "addonVersion" in request:
            check_version(module, client, params)
        if request and params.get("configuration_values") and {"configurationValues", "addonVersion"} & set(request):
            # What EKS will hold to a schema: the configuration sent, or the one kept under a new version.
            check_configuration(module, client, params, request.get("addonVersion") or addon.get("addonVersion"))
        add_tags, remove_tags = tag_changes(addon.get("tags"), params.get("tags"), params["purge_tags"])
        changed = bool(request or add_tags or remove_tags)
        before = settings(addon)
        after = desired_settings(params, before)
        if changed and not module.check_mode:
            update = {}
            if request:
                update = call_passing_role(client.update_addon, **request).get("update") or {}
                if update.get("status") in ("Failed", "Cancelled"):
                    module.fail_json(msg=f"Update of EKS add-on {name} on cluster {cluster_name} ended "
                                         f"{update['status']}: {update_errors(update)}", update=snake(update))
            update_tags(client, addon["addonArn"], add_tags, remove_tags)
            if request and params["wait"]:
                update_id = update.get("id") if update.get("status") == "InProgress" else None
                addon = wait_addon(module, client, update_id)
            elif request:
                addon = describe_addon(client, cluster_name, name) or addon
            else:
                addon = {**addon, "tags": after["tags"]}
        module.exit_json(changed=changed, addon=addon_result(addon),
                         diff={"before": before, "after": after} if changed else {})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"EKS add-on {name} on cluster {cluster_name}")


if __name__ == "__main__":
    main()
