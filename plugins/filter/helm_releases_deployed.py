# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Helm's deployed releases, decoded once from their Secrets and reduced to what helm_releases_changed compares."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.filter.helm_releases_changed import compact, deployed_releases

DOCUMENTATION = r"""
---
name: helm_releases_deployed
short_description: Helm's deployed releases, decoded once from their Secrets
version_added: 0.3.0
description:
  - Takes the Secrets Helm 3 keeps for releases (labels C(owner=helm), C(status=deployed)), as
    M(kubernetes.core.k8s_info) returns them, and returns the newest deployed revision of each release, decoded
    and reduced to its name, namespace, revision, chart name/version/appVersion and user-supplied values (no
    manifest, templates or hooks).
  - The records are what P(triptrip.platform.helm_releases_changed#filter) compares, so a play that installs many
    add-ons decodes Helm's records once and hands a few kilobytes to each, not the Secrets (hundreds of
    kilobytes).
  - A Secret that cannot be decoded is left out (its release then counts as not deployed and is upgraded).
  - The values may hold secrets; keep the task that sets the records C(no_log).
positional: _input
options:
  _input:
    description: Helm's release Secrets (the C(resources) of M(kubernetes.core.k8s_info)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the deployed releases once
  kubernetes.core.k8s_info:
    kind: Secret
    label_selectors: [owner=helm, status=deployed]
  register: deployed
  no_log: true

- name: Keep them decoded for every later comparison
  ansible.builtin.set_fact:
    deployed_releases: "{{ deployed.resources | triptrip.platform.helm_releases_deployed }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: One record per deployed release, in no particular order.
  type: list
  elements: dict
  contains:
    name:
      description: Release name.
      type: str
    namespace:
      description: Release namespace.
      type: str
    version:
      description: Revision.
      type: int
    info:
      description: C(status) (always C(deployed)).
      type: dict
    chart:
      description: C(metadata) with the chart's C(name), C(version) and C(appVersion).
      type: dict
    config:
      description: The user-supplied values of the revision.
      type: dict
"""


def helm_releases_deployed(secrets):
    return [compact(release) for release in deployed_releases(secrets).values()]


class FilterModule:
    def filters(self):
        return {"helm_releases_deployed": helm_releases_deployed}
