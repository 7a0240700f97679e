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


def test_records_decoded_once_compare_as_the_secrets_do():
    """helm_releases_deployed keeps the newest deployed revision of each release, without manifest or hooks, and
    helm_releases_changed gives the same answer from those records as from the Secrets."""
    from ansible_collections.triptrip.platform.plugins.filter.helm_releases_deployed import helm_releases_deployed

    secrets = [helm_secret("metrics-server", "kube-system", "metrics-server", "3.13.0", WANT["values"], revision=2),
               helm_secret("metrics-server", "kube-system", "metrics-server", "3.12.0", {}, revision=1),
               helm_secret("keda", "keda", "keda", "2.20.2", {"a": 1}, status="failed"),
               {"kind": "Secret", "metadata": {"name": "broken", "namespace": "x"}, "data": {"release": "!!"}}]
    records = helm_releases_deployed(secrets)
    assert records == [{"name": "metrics-server", "namespace": "kube-system", "version": 2,
                        "info": {"status": "deployed"},
                        "chart": {"metadata": {"name": "metrics-server", "version": "3.13.0", "appVersion": None}},
                        "config": WANT["values"]}]
    other_value = {**WANT, "values": {"replicas": 3}}
    keda = {"release": "keda", "namespace": "keda", "chart": {"ref": "keda", "version": "2.20.2"}, "values": {"a": 1}}
    for wanted in ([WANT], [other_value], [keda, WANT]):
        assert helm_releases_changed(wanted, records) == helm_releases_changed(wanted, secrets)
    assert helm_releases_changed([WANT, other_value, keda], records) == [other_value, keda]


def test_waves_keep_each_chain_in_order_and_run_the_chains_side_by_side():
    from ansible_collections.triptrip.platform.plugins.filter.helm_release_waves import helm_release_waves

    def want(name, stage=None, version="1.0.0"):
        return {"release": name, "namespace": "ns", "chart": {"ref": name, "version": version}, "values": {},
                **({"stage": stage} if stage is not None else {})}
    base, istiod, gateway, keda, alb = want("base"), want("istiod"), want("gateway"), want("keda"), want("alb", 1)
    # base is deployed as wanted: istiod leads the Istio chain.
    deployed = [helm_secret("base", "ns", "base", "1.0.0", {})]
    waves = helm_release_waves([[base, istiod, gateway], [keda], [alb]], deployed)
    assert waves == [[istiod, keda], [gateway], [alb]]  # the load balancer controller's stage 1 comes last
    # Everything deployed as wanted: no wave, so a no-op runs no helm at all.
    everything = [helm_secret(n, "ns", n, "1.0.0", {}) for n in ("base", "istiod", "gateway", "keda", "alb")]
    assert helm_release_waves([[base, istiod, gateway], [keda], [alb]], everything) == []
    assert helm_release_waves([], []) == []
    # Another chart version of the last release of a chain alone: one wave of one release.
    assert helm_release_waves([[base, istiod, want("gateway", version="2.0.0")]], everything) == [[want("gateway", version="2.0.0")]]
