"""playbooks/upgrade.yml on the local environment: a cluster built at the previous minor (moto for AWS, the real
control plane for Kubernetes) is upgraded by one minor - control plane, node groups, cluster autoscaler - and the
cluster's objects survive untouched (namespace, Secret and claim UIDs); a two-minor jump and a downgrade are refused
before any change; an unhealthy cluster stops the upgrade with a way to resume; a second run changes nothing. Then
playbooks/dr_failover.yml on the same cluster, playing the passive DR cluster: refused without confirmation, planned
by --check, then node groups at production's minimums and Argo CD's applications pointed at it; a rerun is a no-op."""

from __future__ import annotations

import json
import re
import subprocess

import boto3
import pytest
from localplatform import start_platform


def at_minor(minor, autoscaler_tag, kube_proxy):
    """Extra vars of a cluster at another minor: the autoscaler image and kube-proxy build follow the minor."""
    return {"platform_eks_version": minor,
            "addon_cluster_autoscaler_image_tag": autoscaler_tag,
            "platform_eks_addons_overrides": {"kube-proxy": {"version": kube_proxy}}}


# kube-proxy v1.34.1-eksbuild.2 is the 1.34 build the patch layer offers (localenv/moto_server.py ADDON_VERSIONS).
PREVIOUS = at_minor("1.34", "v1.34.2", "v1.34.1-eksbuild.2")
CURRENT_TAG = "v1.35.0"  # roles/addon_cluster_autoscaler/defaults/main.yml


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    yield from start_platform(root, tool_env, tmp_path_factory, "upgrade")


def playbook(root, platform, name, *args):
    res = subprocess.run(["ansible-playbook", name, "-i", "inventories/local", *args], env=platform["env"], cwd=root,
                         capture_output=True, text=True, check=False)
    recap = re.search(r"triptrip-local\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", res.stdout)
    assert recap, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


def eks(platform):
    return boto3.client("eks", endpoint_url=f"http://127.0.0.1:{platform['ports']['TRIPTRIP_MOTO_PORT']}",
                        region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def versions(platform):
    client = eks(platform)
    groups = client.list_nodegroups(clusterName="triptrip-local")["nodegroups"]
    return (client.describe_cluster(name="triptrip-local")["cluster"]["version"],
            {g: client.describe_nodegroup(clusterName="triptrip-local", nodegroupName=g)["nodegroup"]["version"]
             for g in groups})


def kubectl(platform, *args, stdin=None):
    res = subprocess.run(["kubectl", *args], env=platform["env"], input=stdin, capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def helm(platform, *args):
    res = subprocess.run(["helm", *args], env=platform["env"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def uids(platform):
    found = {}
    for kind in ("namespaces", "secrets", "persistentvolumeclaims"):
        for item in json.loads(kubectl(platform, "get", kind, "-A", "-o", "json"))["items"]:
            meta = item["metadata"]
            found[(kind, meta.get("namespace"), meta["name"])] = meta["uid"]
    return found


def autoscaler_image(platform):
    deployments = json.loads(kubectl(platform, "get", "deployments", "-n", "kube-system", "-o", "json"))["items"]
    images = [c["image"] for d in deployments if "cluster-autoscaler" in d["metadata"]["name"]
              for c in d["spec"]["template"]["spec"]["containers"]]
    assert images, [d["metadata"]["name"] for d in deployments]
    return images[0]


@pytest.fixture(scope="module")
def previous_minor(root, platform):
    """The platform as site.yml builds it at the previous minor (AWS, baseline, the cluster autoscaler), plus a
    Secret and a claim of our own whose UIDs the upgrade must keep."""
    extra = ["-e", json.dumps(PREVIOUS)]
    for name, args in (("playbooks/aws.yml", []), ("playbooks/cluster.yml", []),
                       ("playbooks/addons.yml", ["--tags", "cluster_autoscaler"])):
        res, recap = playbook(root, platform, name, *extra, *args)
        assert recap["failed"] == 0, res.stdout[-4000:]
    kubectl(platform, "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "upgrade-canary", "namespace": "triptrip-api"},
         "stringData": {"token": "kept"}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
         "metadata": {"name": "upgrade-canary", "namespace": "triptrip-cache"},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
    ]}))
    cluster, groups = versions(platform)
    assert cluster == "1.34" and set(groups.values()) == {"1.34"} and len(groups) == 5
    assert autoscaler_image(platform).endswith(":v1.34.2")
    return uids(platform)


def test_a_two_minor_jump_is_refused_before_any_change(root, platform, previous_minor):
    jump = {**at_minor("1.36", "v1.36.0", "v1.36.0-eksbuild.1"),
            "platform_eks_standard_support_end": {"1.34": "2026-12-02", "1.35": "2027-03-27", "1.36": "2027-08-01"}}
    res, recap = playbook(root, platform, "playbooks/upgrade.yml", "-e", json.dumps(jump))
    assert recap["failed"] == 1 and recap["changed"] == 0
    assert "platform_eks_version=1.36 is more than one minor above the cluster's 1.34" in res.stdout
    assert "to 1.35 first" in res.stdout
    assert versions(platform)[0] == "1.34"


def test_a_downgrade_is_refused(root, platform, previous_minor):
    down = at_minor("1.33", "v1.33.3", "v1.33.0-eksbuild.2")
    res, recap = playbook(root, platform, "playbooks/upgrade.yml", "-e", json.dumps(down))
    assert recap["failed"] == 1 and recap["changed"] == 0
    assert "platform_eks_version=1.33 is older than the cluster's 1.34: EKS cannot downgrade" in res.stdout


def test_an_unhealthy_cluster_stops_the_upgrade_and_says_how_to_resume(root, platform, previous_minor):
    never_ready = {"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "never-ready", "namespace": "triptrip-api"},
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "never-ready"}},
                            "template": {"metadata": {"labels": {"app": "never-ready"}},
                                         "spec": {"nodeSelector": {"no-such-node": "x"},
                                                  "containers": [{"name": "c", "image": "busybox:1.37"}]}}}}
    kubectl(platform, "apply", "-f", "-", stdin=json.dumps(never_ready))
    try:
        res, recap = playbook(root, platform, "playbooks/upgrade.yml", "-e", "upgrade_health_timeout=4",
                              "-e", "upgrade_health_delay=2")
    finally:
        kubectl(platform, "delete", "deployment", "never-ready", "-n", "triptrip-api", "--wait=true")
    assert recap["failed"] == 1 and recap["changed"] == 0
    output = res.stdout.replace("\\n", " ")
    assert "the cluster is not healthy before the upgrade" in output
    assert "Deployment triptrip-api/never-ready 0/1 available" in output
    assert "resume with the same command" in output
    assert versions(platform)[0] == "1.34"


