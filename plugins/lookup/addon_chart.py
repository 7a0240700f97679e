# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""triptrip.platform.addon_chart: where Helm finds an add-on's chart, from the add-on's own variables and the
platform's chart source, so that an add-on role names its chart in one call instead of threading the platform's
three source settings through each release."""

from __future__ import annotations

DOCUMENTATION = r"""
name: addon_chart
author: TripTrip Platform Team (@triptrip)
short_description: Where Helm finds an add-on's chart (ref, version, repository URL)
version_added: 0.4.0
description:
  - Reads the add-on's C(addon_<name>_chart), C(addon_<name>_version) and C(addon_<name>_repository) (its role's
    defaults, or the inventory's) and the platform's chart source (C(platform_addons_chart_source),
    C(platform_addons_chart_oci_registry), C(platform_addons_chart_mirror)), and returns what the
    C(triptrip.platform.addon_chart) filter returns for them. The release's C(chart) in an add-on role's
    C(addon_<name>_out).
options:
  _terms:
    description: The add-on's name, as in its role C(addon_<name>) (such as C(metrics_server)).
    required: true
  chart:
    description: Another chart of the same add-on, at the same version and repository (Istio's C(base), C(cni), C(gateway)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Publish the release of metrics-server
  ansible.builtin.set_fact:
    addon_metrics_server_out:
      releases:
        - release: metrics-server
          namespace: kube-system
          chart: "{{ lookup('triptrip.platform.addon_chart', 'metrics_server') }}"

- name: Istio's gateway chart, at Istio's version
  ansible.builtin.debug:
    msg: "{{ lookup('triptrip.platform.addon_chart', 'istio', chart='gateway') }}"
"""

RETURN = r"""
_raw:
  description: One mapping, C(ref), and C(version) and C(repo_url) where they apply.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.triptrip.platform.plugins.filter.addon_chart import addon_chart

SOURCE = ("platform_addons_chart_source", "platform_addons_chart_oci_registry", "platform_addons_chart_mirror")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        if len(terms) != 1:
            raise AnsibleLookupError(f"addon_chart takes one add-on name, got {terms!r}")
        name = terms[0]
        wanted = [f"addon_{name}_{key}" for key in ("chart", "version", "repository")] + list(SOURCE)
        missing = [variable for variable in wanted if variable not in variables]
        if missing:
            raise AnsibleLookupError(f"addon_chart {name!r}: {', '.join(missing)} not set (is {name} an add-on role?)")
        value = {variable: self._templar.template(variables[variable]) for variable in wanted}
        addon = {key: value[f"addon_{name}_{key}"] for key in ("chart", "version", "repository")}
        try:
            return [addon_chart(addon, *(value[variable] for variable in SOURCE), chart=self.get_option("chart"))]
        except ValueError as err:
            raise AnsibleLookupError(f"addon_chart {name!r}: {err}") from err
