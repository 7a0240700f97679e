#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_oidc_provider
short_description: Manage an IAM OpenID Connect identity provider
version_added: 0.1.0
description:
  - Registers an OpenID Connect issuer (such as an EKS cluster's, for IAM roles for service accounts) as an IAM
    identity provider, and converges its client ids (audiences), thumbprints and tags.
  - The provider is found by its URL. Only the provider whose ARN ends with the URL's host and path is read.
  - Compares desired and actual first and calls IAM only when they differ. Supports check mode and diff.
  - Calls retry with jittered backoff on throttling (C(Throttling)) and transient errors.
author:
  - TripTrip Platform Team (@triptrip)
options:
  url:
    description:
      - The issuer URL, for example C(https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE).
      - Accepted with or without C(https://); C(https://) is added when missing. A trailing C(/) is dropped.
        Any other scheme is refused.
    type: str
    required: true
  client_ids:
    description:
      - The client ids (audiences) the provider accepts. Ids not in the list are removed.
      - EKS IRSA tokens carry the audience C(sts.amazonaws.com).
    type: list
    elements: str
    default: [sts.amazonaws.com]
  thumbprints:
    description:
      - SHA-1 fingerprints (40 hexadecimal characters) of the certificates of the issuer's server, at most five.
      - IAM no longer needs them for issuers whose certificate it trusts through its own CA store (EKS's among
        them). When omitted or empty, the provider's thumbprints are left as IAM has them; when given, they are
        set to exactly this list.
      - Checked before any call; a malformed value fails naming this option.
    type: list
    elements: str
  tags:
    description: Tags of the provider. When omitted, the tags are left alone.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags) (tags whose key starts with C(aws:) are kept).
    type: bool
    default: true
  state:
    description: C(present) creates or converges the provider; C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Look up the cluster's OIDC issuer
  triptrip.platform.eks_cluster_info:
    name: triptrip-production
  register: production_cluster

- name: Register the cluster's OIDC issuer for IAM roles for service accounts
  triptrip.platform.iam_oidc_provider:
    url: "{{ production_cluster.cluster.identity.oidc.issuer }}"
    client_ids: [sts.amazonaws.com]
    tags:
      Environment: production

- name: An issuer given without its scheme, with pinned thumbprints
  triptrip.platform.iam_oidc_provider:
    url: oidc.example.com/realms/triptrip
    client_ids: [sts.amazonaws.com, triptrip-ci]
    thumbprints: [9e99a48a9960b14926bb7f3b02e22da2b0ab7280]

- name: Remove the provider
  triptrip.platform.iam_oidc_provider:
    url: https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE
    state: absent
"""

RETURN = r"""
arn:
  description: ARN of the provider (of the deleted one when I(state=absent)). Absent when a check-mode run would create it.
  returned: when the provider exists or existed
  type: str
  sample: arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE
url:
  description: The issuer URL, normalised with C(https://).
  returned: always
  type: str
  sample: https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE
client_ids:
  description: The provider's client ids after the run (planned ones in check mode).
  returned: when I(state=present)
  type: list
  elements: str
  sample: [sts.amazonaws.com]
thumbprints:
  description: The provider's thumbprints after the run (planned ones in check mode), lower case.
  returned: when I(state=present)
  type: list
  elements: str
  sample: [9e99a48a9960b14926bb7f3b02e22da2b0ab7280]
tags:
  description: The provider's tags after the run (planned ones in check mode).
  returned: when I(state=present)
  type: dict
  sample: {"Environment": "production"}
"""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.iam import iam_client
from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, tags_after

THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")


def normalise_url(url):
    """(https URL, host+path as IAM names the provider) or (None, reason)."""
    url = (url or "").strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "https", url
    if scheme.lower() != "https":
        return None, f"url={url} must be an https:// URL (IAM accepts only https issuers)"
    rest = rest.rstrip("/")
    if not rest or rest.startswith("/"):
        return None, f"url={url} has no host"
    return f"https://{rest}", rest


def validate(params):
    """Reasons the task cannot run, checked before any call."""
    errors = []
    bad = [t for t in params.get("thumbprints") or [] if not THUMBPRINT.match(str(t))]
    if bad:
        errors.append(f"thumbprints must be SHA-1 fingerprints of 40 hexadecimal characters; not: {', '.join(map(str, bad))}")
    if len(params.get("thumbprints") or []) > 5:
        errors.append("thumbprints holds at most 5 fingerprints")
    if any(not c for c in params["client_ids"]):
        errors.append("client_ids must not hold an empty id")
    return errors


def find_provider(client, key):
    """(arn, provider as get_open_id_connect_provider returns it) of the provider for host+path `key`, or (None, None)."""
    listed = client.list_open_id_connect_providers(aws_retry=True).get("OpenIDConnectProviderList") or []
    suffix = f":oidc-provider/{key}"
    for entry in listed:
        arn = entry.get("Arn") or ""
        if arn.endswith(suffix):
            provider = describe_or_none(client.get_open_id_connect_provider, codes=("NoSuchEntity",),
                                        OpenIDConnectProviderArn=arn)
            return (None, None) if provider is None else (arn, provider)  # None: deleted since the list
    return None, None


def settings(provider):
    """What this module manages of a provider: what --diff shows and the module returns."""
    if provider is None:
        return {}
    return {
        "client_ids": sorted(provider.get("ClientIDList") or []),
        "thumbprints": sorted(t.lower() for t in provider.get("ThumbprintList") or []),
        "tags": boto3_tag_list_to_ansible_dict(provider.get("Tags") or []),
    }


def desired(params, have):
    want = {
        "client_ids": sorted(set(params["client_ids"])),
        "thumbprints": list(have.get("thumbprints") or []),
        "tags": dict(have.get("tags") or {}),
    }
    if params.get("thumbprints"):
        want["thumbprints"] = sorted(set(t.lower() for t in params["thumbprints"]))
    want["tags"] = tags_after(want["tags"], params.get("tags"), params["purge_tags"])
    return want


def plan(arn, params, have):
    """The IAM write calls that take the provider from `have` (settings()) to `params`: [(api_call, kwargs)]."""
    calls = []
    want_ids = list(dict.fromkeys(params["client_ids"]))
    for client_id in want_ids:
        if client_id not in have["client_ids"]:
            calls.append(("add_client_id_to_open_id_connect_provider",
                          {"OpenIDConnectProviderArn": arn, "ClientID": client_id}))
    for client_id in have["client_ids"]:
        if client_id not in want_ids:
            calls.append(("remove_client_id_from_open_id_connect_provider",
                          {"OpenIDConnectProviderArn": arn, "ClientID": client_id}))
    if params.get("thumbprints"):
        want_prints = sorted(set(t.lower() for t in params["thumbprints"]))
        if want_prints != have["thumbprints"]:
            calls.append(("update_open_id_connect_provider_thumbprint",
                          {"OpenIDConnectProviderArn": arn, "ThumbprintList": want_prints}))
    add, remove = tag_changes(have["tags"], params.get("tags"), params["purge_tags"])
    if add:
        calls.append(("tag_open_id_connect_provider",
                      {"OpenIDConnectProviderArn": arn, "Tags": ansible_dict_to_boto3_tag_list(add)}))
    if remove:
        calls.append(("untag_open_id_connect_provider", {"OpenIDConnectProviderArn": arn, "TagKeys": remove}))
    return calls


def create_request(url, params):
    request = {"Url": url, "ClientIDList": list(dict.fromkeys(params["client_ids"]))}
    if params.get("thumbprints"):
        request["ThumbprintList"] = sorted(set(t.lower() for t in params["thumbprints"]))
    if params.get("tags"):
        request["Tags"] = ansible_dict_to_boto3_tag_list({k: str(v) for k, v in sorted(params["tags"].items())})
    return request


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            client_ids=dict(type="list", elements="str", default=["sts.amazonaws.com"]),
            thumbprints=dict(type="list", elements="str"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    url, key = normalise_url(params["url"])
    if url is None:
        module.fail_json(msg=key)
    errors = validate(params)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = iam_client(module)
    try:
        arn, provider = find_provider(client, key)
        have = settings(provider)

        if params["state"] == "absent":
            if arn is None:
                module.exit_json(changed=False, url=url)
            if not module.check_mode:
                client.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn, aws_retry=True)
            module.exit_json(changed=True, arn=arn, url=url, diff={"before": have, "after": {}})

        if arn is None:
            want = desired(params, {"client_ids": [], "thumbprints": [], "tags": {}})
            if module.check_mode:
                module.exit_json(changed=True, url=url, diff={"before": {}, "after": want}, **want)
            arn = client.create_open_id_connect_provider(aws_retry=True, **create_request(url, params))[
                "OpenIDConnectProviderArn"]
            after = settings(client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn, aws_retry=True))
            module.exit_json(changed=True, arn=arn, url=url, diff={"before": {}, "after": after}, **after)

        calls = plan(arn, params, have)
        want = desired(params, have)
        if not calls:
            module.exit_json(changed=False, arn=arn, url=url, **have)
        if module.check_mode:
            module.exit_json(changed=True, arn=arn, url=url, diff={"before": have, "after": want}, **want)
        for call, kwargs in calls:
            getattr(client, call)(aws_retry=True, **kwargs)
        after = settings(client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn, aws_retry=True))
        module.exit_json(changed=True, arn=arn, url=url, diff={"before": have, "after": after}, **after)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"IAM OpenID Connect provider {url}")


if __name__ == "__main__":
    main()