def test_an_ignore_id_that_is_not_an_insight_id_is_refused_before_any_change(root, platform, previous_minor):
    res, recap = playbook(root, platform, "playbooks/upgrade.yml", "-e", "upgrade_ignore_insights=deprecated-apis")
    assert recap["failed"] == 1 and recap["changed"] == 0, res.stdout[-4000:]
    assert "upgrade_ignore_insights=deprecated-apis: deprecated-apis is not an insight id" in res.stdout
    assert versions(platform)[0] == "1.34"


def test_check_mode_plans_the_upgrade_and_changes_nothing(root, platform, previous_minor):
    res, recap = playbook(root, platform, "playbooks/upgrade.yml", "--check")
    assert recap["failed"] == 0, res.stdout[-4000:]
    assert recap["changed"] >= 7  # control plane, 5 node groups, the autoscaler
    assert versions(platform) == ("1.34", {g: "1.34" for g in versions(platform)[1]})
    assert autoscaler_image(platform).endswith(":v1.34.2")


def test_upgrade_by_one_minor_keeps_every_object(root, platform, previous_minor):
    res, recap = playbook(root, platform, "playbooks/upgrade.yml")
    assert recap["failed"] == 0, res.stdout[-4000:]
    cluster, groups = versions(platform)
    assert cluster == "1.35" and set(groups.values()) == {"1.35"}
    # The upgrade insights for 1.35 were read first (moto patch 20): kube-proxy's 1.34 build is a WARNING, shown,
    # which does not stop the upgrade; deprecated API usage is UNKNOWN on the local platform.
    assert "TASK [Read the upgrade insights for 1.35]" in res.stdout
    assert "WARNING: Amazon EKS add-on version compatibility: Installed builds not offered for Kubernetes 1.35: " \
           "kube-proxy v1.34.1-eksbuild.2" in res.stdout
    assert autoscaler_image(platform).endswith(f":{CURRENT_TAG}")
    # Order: the control plane before any node group, the node groups before the autoscaler.
    node_group = "Upgrade to the control plane's version node group"
    steps = [res.stdout.find(marker) for marker in ("Upgrade the control plane to 1.35", f"{node_group} general",
                                                    f"{node_group} gpu", "Upgrade the cluster autoscaler to")]
    assert -1 not in steps and steps == sorted(steps), steps
    after = uids(platform)
    for key, uid in previous_minor.items():
        if key[0] == "secrets" and key[2].startswith("sh.helm.release"):
            continue  # Helm's own release records: the autoscaler upgrade adds a revision
        assert after.get(key) == uid, key
    assert ("secrets", "triptrip-api", "upgrade-canary") in after
    assert ("persistentvolumeclaims", "triptrip-cache", "upgrade-canary") in after


