#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
# The work is done by the action plugin of the same name (plugins/action/helm_release.py), which runs
# kubernetes.core.helm; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: helm_release
short_description: Install, upgrade or remove a Helm release with kubernetes.core.helm, in the foreground or as an async job
version_added: 0.3.0
description:
  - Runs M(kubernetes.core.helm) with every option given and returns its result unchanged.
  - The difference is C(async). The action plugin kubernetes.core ships for its helm module does not support async,
    so a task with C(async) fails. This action runs the same module as an async job when the task sets C(async)
    (and C(poll), C(async_status) as for any module), so several releases can be installed side by side, each
    with helm's own C(--wait) and C(--atomic).
  - Without C(async) it behaves exactly as M(kubernetes.core.helm), check mode included.
  - Set connection defaults with C(module_defaults) for the group C(group/triptrip.platform.k8s).
author:
  - TripTrip Platform Team (@triptrip)
options:
  release_name:
    description: As in M(kubernetes.core.helm).
    type: str
    required: true
  release_namespace:
    description: As in M(kubernetes.core.helm).
    type: str
    required: true
  release_state:
    description: As in M(kubernetes.core.helm).
    type: str
    default: present
    choices: [present, absent]
  chart_ref:
    description: As in M(kubernetes.core.helm).
    type: path
  chart_version:
    description: As in M(kubernetes.core.helm).
    type: str
  chart_repo_url:
    description: As in M(kubernetes.core.helm).
    type: str
  release_values:
    description: As in M(kubernetes.core.helm).
    type: dict
    default: {}
  wait:
    description: As in M(kubernetes.core.helm).
    type: bool
    default: false
  atomic:
    description: As in M(kubernetes.core.helm).
    type: bool
    default: false
  timeout:
    description: As in M(kubernetes.core.helm), for example C(600s).
    type: str
  history_max:
    description: As in M(kubernetes.core.helm).
    type: int
  take_ownership:
    description: As in M(kubernetes.core.helm) (helm 3.17 or later).
    type: bool
    default: false
  kubeconfig:
    description: As in M(kubernetes.core.helm).
    type: raw
  context:
    description: As in M(kubernetes.core.helm).
    type: str
notes:
  - Every other option of M(kubernetes.core.helm) is passed through unchanged.
  - An async job's result (which holds the release's values) stays in the async directory until C(async_status)
    with C(mode=cleanup) removes it.
seealso:
  - module: kubernetes.core.helm
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: As in M(kubernetes.core.helm) (a diff with the helm-diff plugin).
"""

EXAMPLES = r"""
- name: Start two independent releases side by side
  triptrip.platform.helm_release:
    release_name: "{{ item.release }}"
    release_namespace: "{{ item.namespace }}"
    chart_ref: "{{ item.chart }}"
    release_values: "{{ item['values'] }}"
    wait: true
    atomic: true
    timeout: 600s
  loop: "{{ releases }}"
  async: 720
  poll: 0
  register: started

- name: Wait for them
  ansible.builtin.async_status:
    jid: "{{ item.ansible_job_id }}"
  loop: "{{ started.results }}"
  register: done
  until: done.finished
  retries: 720
  delay: 1
"""

RETURN = r"""
status:
  description: As in M(kubernetes.core.helm), the release's status after the task.
  returned: when the release exists
  type: dict
command:
  description: As in M(kubernetes.core.helm), the helm command that was or would be run.
  returned: always
  type: str
ansible_job_id:
  description: The async job's id, for C(async_status).
  returned: when the task set C(async) and C(poll=0)
  type: str
"""
