"""playbooks/rollback.yml -e rollback_kind=control_plane on the local environment (issue #27 item 3): a cluster built
at the previous minor and upgraded by upgrade.yml is rolled back - node groups first, then the managed add-ons, then
the control plane, through moto patch 22 - after a --check that changes nothing; a second run reports ok. A rollback
readiness insight in ERROR stops the run before the control plane until its id is given. A cluster whose upgrade is
more than 7 days old (the patch layer's test clock) is refused before any change, naming the variables, and moto
refuses the same rollback as EKS does."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError
from localplatform import changed_tasks, start_platform
from test_upgrade_and_failover import PREVIOUS, eks, playbook, versions

CLUSTER = "triptrip-local"
# The autoscaler is not what this module is about: the upgrade leaves it out, as its tag allows.
UPGRADE = ("playbooks/upgrade.yml", "--skip-tags", "upgrade_autoscaler")
ROLLBACK = ("playbooks/rollback.yml", "-e", "rollback_kind=control_plane", "-e", json.dumps(PREVIOUS))


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    """Seconds added to the patch layer's clock (TRIPTRIP_MOTO_TEST_CLOCK_FILE, test-only, patch 22)."""
    return tmp_path_factory.mktemp("moto-clock") / "offset"


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory, clock):
    yield from start_platform(root, tool_env, tmp_path_factory, "rollback",
                              extra_env={"TRIPTRIP_MOTO_TEST_CLOCK_FILE": str(clock)})


def build_and_upgrade(root, platform):
    """The cluster as cluster.yml builds it at the previous minor, then upgrade.yml to the inventory's."""
    for name, args in (("playbooks/aws.yml", ["-e", json.dumps(PREVIOUS)]),
                       ("playbooks/cluster.yml", ["-e", json.dumps(PREVIOUS)]), (UPGRADE[0], list(UPGRADE[1:]))):
        res, recap = playbook(root, platform, name, *args)
        assert recap["failed"] == 0, res.stdout[-4000:]
    cluster, groups = versions(platform)
    assert cluster == "1.35" and set(groups.values()) == {"1.35"} and len(groups) == 5


@pytest.fixture(scope="module")
def upgraded(root, platform):
    build_and_upgrade(root, platform)


def update_kinds(platform):
    client = eks(platform)
    return [client.describe_update(name=CLUSTER, updateId=i)["update"]["type"]
            for i in client.list_updates(name=CLUSTER)["updateIds"]]


def kube_proxy(platform):
    return eks(platform).describe_addon(clusterName=CLUSTER, addonName="kube-proxy")["addon"]["addonVersion"]


def test_the_inventory_still_at_the_upgraded_minor_is_refused_before_any_change(root, platform, upgraded):
    """Forgetting to set platform_eks_version back: refused, naming it and the minor to set."""
    res, recap = playbook(root, platform, "playbooks/rollback.yml", "-e", "rollback_kind=control_plane")
    assert recap["failed"] == 1 and recap["changed"] == 0, res.stdout[-4000:]
    assert "rollback_kind=control_plane, platform_eks_version=1.35: 1.35 is already the cluster's version and no " \
           "rollback brought it there: set platform_eks_version (and the add-on pins) to the minor below, 1.34" \
           in " ".join(res.stdout.split()), res.stdout[-3000:]
    assert update_kinds(platform) == ["VersionUpdate"]


def test_check_mode_plans_the_rollback_and_changes_nothing(root, platform, upgraded):
    res, recap = playbook(root, platform, *ROLLBACK, "--check")
    assert recap["failed"] == 0, res.stdout[-4000:]
    # The node groups (one loop), kube-proxy (the add-ons' loop) and the control plane; the plan itself reads only.
    assert changed_tasks(res.stdout) == {"rollback_control_plane | Roll the node groups back, one at a time, to 1.34",
                                         "eks_addons : Create or converge the managed add-ons",
                                         "rollback_control_plane | Roll the control plane back to 1.34"}, \
        res.stdout.split("TASKS RECAP")[0][-6000:]
    assert recap["changed"] == 3
    assert "1.35 -> 1.34 (planned, --check)" in res.stdout, res.stdout[-3000:]
    assert versions(platform) == ("1.35", {g: "1.35" for g in versions(platform)[1]})
    assert kube_proxy(platform) == "v1.35.0-eksbuild.2"
    assert update_kinds(platform) == ["VersionUpdate"]


