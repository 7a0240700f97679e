"""helm_releases_changed: a release is left out only when Helm's record of its deployed revision has the same chart
and values; anything else (not installed, another chart version or value, a failed revision, an unreadable record)
keeps it in. The Secrets here are written the way Helm 3 writes them (base64 of gzipped JSON, under the `release`
key); tests/integration/addons/test_zz_lifecycle.py reads real ones."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from ansible_collections.triptrip.platform.plugins.filter import helm_releases_changed as plugin
from ansible_collections.triptrip.platform.plugins.filter.helm_releases_changed import helm_releases_changed


def helm_secret(name, namespace, chart, version, values, revision=1, status="deployed", app_version=None):
    release = {"name": name, "namespace": namespace, "version": revision, "info": {"status": status},
               "chart": {"metadata": {"name": chart, "version": version, "appVersion": app_version}},
               "config": values}
    stored = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    labels = {"name": name, "owner": "helm", "status": status, "version": str(revision)}
    return {"kind": "Secret", "metadata": {"name": f"sh.helm.release.v1.{name}.v{revision}", "namespace": namespace,
                                           "labels": labels},
            "data": {"release": base64.b64encode(stored).decode()}}


WANT = {"release": "metrics-server", "namespace": "kube-system",
        "chart": {"ref": "metrics-server", "version": "3.13.0", "repo_url": "https://kubernetes-sigs.github.io/metrics-server/"},
        "values": {"replicas": 2, "args": ["--kubelet-insecure-tls"]}}


def test_an_unchanged_release_is_left_out():
    secret = helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", WANT["values"])
    assert helm_releases_changed([WANT], [secret]) == []


@pytest.mark.parametrize("secret", [
    helm_secret("metrics-server", "kube-system", "metrics-server", "3.12.2", WANT["values"]),
    helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", {"replicas": 3, "args": ["--kubelet-insecure-tls"]}),
    helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", {"replicas": 2}),
    helm_secret("metrics-server", "kube-system", "other-chart", "3.13.0", WANT["values"]),
    helm_secret("metrics-server", "monitoring", "metrics-server", "3.13.0", WANT["values"]),
    helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", WANT["values"], status="failed"),
    {"kind": "Secret", "metadata": {"name": "x"}, "data": {"release": "bm90IGhlbG0="}},
], ids=["chart-version", "value", "value-removed", "chart-name", "namespace", "failed", "unreadable"])
def test_a_release_that_differs_is_kept(secret):
    assert helm_releases_changed([WANT], [secret]) == [WANT]


def test_a_release_not_installed_is_kept_and_order_is_the_inputs():
    other = {**WANT, "release": "keda", "namespace": "keda", "chart": {"ref": "keda", "version": "2.18.0"}}
    assert helm_releases_changed([other, WANT], []) == [other, WANT]


def test_the_newest_deployed_revision_decides():
    old = helm_secret("metrics-server", "kube-system", "metrics-server", "3.12.2", WANT["values"], revision=1)
    new = helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", WANT["values"], revision=2)
    assert helm_releases_changed([WANT], [new, old]) == []


@pytest.mark.parametrize("ref,extra", [("/srv/charts/metrics-server-3.13.0.tgz", {}),
                                       ("oci://registry.example/charts/metrics-server", {"version": "3.13.0"})])
def test_mirror_and_oci_refs_name_the_chart(ref, extra):
    want = {**WANT, "chart": {"ref": ref, **extra}}
    secret = helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", WANT["values"])
    assert helm_releases_changed([want], [secret]) == []
    secret = helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.1", WANT["values"])
    assert helm_releases_changed([want], [secret]) == [want]


def test_a_chart_folder_is_read_with_its_app_version(root):
    chart = root / "charts" / "triptrip-workers"
    meta = __import__("yaml").safe_load((chart / "Chart.yaml").read_text())
    want = {"release": "triptrip-workers", "namespace": "triptrip-workers", "chart": {"ref": str(chart)}, "values": {}}
    same = helm_secret("triptrip-workers", "triptrip-workers", meta["name"], str(meta["version"]), {},
                       app_version=meta.get("appVersion"))
    assert helm_releases_changed([want], [same]) == []
    other_app = helm_secret("triptrip-workers", "triptrip-workers", meta["name"], str(meta["version"]), {},
                            app_version="0.0.0-other")
    assert helm_releases_changed([want], [other_app]) == [want]


def test_no_values_matches_an_empty_record():
    want = {**WANT, "values": {}}
    assert helm_releases_changed([want], [helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", None)]) == []


def test_the_records_of_other_releases_are_not_decoded(monkeypatch):
    """playbooks/addons.yml passes the whole cluster's records to each add-on: only its own are decoded."""
    mine = helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", WANT["values"])
    others = [helm_secret(f"release-{i}", "kube-system", "chart", "1.0.0", {}) for i in range(5)]
    others.append(helm_secret("metrics-server", "monitoring", "metrics-server", "3.13.0", WANT["values"]))
    decoded = []
    real = plugin.decode_release
    monkeypatch.setattr(plugin, "decode_release", lambda secret: decoded.append(secret) or real(secret))
    assert helm_releases_changed([WANT], [*others, mine]) == []
    assert decoded == [mine]
    assert helm_releases_changed([WANT], others) == [WANT]
