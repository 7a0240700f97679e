"""The add-ons' life cycle on the converged local platform: a rerun changes nothing, one value or one version
changes one release, an add-on turned off leaves nothing of its own behind (and nothing else missing), and bad
input stops the run before any change. Runs after the other add-on tests (file order): it changes the platform.
Runs go through playbooks/addons.yml, the add-on layer alone (site.yml's own no-op rerun and --check are
molecule's idempotence and check steps); a change runs every add-on, putting it back only the one changed."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import recap

ADDONS = "playbooks/addons.yml"
OFF = '{{"addon_{name}_enabled": false}}'
# Istio's traffic settings as its role ships them (a case that breaks one key sets the variable whole).
TRAFFIC = yaml.safe_load((Path(__file__).resolve().parents[3] / "roles/addon_istio/defaults/main.yml").read_text())["addon_istio_traffic"]


def revisions(addons) -> dict[str, tuple[str, int]]:
    return {name: (r["chart"], int(r["revision"])) for name, r in addons.releases().items()}


def test_every_addon_is_installed_at_the_pinned_version(addons):
    out = addons.state / "addons.json"
    res = addons.playbook("-e", f"show_vars_addons_file={out}", playbook="tests/fixtures/playbooks/show_vars.yml")
    assert res.returncode == 0, res.stdout[-2000:]
    pinned = json.loads(out.read_text())
    # Every add-on role, found in the play's view of the settings (no list of add-ons to keep up to date).
    roles = Path(__file__).resolve().parents[3] / "roles"
    assert sorted(pinned) == sorted(p.name[len("addon_"):] for p in roles.glob("addon_*")), sorted(pinned)
    releases = addons.releases()
    for name, addon in pinned.items():
        assert addon["enabled"], f"{name} is off in the local inventory"
        for chart in [addon["chart"], *addon.get("extra_charts", [])]:
            charts = {r["chart"] for r in releases.values() if r["namespace"] == addon["namespace"]}
            assert f"{chart}-{addon['version']}" in charts, (name, charts)
    assert {r["status"] for r in releases.values()} == {"deployed"}


# Every kind of custom resource the spec's add-on chapters declare, as the local platform holds them: not the
# ApplicationSet (not made, README "Workloads"), nor the workloads' Applications (the local inventory's owner is Helm;
# addons/test_zz_owner.py applies them, test_argocd.py checks the kind's strict validation).
SPEC_KINDS = {
    "VerticalPodAutoscaler", "ScaledObject", "ScaledJob", "TriggerAuthentication", "PeerAuthentication", "Telemetry",
    "Gateway", "VirtualService", "DestinationRule", "AppProject", "ClusterSecretStore", "ExternalSecret",
}


def our_custom_resources(addons) -> list[dict]:
    """Every object of a CRD's kind that carries our managed-by label."""
    crds = json.loads(addons.kubectl("get", "crd", "-o", "json").stdout)["items"]
    found = []
    for crd in crds:
        res = addons.kubectl("get", f"{crd['spec']['names']['plural']}.{crd['spec']['group']}", "-A",
                             "-l", "app.kubernetes.io/managed-by=triptrip-platform", "-o", "json")
        assert res.returncode == 0, res.stderr
        found += json.loads(res.stdout)["items"]
    return found


def test_every_custom_resource_of_the_spec_exists_and_strict_validation_guards_it(addons):
    objects = our_custom_resources(addons)
    assert SPEC_KINDS <= {o["kind"] for o in objects}, SPEC_KINDS - {o["kind"] for o in objects}
    for obj in objects:
        # The object as we declared it passes again; with one misspelt field in its spec the API server refuses it.
        mine = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "spec": obj["spec"],
                "metadata": {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace")}}
        ok = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=probe", "--force-conflicts",
                            "-f", "-", stdin=json.dumps(mine))
        assert ok.returncode == 0, (obj["kind"], ok.stderr)
        mine["spec"] = {**obj["spec"], "triptripMisspelt": True}
        bad = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=probe", "-f", "-",
                             stdin=json.dumps(mine))
        assert bad.returncode != 0 and ".spec.triptripMisspelt: field not declared in schema" in bad.stderr, \
            (obj["kind"], bad.stderr)


