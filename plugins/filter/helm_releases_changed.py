# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The releases whose deployed chart or values differ from those wanted, read from Helm's own release Secrets."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re

import yaml

DOCUMENTATION = r"""
---
name: helm_releases_changed
short_description: The Helm releases to install or upgrade, from the deployed releases' Secrets
version_added: 0.2.0
description:
  - Takes the releases wanted (each C(release), C(namespace), C(chart) with C(ref) and maybe C(version), and
    C(values)) and the Secrets Helm 3 keeps for deployed releases (labels C(owner=helm), C(status=deployed)), as
    M(kubernetes.core.k8s_info) returns them, and returns the releases wanted that are not deployed as wanted.
  - A release is as wanted when a deployed revision of it exists in its namespace with the same chart name and
    version and the same user-supplied values. That is the test M(kubernetes.core.helm) makes without the helm-diff
    plugin, so a release this filter leaves out is one that module would report unchanged; the filter lets a
    role skip that module (about three helm calls per release) for every unchanged release.
  - The wanted chart's name and version come from C(chart.version) and the ref (a repository chart's name, an OCI
    reference's last part, a mirror's C(<chart>-<version>.tgz)), or from the C(Chart.yaml) of a chart folder,
    whose C(appVersion) is compared too.
  - A Secret that cannot be decoded counts as no deployed release, so the release is upgraded, never skipped.
  - I(secrets) may also be the records P(triptrip.platform.helm_releases_deployed#filter) returns, decoded once
    for many calls.
positional: _input, secrets
options:
  _input:
    description: The releases wanted.
    type: list
    elements: dict
    required: true
  secrets:
    description:
      - Helm's release Secrets (the C(resources) of M(kubernetes.core.k8s_info)), or the records of
        P(triptrip.platform.helm_releases_deployed#filter).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the deployed releases
  kubernetes.core.k8s_info:
    kind: Secret
    label_selectors: [owner=helm, status=deployed]
  register: deployed
  no_log: true

- name: Install or upgrade only what differs
  kubernetes.core.helm:
    release_name: "{{ item.release }}"
    release_namespace: "{{ item.namespace }}"
    chart_ref: "{{ item.chart.ref }}"
    release_values: "{{ item['values'] }}"
  loop: "{{ releases | triptrip.platform.helm_releases_changed(deployed.resources) }}"
"""

RETURN = r"""
_value:
  description: The releases of the input that are not deployed with the same chart and values, in input order.
  type: list
  elements: dict
"""

MIRROR_TGZ = re.compile(r"^(?P<name>.+)-(?P<version>v?\d+\.\d+\.\d+[^/]*)\.tgz$")


def decode_release(secret: dict) -> dict | None:
    """Helm 3 stores a release as base64(gzip(JSON)) in the Secret's `release` key, which the API base64-encodes
    once more."""
    try:
        raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (KeyError, TypeError, ValueError, OSError):
        return None


def wanted_chart(chart: dict) -> dict:
    """name, version and (for a chart folder) appVersion of the chart a release asks for."""
    ref = str(chart["ref"])
    if os.path.isdir(ref):
        with open(os.path.join(ref, "Chart.yaml"), encoding="utf-8") as handle:
            meta = yaml.safe_load(handle)
        return {"name": meta["name"], "version": str(meta["version"]), "appVersion": meta.get("appVersion")}
    base = ref.rstrip("/").rsplit("/", 1)[-1]
    if "version" not in chart and (m := MIRROR_TGZ.match(base)):
        return {"name": m["name"], "version": m["version"]}
    return {"name": base, "version": str(chart.get("version", ""))}


def compact(release: dict) -> dict:
    """What the comparison needs of a decoded release: no manifest, templates or hooks."""
    meta = (release.get("chart") or {}).get("metadata") or {}
    return {"name": release.get("name"), "namespace": release.get("namespace"), "version": release.get("version", 0),
            "info": {"status": (release.get("info") or {}).get("status")},
            "chart": {"metadata": {k: meta[k] for k in ("name", "version", "appVersion") if k in meta}},
            "config": release.get("config") or {}}


def deployed_releases(secrets, wanted=None) -> dict:
    """The newest deployed revision of each release, by (namespace, name), from Helm's Secrets or from records
    helm_releases_deployed already decoded; with `wanted`, only those releases are decoded."""
    deployed = {}
    for secret in secrets or []:
        if "data" not in secret and "chart" in secret:  # a record of helm_releases_deployed
            release = secret
        else:
            # Helm labels each record with its release's name: those of other releases (a caller may pass the
            # whole cluster's) are not decoded at all.
            meta = secret.get("metadata") or {}
            name = (meta.get("labels") or {}).get("name")
            if wanted is not None and name is not None and "namespace" in meta and (meta["namespace"], name) not in wanted:
                continue
            release = decode_release(secret)
        if release and (release.get("info") or {}).get("status") == "deployed":
            key = (release.get("namespace"), release.get("name"))
            if key not in deployed or release.get("version", 0) > deployed[key].get("version", 0):
                deployed[key] = release
    return deployed


def helm_releases_changed(releases, secrets):
    wanted = {(want["namespace"], want["release"]) for want in releases or []}
    deployed = deployed_releases(secrets, wanted)
    changed = []
    for want in releases or []:
        have = deployed.get((want["namespace"], want["release"]))
        if have is None:
            changed.append(want)
            continue
        chart = wanted_chart(want["chart"])
        meta = (have.get("chart") or {}).get("metadata") or {}
        same_chart = meta.get("name") == chart["name"] and str(meta.get("version")) == chart["version"]
        if "appVersion" in chart:
            same_chart = same_chart and (meta.get("appVersion") or None) == (chart["appVersion"] or None)
        same_values = (have.get("config") or {}) == (want.get("values") or {})
        if not (same_chart and same_values):
            changed.append(want)
    return changed


class FilterModule:
    def filters(self):
        return {"helm_releases_changed": helm_releases_changed}
