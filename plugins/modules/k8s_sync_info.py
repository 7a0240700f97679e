#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_sync_info
short_description: Find which Kubernetes objects a server-side apply would leave unchanged, with one list per kind
version_added: 0.9.0
description:
  - Reads the live objects of every kind among I(definitions) with one list request per kind (across namespaces,
    narrowed by the C(app.kubernetes.io/managed-by) label when every definition of the kind carries it), and
    returns which definitions a server-side apply by I(field_manager) would leave as they are. Those need no
    request at all; P(triptrip.platform.k8s_objects#module) uses this to send only the others.
  - A definition is in sync when every value it sets is already in the live object, and the field manager's
    managedFields entry holds exactly the fields it sets (so the apply would neither remove a field the manager
    set before nor take over a field). Anything it cannot decide counts as out of sync.
  - Secrets are never read (they go to the apply). A kind the credentials may not list, or that the API server
    does not know yet (a custom resource whose CRD is still to come), counts as out of sync.
  - Read only; runs the same in check mode.
author:
  - TripTrip Platform Team (@triptrip)
options:
  definitions:
    description: The objects, as they would be applied.
    type: list
    elements: dict
    required: true
  field_manager:
    description: The server-side apply field manager of the apply.
    type: str
    required: true
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
"""

EXAMPLES = r"""
- name: Find what the apply would change
  triptrip.platform.k8s_sync_info:
    definitions: "{{ objects }}"
    field_manager: triptrip-platform
  register: sync

- name: Apply only those
  kubernetes.core.k8s:
    apply: true
    server_side_apply:
      field_manager: triptrip-platform
    definition: "{{ objects | zip(range(objects | length)) | rejectattr('1', 'in', sync.in_sync) | map(attribute='0') | list }}"
"""

RETURN = r"""
in_sync:
  description: Indexes (0-based) of the definitions a server-side apply would leave unchanged.
  returned: always
  type: list
  elements: int
  sample: [0, 1, 3]
out_of_sync:
  description: Indexes of the other definitions (missing, different, or not decidable).
  returned: always
  type: list
  elements: int
  sample: [2]
lists:
  description: The list requests made, one per kind.
  returned: always
  type: int
  sample: 6
"""

from collections import defaultdict

from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.triptrip.platform.plugins.module_utils.k8s_sync import in_sync

MANAGED_BY = "app.kubernetes.io/managed-by"


def groups(definitions):
    """Definitions by (apiVersion, kind), each with its index; Secrets and malformed ones left out."""
    found = defaultdict(list)
    for index, definition in enumerate(definitions):
        if not isinstance(definition, dict) or definition.get("kind") in (None, "Secret", "List"):
            continue
        if not (definition.get("metadata") or {}).get("name") or not definition.get("apiVersion"):
            continue
        found[(definition["apiVersion"], definition["kind"])].append((index, definition))
    return found


def selector(members):
    """The managed-by label selector when every definition of the kind has the same value, else None."""
    values = {((d.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) for _index, d in members}
    return f"{MANAGED_BY}={values.pop()}" if len(values) == 1 and None not in values else None


def live_objects(client, api_version, kind, label_selector):
    """{(namespace, name): object} of one kind, or None when it cannot be listed."""
    try:
        resource = client.resource(kind, api_version)
        listed = client.client.get(resource, label_selector=label_selector).to_dict()
    except Exception:  # noqa: BLE001 - any failure here only means: apply as usual
        return None
    return {((o.get("metadata") or {}).get("namespace") or "", o["metadata"]["name"]): o
            for o in listed.get("items") or []}


def plan(client, definitions, field_manager):
    """(in_sync, out_of_sync, lists): the indexes of each kind, and the list requests made."""
    synced, lists = set(), 0
    for (api_version, kind), members in groups(definitions).items():
        live = live_objects(client, api_version, kind, selector(members))
        lists += 1
        if live is None:
            continue
        for index, definition in members:
            meta = definition["metadata"]
            current = live.get((meta.get("namespace") or "", meta["name"]))
            if in_sync(definition, current, field_manager):
                synced.add(index)
    return sorted(synced), [i for i in range(len(definitions)) if i not in synced], lists


def main():
    spec = dict(AUTH_ARG_SPEC)
    spec.update(definitions=dict(type="list", elements="dict", required=True),
                field_manager=dict(type="str", required=True))
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=spec, supports_check_mode=True)
    client = get_api_client(module)
    synced, others, lists = plan(client, module.params["definitions"], module.params["field_manager"])
    module.exit_json(changed=False, in_sync=synced, out_of_sync=others, lists=lists)


if __name__ == "__main__":
    main()