def test_a_second_run_changes_nothing(addons):
    before = revisions(addons)
    res = addons.playbook(playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    assert recap(res.stdout)["changed"] == 0, [x for x in res.stdout.splitlines() if x.startswith("changed:")]
    assert revisions(addons) == before
    # Not one helm call for an unchanged release: each add-on published its releases and custom resources (one task
    # each, no cluster call), the play's applier read Helm's release Secrets once and left every release out of its waves
    # (triptrip.platform.helm_release_waves), so no wave is included at all.
    waves = task_results(res.stdout, "Install or upgrade the releases wave by wave")
    assert len(waves) == 1 and all(lines == ["skipping: [triptrip-local]"] for lines in waves.values()), waves
    assert not task_results(res.stdout, "wave | Install or upgrade the releases of"), res.stdout[-3000:]
    published = task_results(res.stdout, "Publish the releases and objects of")
    assert len(published) >= 10 and all(lines and lines[0].startswith("ok:") for lines in published.values()), published
    # Then all the add-ons' custom resources in one apply (one per field manager; the inventory gives them all one).
    applies = task_results(res.stdout, "objects | Apply the objects of the add-ons")
    assert list(applies.values()) == [["ok: [triptrip-local]"]], applies


def task_results(output: str, name_part: str) -> dict[str, list[str]]:
    """The result lines (ok:, changed:, skipping:, ...) of each task whose name holds `name_part`."""
    found: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            current = line if name_part in line else None
            if current:
                found[current] = []
        elif current and line.split(":", 1)[0] in ("ok", "changed", "skipping", "failed", "fatal"):
            found[current].append(line)
    return found


def test_check_diff_on_the_converged_platform_plans_nothing(addons):
    res = addons.playbook("--check", "--diff", playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    assert recap(res.stdout)["changed"] == 0, res.stdout[-3000:]


def test_verify_reads_each_release_back_against_what_the_roles_compute(addons):
    verify = ("--tags", "addons")
    res = addons.playbook(*verify, playbook="playbooks/verify.yml")
    assert res.returncode == 0 and recap(res.stdout)["changed"] == 0, res.stdout[-3000:]
    # The inventory now says 3 replicas (the cluster runs 2) and VPA off (its release still runs): verify names both
    # releases and changes nothing.
    drifted = '{"addon_metrics_server_replicas": 3, "addon_vpa_enabled": false}'
    res = addons.playbook(*verify, "-e", drifted, playbook="playbooks/verify.yml")
    assert res.returncode != 0, res.stdout[-3000:]
    out = " ".join(res.stdout.split())
    assert "Not deployed with the chart, version and values the inventory gives: kube-system/metrics-server " \
        "(deployed: metrics-server@3.13.0)" in out, res.stdout[-3000:]
    assert "Deployed although switched off: kube-system/vertical-pod-autoscaler" in out, res.stdout[-3000:]
    assert addons.values("metrics-server", "kube-system")["replicas"] == 2


def test_changing_one_value_upgrades_only_that_release(addons):
    before = revisions(addons)
    res = addons.playbook("-e", '{"addon_metrics_server_replicas": 3}', playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    after = revisions(addons)
    assert after["metrics-server"][1] == before["metrics-server"][1] + 1
    assert {k: v for k, v in after.items() if k != "metrics-server"} == \
        {k: v for k, v in before.items() if k != "metrics-server"}
    assert addons.values("metrics-server", "kube-system")["replicas"] == 3
    assert addons.get("deployment", "metrics-server", "kube-system")["spec"]["replicas"] == 3
    res = addons.playbook("--tags", "metrics_server", playbook=ADDONS)  # back to the inventory's value
    assert res.returncode == 0, res.stdout[-3000:]
    assert addons.values("metrics-server", "kube-system")["replicas"] == 2


def test_changing_one_version_upgrades_only_that_release(addons, root):
    # A second version of the test double in the mirror, as a site's mirror would hold the next upstream release.
    package = subprocess.run(["helm", "package", str(root / "tests/charts/metrics-server"), "--version", "3.13.1",
                              "--destination", str(addons.state / "charts")],
                             env=addons.env, capture_output=True, text=True, check=False)
    assert package.returncode == 0, package.stderr
    before = revisions(addons)
    res = addons.playbook("-e", '{"addon_metrics_server_version": "3.13.1"}', playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    after = revisions(addons)
    assert after["metrics-server"] == ("metrics-server-3.13.1", before["metrics-server"][1] + 1)
    assert {k: v for k, v in after.items() if k != "metrics-server"} == \
        {k: v for k, v in before.items() if k != "metrics-server"}
    res = addons.playbook("--tags", "metrics_server", playbook=ADDONS)  # and back to the pinned version
    assert res.returncode == 0, res.stdout[-3000:]
    assert addons.releases()["metrics-server"]["chart"] == "metrics-server-3.13.0"


# (add-on, its releases, custom resources of its own as (kind, name, namespace))
REMOVALS = [
    ("istio", {"istio-base", "istio-cni", "istiod", "istio-ingressgateway", "istio-egressgateway"},
     [("virtualservices.networking.istio.io", "triptrip-api", "triptrip-api"),
      ("destinationrules.networking.istio.io", "triptrip-api", "triptrip-api"),
      ("peerauthentications.security.istio.io", "default", "istio-system"),
      ("gateways.networking.istio.io", "triptrip-gateway", "istio-system")]),
    ("argocd", {"argocd"}, [("appprojects.argoproj.io", "triptrip", "argocd")]),
]


@pytest.mark.parametrize(("name", "releases", "objects"), REMOVALS, ids=[r[0] for r in REMOVALS])
def test_turning_an_addon_off_removes_its_releases_and_custom_resources_only(addons, name, releases, objects):
    before = revisions(addons)
    assert releases <= set(before), f"{releases - set(before)} not installed"
    for kind, obj, ns in objects:
        assert addons.exists(kind, obj, ns), (kind, obj, ns)
    namespaces = addons.kubectl("get", "namespaces", "-o", "name").stdout

    res = addons.playbook("-e", OFF.format(name=name), playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    after = revisions(addons)
    assert not releases & set(after), f"still installed: {releases & set(after)}"
    assert after == {k: v for k, v in before.items() if k not in releases}, "another release changed"
    for kind, obj, ns in objects:
        assert not addons.exists(kind, obj, ns), (kind, obj, ns)
    assert addons.kubectl("get", "namespaces", "-o", "name").stdout == namespaces

    res = addons.playbook("--tags", name, "-e", OFF.format(name=name), playbook=ADDONS)
    assert res.returncode == 0 and recap(res.stdout)["changed"] == 0, "removing twice changed something"

    res = addons.playbook("--tags", name, playbook=ADDONS)  # on again
    assert res.returncode == 0, res.stdout[-3000:]
    assert releases <= set(revisions(addons))
    for kind, obj, ns in objects:
        assert addons.exists(kind, obj, ns), (kind, obj, ns)


LB_OFF = OFF.format(name="aws_load_balancer_controller")
INGRESS = ("ingress", "triptrip-public", "istio-system")
FINALIZER = "ingress.k8s.aws/resources"


def add_finalizer(addons):
    res = addons.kubectl("patch", *INGRESS[:2], "-n", INGRESS[2], "--type=merge",
                         "-p", json.dumps({"metadata": {"finalizers": [FINALIZER]}}))
    assert res.returncode == 0, res.stderr


def emulated_controller(addons, seen, stop):
    """The controller's side of the finalizer contract: once the Ingress is being deleted, delete its ALB (here:
    note the finalizers it still has) and remove the finalizer."""
    while not stop.is_set():
        res = addons.kubectl("get", *INGRESS[:2], "-n", INGRESS[2], "-o", "json", "--ignore-not-found")
        found = json.loads(res.stdout) if res.stdout.strip() else None
        if found and found["metadata"].get("deletionTimestamp"):
            seen["finalizers"] = found["metadata"].get("finalizers")
            addons.kubectl("patch", *INGRESS[:2], "-n", INGRESS[2], "--type=json",
                           "-p", '[{"op": "remove", "path": "/metadata/finalizers"}]')
            return
        time.sleep(0.3)


def test_removing_the_lb_controller_leaves_its_ingress_finalizer_to_the_running_controller(addons):
    """The Ingress goes before the controller with its finalizer kept: the controller deletes the ALB. Stripping it
    (as for every other add-on) would leave the ALB, its target groups and security groups in AWS."""
    add_finalizer(addons)
    seen, stop = {}, threading.Event()
    controller = threading.Thread(target=emulated_controller, args=(addons, seen, stop))
    controller.start()
    try:
        res = addons.playbook("--tags", "aws_load_balancer_controller", "-e", LB_OFF, playbook=ADDONS)
    finally:
        stop.set()
        controller.join()
    assert res.returncode == 0, res.stdout[-3000:]
    assert seen == {"finalizers": [FINALIZER]}, "the finalizer was stripped before the controller could run it"
    assert not addons.exists(*INGRESS)
    assert "has no available pod" not in res.stdout
    res = addons.playbook("--tags", "aws_load_balancer_controller", playbook=ADDONS)  # on again
    assert res.returncode == 0 and addons.exists(*INGRESS), res.stdout[-3000:]


def test_with_no_controller_pod_the_finalizer_is_stripped_with_a_warning(addons):
    """Nothing would ever run the finalizer: the removal strips it and says what AWS may keep."""
    res = addons.kubectl("scale", "deployment", "aws-load-balancer-controller", "-n", "kube-system", "--replicas=0")
    assert res.returncode == 0, res.stderr
    for _attempt in range(120):  # status.availableReplicas is left out at 0
        available = addons.kubectl("get", "deployment", "aws-load-balancer-controller", "-n", "kube-system",
                                   "-o", "jsonpath={.status.availableReplicas}").stdout.strip()
        if available in ("", "0"):
            break
        time.sleep(0.5)
    assert available in ("", "0"), available
    add_finalizer(addons)
    res = addons.playbook("--tags", "aws_load_balancer_controller", "-e", LB_OFF, playbook=ADDONS)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "has no available pod" in res.stdout and "elbv2.k8s.aws/cluster=" in res.stdout.replace("\n", " ")
    assert not addons.exists(*INGRESS)
    res = addons.playbook("--tags", "aws_load_balancer_controller", playbook=ADDONS)  # on again, a fresh release
    assert res.returncode == 0 and addons.exists(*INGRESS), res.stdout[-3000:]


BAD_INPUT = [
    ('{"platform_addons_overrides": {"linkerd": {"enabled": true}}}',
     "platform_addons_overrides.linkerd: unknown add-on"),
    ('{"addon_keda_version": "2.x"}', "addon_keda_version='2.x': must be a chart version"),
    (json.dumps({"addon_istio_traffic": {**TRAFFIC, "routes": [{"subset": "stable", "weight": 90}, {"subset": "canary", "weight": 5}]}}),
     "addon_istio_traffic.routes weights [90, 5] sum to 95: they must sum to 100"),
    ('{"platform_workloads_overrides": {"web": {"enabled": true}}}',
     "platform_workloads_overrides: unknown workloads [web]"),
    ('{"platform_workloads_overrides": {"api": {"chart": "triptrip-apii"}}}',
     "every chart a folder of charts/ (missing: [triptrip-apii])"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT,
                         ids=["unknown-addon", "malformed-version", "weights", "unknown-workload", "missing-chart"])
def test_bad_addon_input_fails_before_any_change(addons, extra, message):
    before = revisions(addons)
    res = addons.playbook("-e", extra)
    assert res.returncode != 0
    assert message in res.stdout, res.stdout[-3000:]
    assert recap(res.stdout)["changed"] == 0
    assert "Build the AWS layer" not in res.stdout, "the run went past preflight"
    assert revisions(addons) == before
