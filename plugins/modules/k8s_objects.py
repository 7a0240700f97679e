#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
# The work is done by the action plugin of the same name (plugins/action/k8s_objects.py), which runs
# kubernetes.core.k8s; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_objects
short_description: Apply many Kubernetes objects in one task, with a diff per changed object
version_added: 0.1.0
description:
  - Runs M(kubernetes.core.k8s) with every option given, typically a list of definitions applied with
    server-side apply in one task, and returns its result.
  - M(kubernetes.core.k8s) keeps the diff of each object of a list nested in its result, so C(--diff) shows
    nothing. This action lifts the diff of every changed object to the top, headed by kind, namespace and
    name, without server bookkeeping (managedFields, resourceVersion, status), so C(--check --diff) is a
    readable drift report.
  - Check mode is the API server's dry run, as in M(kubernetes.core.k8s).
  - When the API server cannot be reached or goes away in the middle of the task, the failure names the server
    (from I(host) or the kubeconfig's context), says what was being sent and that a rerun converges, followed by
    the client's own error.
  - Set connection defaults with C(module_defaults) for the group C(group/triptrip.platform.k8s).
  - With I(read_first) (the default) and a server-side apply of a list, the objects are first read with one list
    request per kind (as P(triptrip.platform.k8s_sync_info#module) reads them, but in the controller's process, with
    no module run), and only those the apply would change (or that cannot be decided) are sent; a no-op rerun then
    starts no module at all. With C(state=absent) and a list, each object is looked up first, and only those that
    exist are sent to be deleted.
  - The reads run in the controller's process, as the kubernetes.core.k8s lookup does; when no client can be made
    there, every object is sent as without I(read_first).
author:
  - TripTrip Platform Team (@triptrip)
options:
  definition:
    description: Objects to apply (a list or one object).
    type: raw
  state:
    description: As in M(kubernetes.core.k8s).
    type: str
    default: present
    choices: [present, absent, patched]
  apply:
    description: As in M(kubernetes.core.k8s).
    type: bool
    default: false
  server_side_apply:
    description: As in M(kubernetes.core.k8s), for example C(field_manager) and C(force_conflicts).
    type: dict
  kubeconfig:
    description: As in M(kubernetes.core.k8s).
    type: raw
  context:
    description: As in M(kubernetes.core.k8s).
    type: str
  read_first:
    description:
      - For C(state=present) with C(apply) and C(server_side_apply) of a list, read the live objects first and send
        only those the apply would change; for C(state=absent) with a list, send only the objects that exist.
        C(false) sends every object.
    type: bool
    default: true
notes:
  - Every other option of M(kubernetes.core.k8s) is passed through unchanged.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
"""

EXAMPLES = r"""
- name: Apply the namespaces
  triptrip.platform.k8s_objects:
    state: present
    apply: true
    server_side_apply:
      field_manager: triptrip-platform
    definition: "{{ lookup('ansible.builtin.template', 'namespaces.yml.j2') | ansible.builtin.from_yaml_all | list }}"
"""

RETURN = r"""
in_sync:
  description: How many definitions were found in sync by the first read and not sent.
  returned: when I(read_first) applied
  type: int
  sample: 130
result:
  description: The result of M(kubernetes.core.k8s); for a list, C(result.results) holds one entry per object.
  returned: success
  type: dict
api_unreachable:
  description: Set when the task failed because the API server could not be reached or stopped answering.
  returned: on that failure
  type: bool
diff:
  description: One before/after pair per changed object, headed by kind, namespace and name.
  returned: in diff mode, when an object changed
  type: list
  elements: dict
"""