def test_rollback_goes_node_groups_then_add_ons_then_control_plane(root, platform, upgraded):
    res, recap = playbook(root, platform, *ROLLBACK)
    assert recap["failed"] == 0, res.stdout[-4000:]
    cluster, groups = versions(platform)
    assert cluster == "1.34" and set(groups.values()) == {"1.34"}, (cluster, groups)
    assert kube_proxy(platform) == "v1.34.1-eksbuild.2"
    assert update_kinds(platform) == ["VersionUpdate", "VersionRollback"]
    # Before anything changed, the insights named what this run rolls back first (moto patch 22).
    assert "ERROR: Kubelet version skew: Node groups newer than Kubernetes 1.34" in res.stdout, res.stdout[-6000:]
    steps = [res.stdout.find(f"TASK [rollback_control_plane | {marker}") for marker in (
        "Refuse what EKS would refuse, before any change]", "Roll the node groups back, one at a time, to 1.34",
        "Put the managed add-ons at the inventory's pins]", "Stop on a rollback readiness insight",
        "Roll the control plane back to 1.34]")]
    assert -1 not in steps and steps == sorted(steps), steps


def test_a_second_run_reports_ok_and_changes_nothing(root, platform, upgraded):
    res, recap = playbook(root, platform, *ROLLBACK)
    assert recap["failed"] == 0 and recap["changed"] == 0, res.stdout[-4000:]
    assert "nothing to roll back" in res.stdout, res.stdout[-3000:]
    assert update_kinds(platform) == ["VersionUpdate", "VersionRollback"]


def rebuild(root, platform, clock, days_ago=0):
    """A new cluster in moto at the previous minor (the local Kubernetes stays), upgraded with the patch layer's clock
    `days_ago` days back: its upgrade is that old."""
    client = eks(platform)
    for group in client.list_nodegroups(clusterName=CLUSTER)["nodegroups"]:
        client.delete_nodegroup(clusterName=CLUSTER, nodegroupName=group)
    client.delete_cluster(name=CLUSTER)
    clock.write_text(str(-days_ago * 86400) if days_ago else "")
    try:
        build_and_upgrade(root, platform)
    finally:
        clock.write_text("")


def test_an_insight_in_error_stops_before_the_control_plane_and_can_be_gone_past(root, platform, upgraded, clock):
    """Add-ons left out (platform_eks_addons_enabled false): kube-proxy stays newer than 1.34, its insight stops the
    run before the control plane; its id given, the rollback goes on with EKS's force. Without the managed add-ons
    there is no EKS Pod Identity agent, which preflight refuses under pod_identity: this run states irsa (the
    rollback plays touch no identity)."""
    rebuild(root, platform, clock)
    no_addons = ("-e", json.dumps({**PREVIOUS, "platform_eks_addons_enabled": False, "platform_aws_identity": "irsa"}))
    res, recap = playbook(root, platform, *ROLLBACK, *no_addons)
    assert recap["failed"] == 1, res.stdout[-4000:]
    found = re.search(r"kube-proxy version skew \(insight ([0-9a-f-]{36}), for Kubernetes 1.34\) is in ERROR: "
                      r"kube-proxy v1.35.0-eksbuild.2 is newer than Kubernetes 1.34\..*The control plane was not "
                      r"changed\..* -e rollback_ignore_insights=([0-9a-f-]{36})", res.stdout)
    assert found and found.group(1) == found.group(2), res.stdout.split("TASKS RECAP")[0][-4000:]
    assert versions(platform) == ("1.35", {g: "1.34" for g in versions(platform)[1]})
    assert update_kinds(platform) == ["VersionUpdate"]
    res, recap = playbook(root, platform, *ROLLBACK, *no_addons, "-e", f"rollback_ignore_insights={found.group(1)}")
    assert recap["failed"] == 0 and recap["changed"] == 1, res.stdout[-4000:]
    assert versions(platform)[0] == "1.34" and update_kinds(platform) == ["VersionUpdate", "VersionRollback"]


def test_outside_the_window_it_is_refused_before_any_change(root, platform, upgraded, clock):
    """A cluster whose upgrade is 8 days old."""
    rebuild(root, platform, clock, days_ago=8)
    client = eks(platform)
    res, recap = playbook(root, platform, *ROLLBACK)
    assert recap["failed"] == 1 and recap["changed"] == 0, res.stdout[-4000:]
    out = " ".join(res.stdout.split())
    assert "rollback_kind=control_plane, platform_eks_version=1.34: EKS cluster triptrip-local cannot be rolled " \
           "back: the upgrade to 1.35 was on" in out, res.stdout.split("TASKS RECAP")[0][-4000:]
    assert "more than 7 days ago: the rollback window closed on" in out and "Nothing was changed." in out
    assert "TASK [rollback_control_plane | Refuse what EKS would refuse" in res.stdout
    assert "TASK [rollback_control_plane | Roll the node groups back" not in res.stdout
    assert versions(platform) == ("1.35", {g: "1.35" for g in versions(platform)[1]})
    assert kube_proxy(platform) == "v1.35.0-eksbuild.2"
    assert update_kinds(platform) == ["VersionUpdate"]
    # moto refuses it too, forced or not, as EKS does.
    with pytest.raises(ClientError) as err:
        client.update_cluster_version(name=CLUSTER, version="1.34", force=True)
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "more than 7 days old" in err.value.response["Error"]["Message"]
