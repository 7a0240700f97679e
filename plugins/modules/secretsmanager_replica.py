#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secretsmanager_replica
short_description: Replicate an existing Secrets Manager secret to other regions
version_added: 0.1.0
description:
  - Makes an existing secret a multi-Region secret with a replica in each of I(replica_regions)
    (C(ReplicateSecretToRegions)), so a cluster in another region (the dr cluster) reads the same name there.
  - Only the replication is managed, never the secret's value, description or policy, which belong to whoever
    owns the secret. M(community.aws.secretsmanager_secret) would set a value (an empty one when none is given).
  - A replica whose replication failed (for example because a secret of that name already exists in the region) fails
    the task with Secrets Manager's status message.
  - Compares desired and actual first (one C(DescribeSecret)) and writes only when they differ. Supports check mode
    and diff. Calls retry with jittered backoff on throttling.
author:
  - TripTrip Platform Team (@triptrip)
options:
  name:
    description: The secret's name or ARN, in the module's region (the primary region).
    type: str
    required: true
  replica_regions:
    description: Regions the secret must have a replica in. Must not hold the secret's own region.
    type: list
    elements: str
    required: true
  kms_key_id:
    description:
      - The KMS key (ARN, id or alias) of new replicas, the same in each replica region. Unset, Secrets Manager
        uses its own key C(aws/secretsmanager) there. Existing replicas keep their key.
    type: str
  purge_regions:
    description: Remove replicas in regions not in I(replica_regions). Off by default, so another tool's replicas stay.
    type: bool
    default: false
  missing:
    description:
      - What to do when the secret does not exist. C(warn) reports it (changed=false) so a first run on an empty
        account goes on and a rerun after the secret's owner created it replicates it; C(fail) fails the task.
    type: str
    choices: [warn, fail]
    default: warn
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Replicate production's database secret to the dr region (Osaka)
  triptrip.platform.secretsmanager_replica:
    region: ap-northeast-1
    name: triptrip/production/database
    replica_regions: [ap-northeast-3]

- name: The same with a customer key in the replica region, and no other replica kept
  triptrip.platform.secretsmanager_replica:
    name: triptrip/production/redis
    replica_regions: [ap-northeast-3]
    kms_key_id: alias/triptrip-dr-secrets
    purge_regions: true
    missing: fail
"""

RETURN = r"""
arn:
  description: The primary secret's ARN.
  returned: when the secret exists
  type: str
  sample: arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:triptrip/production/database-AbCdEf
exists:
  description: Whether the secret exists.
  returned: always
  type: bool
  sample: true
replicas:
  description: The secret's replicas after the run (planned ones in check mode, with status C(planned)).
  returned: when the secret exists
  type: list
  elements: dict
  sample: [{"region": "ap-northeast-3", "status": "InSync", "kms_key_id": "alias/aws/secretsmanager"}]
"""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.secretsmanager import secretsmanager_client

REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")


def describe(client, name):
    """The secret as DescribeSecret returns it, or None when it does not exist (or is scheduled for deletion)."""
    secret = describe_or_none(client.describe_secret, SecretId=name)
    return None if secret is None or secret.get("DeletedDate") else secret


def replicas(secret):
    return [{"region": r["Region"], "status": r.get("Status"), "kms_key_id": r.get("KmsKeyId"),
             "status_message": r.get("StatusMessage")} for r in secret.get("ReplicationStatus") or []]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            replica_regions=dict(type="list", elements="str", required=True),
            kms_key_id=dict(type="str"),
            purge_regions=dict(type="bool", default=False),
            missing=dict(type="str", choices=["warn", "fail"], default="warn"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    bad = [r for r in params["replica_regions"] if not REGION.match(r)]
    if bad:
        module.fail_json(msg=f"replica_regions holds {', '.join(bad)}, not AWS region names (as ap-northeast-3)")
    if module.region in params["replica_regions"]:
        module.fail_json(msg=f"replica_regions holds {module.region}, the secret's own region: a replica goes elsewhere")
    client = secretsmanager_client(module)
    name = params["name"]
    try:
        secret = describe(client, name)
        if secret is None:
            message = (f"secret {name} does not exist in {module.region}: create it (its owner sets its value), "
                       f"then rerun to replicate it to {', '.join(params['replica_regions'])}")
            if params["missing"] == "fail":
                module.fail_json(msg=message, exists=False)
            module.warn(message)
            module.exit_json(changed=False, exists=False, msg=message)

        have = {r["region"]: r for r in replicas(secret)}
        add = [r for r in dict.fromkeys(params["replica_regions"]) if r not in have]
        remove = sorted(r for r in have if r not in params["replica_regions"]) if params["purge_regions"] else []
        failed = [r for r in params["replica_regions"] if r in have and have[r]["status"] == "Failed"]
        if failed:
            module.fail_json(msg="; ".join(f"replica of {name} in {r} failed: {have[r]['status_message']}"
                                           for r in failed), arn=secret["ARN"], exists=True,
                             replicas=list(have.values()))
        changed = bool(add or remove)
        after = [r for r in have if r not in remove] + add
        if changed and not module.check_mode:
            if add:
                request = [{"Region": r, **({"KmsKeyId": params["kms_key_id"]} if params["kms_key_id"] else {})}
                           for r in add]
                client.replicate_secret_to_regions(SecretId=secret["ARN"], AddReplicaRegions=request, aws_retry=True)
            if remove:
                client.remove_regions_from_replication(SecretId=secret["ARN"], RemoveReplicaRegions=remove,
                                                       aws_retry=True)
            result = replicas(describe(client, secret["ARN"]) or {})
        else:
            result = [have[r] if r in have else {"region": r, "status": "planned", "kms_key_id": params["kms_key_id"]}
                      for r in after]
        module.exit_json(changed=changed, exists=True, arn=secret["ARN"], replicas=result,
                         diff={"before": {"replica_regions": sorted(have)}, "after": {"replica_regions": sorted(after)}})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Secrets Manager call for {name} failed")


if __name__ == "__main__":
    main()
