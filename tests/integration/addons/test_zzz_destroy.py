"""destroy.yml on the converged local platform, last of the package: the Kubernetes layer goes first (workload
releases, then the add-ons, each add-on's custom resources before its releases, so the ALB controller still runs
when its Ingress is deleted), the Redis claims stay, then the AWS layer; a second run changes nothing."""

from __future__ import annotations

import json

from conftest import recap


def test_destroy_removes_the_releases_before_the_node_groups_and_keeps_the_claims(addons):
    claims = {c["metadata"]["name"]: c["metadata"]["uid"] for c in json.loads(
        addons.kubectl("get", "pvc", "-n", "triptrip-cache", "-o", "json").stdout)["items"]}
    assert len(claims) == 6
    res = addons.playbook(playbook="playbooks/destroy.yml")
    assert res.returncode == 0, res.stdout[-5000:]
    out = res.stdout
    # Order of the plays in the output: workloads, add-ons (the ALB controller's Ingress before its release), AWS.
    assert out.index("PLAY [Install the workloads]") < out.index("PLAY [Install the platform add-ons]") < out.index(
        "PLAY [Destroy the AWS layer]")
    assert addons.releases() == {}
    assert not addons.exists("ingress", "triptrip-public", "istio-system")
    kept = {c["metadata"]["name"]: c["metadata"]["uid"] for c in json.loads(
        addons.kubectl("get", "pvc", "-n", "triptrip-cache", "-o", "json").stdout)["items"]}
    assert kept == claims
    again = addons.playbook(playbook="playbooks/destroy.yml")
    assert again.returncode == 0, again.stdout[-5000:]
    assert recap(again.stdout)["changed"] == 0
