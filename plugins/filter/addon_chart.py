# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Where Helm finds an add-on's chart: an upstream repository, an OCI registry or a mirror folder."""

from __future__ import annotations


DOCUMENTATION = r"""
---
name: addon_chart
short_description: Where Helm finds an add-on's chart, for the chosen chart source
version_added: 0.2.0
description:
  - Takes one add-on of C(platform_addons) (its C(chart), C(version) and C(repository)) and returns the
    arguments of M(kubernetes.core.helm) that fetch it from the chosen source, as C(ref), C(version) and
    C(repo_url) (the last two omitted where they do not apply).
  - C(repository) is the upstream chart repository (an C(oci://) repository gives C(<repository>/<chart>));
    C(oci) is a registry that holds the same charts under
    C(<registry>/<chart>); C(mirror) is a folder of packaged charts named C(<chart>-<version>.tgz), which is what
    C(helm pull <chart> --version <version>) writes, for sites without the internet.
positional: _input, source, oci_registry, mirror, chart
options:
  _input:
    description: One add-on, with C(chart), C(version) and C(repository).
    type: dict
    required: true
  source:
    description: The chart source.
    type: str
    choices: [repository, oci, mirror]
    default: repository
  oci_registry:
    description: The OCI registry, such as C(oci://123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/charts).
    type: str
    default: ""
  mirror:
    description: The mirror folder.
    type: str
    default: ""
  chart:
    description: A chart of the add-on other than its C(chart) (Istio's C(base) and C(gateway)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Install metrics-server
  kubernetes.core.helm:
    release_name: metrics-server
    chart_ref: "{{ chart.ref }}"
    chart_version: "{{ chart.version | default(omit) }}"
    chart_repo_url: "{{ chart.repo_url | default(omit) }}"
  vars:
    chart: "{{ platform_addons.metrics_server | triptrip.platform.addon_chart('mirror', '', '/srv/charts') }}"
"""

RETURN = r"""
_value:
  description: C(ref), and C(version) and C(repo_url) where they apply.
  type: dict
"""


def addon_chart(addon, source="repository", oci_registry="", mirror="", chart=""):
    name = chart or addon["chart"]
    version = str(addon["version"])
    if source == "mirror":
        if not mirror:
            raise ValueError("platform_addons_chart_mirror is empty, and platform_addons_chart_source is mirror")
        return {"ref": f"{mirror.rstrip('/')}/{name}-{version}.tgz"}
    if source == "oci":
        if not oci_registry.startswith("oci://"):
            raise ValueError(f"platform_addons_chart_oci_registry={oci_registry!r} must start with oci://")
        return {"ref": f"{oci_registry.rstrip('/')}/{name}", "version": version}
    if source == "repository":
        if addon["repository"].startswith("oci://"):  # charts published only to a registry (helm takes no oci --repo)
            return {"ref": f"{addon['repository'].rstrip('/')}/{name}", "version": version}
        return {"ref": name, "version": version, "repo_url": addon["repository"]}
    raise ValueError(f"platform_addons_chart_source={source!r} must be repository, oci or mirror")


class FilterModule:
    def filters(self):
        return {"addon_chart": addon_chart}
