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
    request at all. P(triptrip.platform.k8s_objects#module) reads the same way (the same code, in the controller's
    process) to send only the others; this module is that read on its own, for a playbook's checks.
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

from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.triptrip.platform.plugins.module_utils.k8s_sync import plan


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