def test_a_second_run_changes_nothing(root, platform, previous_minor):
    res, recap = playbook(root, platform, "playbooks/upgrade.yml")
    assert recap["failed"] == 0 and recap["changed"] == 0, res.stdout[-4000:]
    assert "already at 1.35" in res.stdout


# DR failover (playbooks/dr_failover.yml): the local cluster plays the passive DR cluster; production's inventory
# gives the serving minimums and Argo CD's replicas.
PASSIVE_ARGOCD = {"controller": 1, "server": 1, "repo_server": 1, "application_set": 1}
SERVING_ARGOCD = {"controller": 1, "server": 2, "repo_server": 2, "application_set": 2}


@pytest.fixture(scope="module")
def argocd(root, platform, previous_minor):
    # Argo CD as the passive DR inventory runs it (inventories/dr): one replica a component.
    res, recap = playbook(root, platform, "playbooks/addons.yml", "--tags", "argocd",
                          "-e", json.dumps({"addon_argocd_replicas": PASSIVE_ARGOCD}))
    assert recap["failed"] == 0, res.stdout[-4000:]


def scaling(platform):
    client = eks(platform)
    return {g: client.describe_nodegroup(clusterName="triptrip-local", nodegroupName=g)["nodegroup"]["scalingConfig"]
            for g in client.list_nodegroups(clusterName="triptrip-local")["nodegroups"]}


def argocd_replicas(platform):
    """Argo CD's replicas, by the chart's component names (helm get values of the release)."""
    values = json.loads(helm(platform, "get", "values", "argocd", "-n", "argocd", "-o", "json"))
    return {key: values[chart]["replicas"] for key, chart in (("controller", "controller"), ("server", "server"),
                                                              ("repo_server", "repoServer"),
                                                              ("application_set", "applicationSet"))}


def test_dr_failover_without_confirmation_changes_nothing(root, platform, argocd):
    before = scaling(platform), argocd_replicas(platform)
    res, recap = playbook(root, platform, "playbooks/dr_failover.yml")
    assert recap["failed"] == 1 and recap["changed"] == 0
    assert "dr_failover_confirm=(undefined)" in res.stdout and "-e dr_failover_confirm=triptrip-local" in res.stdout
    assert (scaling(platform), argocd_replicas(platform)) == before


def test_dr_failover_check_is_a_plan_that_changes_nothing(root, platform, argocd):
    before = scaling(platform), argocd_replicas(platform)
    assert before[1] == PASSIVE_ARGOCD
    res, recap = playbook(root, platform, "playbooks/dr_failover.yml", "--check", "--diff")
    assert recap["failed"] == 0 and recap["changed"] > 0, res.stdout[-4000:]
    assert "triptrip-local would serve as production" in res.stdout
    assert (scaling(platform), argocd_replicas(platform)) == before
    report = (root / "reports/local/dr_failover.md").read_text()
    assert "PLAN (--check), nothing changed" in report
    assert "| compute | 1 / 1 / 3 | 2 / 2 / 30 | yes |" in report
    # The cluster's availability settings as DescribeCluster gives them (the local inventory keeps EKS's zonal shift
    # off, and the report says how to turn it on).
    assert "| zonal shift | off | off |" in report and "| support type | STANDARD | STANDARD |" in report
    assert "| control plane tier | standard | standard |" in report and "platform_eks_zonal_shift: true" in report


def test_dr_failover_scales_to_production_minimums_and_points_argo_cd_here(root, platform, argocd):
    res, recap = playbook(root, platform, "playbooks/dr_failover.yml", "-e", "dr_failover_confirm=triptrip-local")
    assert recap["failed"] == 0, res.stdout[-4000:]
    after = scaling(platform)
    # production's minimums (group_vars/all/node_groups.yml) over the local inventory's sizes, its maximums too
    assert after["general"] == {"minSize": 3, "maxSize": 50, "desiredSize": 3}
    assert after["compute"] == {"minSize": 2, "maxSize": 30, "desiredSize": 2}
    assert after["memory"] == {"minSize": 1, "maxSize": 10, "desiredSize": 3}
    assert argocd_replicas(platform) == SERVING_ARGOCD
    compute = json.loads(kubectl(platform, "get", "nodes", "-l", "eks.amazonaws.com/nodegroup=compute", "-o", "json"))
    assert len(compute["items"]) == 2
    seconds = float(re.search(r"; ([0-9.]+) s of the 900 s RTO", res.stdout).group(1))
    assert seconds < 900
    report = (root / "reports/local/dr_failover.md").read_text()
    assert "PLAN" not in report and "platform_node_groups_overrides:" in report


def test_dr_failover_second_run_changes_nothing(root, platform, argocd):
    res, recap = playbook(root, platform, "playbooks/dr_failover.yml", "-e", "dr_failover_confirm=triptrip-local")
    assert recap["failed"] == 0 and recap["changed"] == 0, res.stdout[-4000:]
