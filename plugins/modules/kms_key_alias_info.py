#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_key_alias_info
short_description: Read the KMS key an alias points to, its rotation and tags, in three calls
version_added: 0.2.0
description:
  - C(DescribeKey) by alias name, then C(GetKeyRotationStatus) and C(ListResourceTags) of that key. That is what
    M(amazon.aws.kms_key) compares for a key without a managed policy or grants, where M(amazon.aws.kms_key_info)
    makes seven calls (aliases, grants and policies included).
  - Meant as the read before a converge, so that M(amazon.aws.kms_key) runs only when the key differs (see the
    filter P(triptrip.platform.aws_in_sync#filter), kind C(kms_key)).
  - Returns C(exists=false) when the alias does not exist. Read only; runs the same in check mode. Calls retry
    with jittered backoff on throttling.
author:
  - TripTrip Platform Team (@triptrip)
options:
  alias:
    description: The alias, with or without its C(alias/) prefix.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the secrets encryption key
  triptrip.platform.kms_key_alias_info:
    alias: triptrip-production-eks-secrets
  register: current

- name: Converge the key only when it differs
  amazon.aws.kms_key:
    alias: triptrip-production-eks-secrets
    enable_key_rotation: true
    tags: {team: platform}
  when: >-
    not (current.key | default(none) | triptrip.platform.aws_in_sync('kms_key',
    {'alias': 'triptrip-production-eks-secrets', 'enable_key_rotation': true, 'tags': {'team': 'platform'}}))
"""

RETURN = r"""
exists:
  description: Whether the alias exists.
  returned: always
  type: bool
  sample: true
key:
  description: The key behind the alias.
  returned: when the alias exists
  type: dict
  contains:
    key_id:
      description: Key id.
      type: str
    key_arn:
      description: Key ARN.
      type: str
      sample: arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    key_state:
      description: Enabled, Disabled, PendingDeletion, ...
      type: str
      sample: Enabled
    description:
      description: Key description.
      type: str
    key_spec:
      description: Key spec.
      type: str
      sample: SYMMETRIC_DEFAULT
    key_usage:
      description: Key usage.
      type: str
      sample: ENCRYPT_DECRYPT
    enable_key_rotation:
      description: Whether automatic rotation is on (C(null) when the caller may not read it).
      type: bool
    tags:
      description: Tags.
      type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.kms import kms_client


def read_key(client, alias):
    """The key behind the alias as a flat dict, or None when the alias does not exist."""
    name = alias if alias.startswith("alias/") else f"alias/{alias}"
    meta = describe_or_none(client.describe_key, "KeyMetadata", codes=("NotFoundException",), KeyId=name)
    if meta is None:
        return None
    try:
        rotation = client.get_key_rotation_status(KeyId=meta["KeyId"], aws_retry=True).get("KeyRotationEnabled")
    except is_boto3_error_code("AccessDeniedException"):
        rotation = None  # kms_key itself goes on without it, and so would a comparison (None never matches)
    tags, marker = {}, None
    while True:
        page = client.list_resource_tags(KeyId=meta["KeyId"], aws_retry=True, **({"Marker": marker} if marker else {}))
        tags.update({t["TagKey"]: t["TagValue"] for t in page.get("Tags") or []})
        if not page.get("Truncated"):
            break
        marker = page["NextMarker"]
    return {"key_id": meta["KeyId"], "key_arn": meta["Arn"], "key_state": meta.get("KeyState"),
            "description": meta.get("Description", ""), "key_spec": meta.get("KeySpec"),
            "key_usage": meta.get("KeyUsage"), "enable_key_rotation": rotation, "tags": tags}


def main():
    module = AnsibleAWSModule(argument_spec=dict(alias=dict(type="str", required=True)), supports_check_mode=True)
    client = kms_client(module)
    try:
        key = read_key(client, module.params["alias"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Could not read the KMS key of alias {module.params['alias']}")
    if key is None:
        module.exit_json(changed=False, exists=False)
    module.exit_json(changed=False, exists=True, key=key)


if __name__ == "__main__":
    main()
