# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The releases to install or upgrade, grouped in waves that may each run side by side."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.filter.helm_releases_changed import helm_releases_changed

DOCUMENTATION = r"""
---
name: helm_release_waves
short_description: Group the Helm releases to install or upgrade into waves that may run side by side
version_added: 0.3.0
description:
  - Takes chains of releases (each chain a list installed in its order, such as an add-on's CRD chart, then its
    controller, then its gateways) and Helm's deployed releases, and returns waves (lists of releases); the releases
    of a wave do not depend on each other and may be installed at the same time; each wave waits for the previous.
  - Only the releases that differ from the deployed ones are kept
    (P(triptrip.platform.helm_releases_changed#filter)); a no-op gives no wave at all.
  - Wave I(n) of a stage holds the I(n)-th changed release of each chain of that stage; a later stage starts after
    every wave of the earlier ones (for an add-on whose webhooks would intercept the others' objects before it
    runs). A chain's stage is the C(stage) of its first release (0 when unset).
positional: _input, deployed
options:
  _input:
    description: Chains of releases (lists of dicts with C(release), C(namespace), C(chart), C(values), maybe C(stage)).
    type: list
    elements: list
    required: true
  deployed:
    description: Helm's release Secrets or the records of P(triptrip.platform.helm_releases_deployed#filter).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Install the changed releases wave by wave
  ansible.builtin.include_tasks: wave.yml
  loop: "{{ [istio_chain, [keda], [argocd]] | triptrip.platform.helm_release_waves(deployed_releases) }}"
  loop_control:
    loop_var: wave
"""

RETURN = r"""
_value:
  description: The waves, in install order; each a list of releases of the input.
  type: list
  elements: list
"""


def helm_release_waves(chains, deployed):
    changed = [c for c in (helm_releases_changed(chain, deployed) for chain in chains or []) if c]
    waves = []
    for stage in sorted({int(chain[0].get("stage") or 0) for chain in changed}):
        staged = [chain for chain in changed if int(chain[0].get("stage") or 0) == stage]
        for index in range(max(len(chain) for chain in staged)):
            waves.append([chain[index] for chain in staged if len(chain) > index])
    return waves


class FilterModule:
    def filters(self):
        return {"helm_release_waves": helm_release_waves}
