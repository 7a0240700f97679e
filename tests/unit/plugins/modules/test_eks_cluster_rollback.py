"""triptrip.platform.eks_cluster_rollback against botocore's Stubber (issue #27 item 3): the rollback window read from
ListUpdates and DescribeUpdate, the exact UpdateClusterVersion request, and no request when EKS would refuse or the
cluster is already rolled back."""

from __future__ import annotations

import datetime

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.module_utils.eks_rollback import plan
from ansible_collections.triptrip.platform.plugins.modules import eks_cluster_rollback

NAME = "triptrip-production"
NOW = datetime.datetime.now(datetime.timezone.utc)
CLUSTER = {"name": NAME, "arn": f"arn:aws:eks:ap-northeast-1:123456789012:cluster/{NAME}", "version": "1.35",
           "status": "ACTIVE"}


def update(ident, kind, version, age, status="Successful"):
    return {"id": ident, "status": status, "type": kind, "createdAt": NOW - age, "errors": [],
            "params": [{"type": "Version", "value": version}, {"type": "PlatformVersion", "value": "eks.1"}]}


def history(stubber, *updates, cluster=None):
    """DescribeCluster, ListUpdates over two pages, then DescribeUpdate of each id, as the module reads them."""
    stubber.add_response("describe_cluster", {"cluster": cluster or CLUSTER}, {"name": NAME})
    ids = [u["id"] for u in updates]
    stubber.add_response("list_updates", {"updateIds": ids[:1], **({"nextToken": "t-2"} if ids[1:] else {})},
                         {"name": NAME})
    if ids[1:]:
        stubber.add_response("list_updates", {"updateIds": ids[1:]}, {"name": NAME, "nextToken": "t-2"})
    for one in updates:
        stubber.add_response("describe_update", {"update": one}, {"name": NAME, "updateId": one["id"]})


UPGRADE = update("u-2", "VersionUpdate", "1.35", datetime.timedelta(days=2))
OLDER = [update("u-0", "VersionUpdate", "1.34", datetime.timedelta(days=90)),
         update("u-1", "LoggingUpdate", "", datetime.timedelta(days=3))]


def test_a_rollback_within_the_window_sends_the_exact_request(run_module, eks):
    client, stubber = eks
    history(stubber, UPGRADE, *OLDER)  # ListUpdates' order is not the history's: sorted by createdAt
    stubber.add_response("update_cluster_version", {"update": update("r-1", "VersionRollback", "1.34",
                                                                     datetime.timedelta(0))},
                         {"name": NAME, "version": "1.34", "force": True, "rollbackConfig": {"timeoutMinutes": 240}})
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34", "force": True,
                                                       "rollback_timeout_minutes": 240}, client, EKS_RETRY)
    assert not failed, result
    assert result["changed"] is True and result["update"]["type"] == "VersionRollback"
    assert result["rollback"]["action"] == "rollback"
    assert result["rollback"]["upgraded_at"] == UPGRADE["createdAt"].isoformat()
    assert result["rollback"]["window_ends"] == (UPGRADE["createdAt"] + datetime.timedelta(days=7)).isoformat()
    assert result["diff"] == {"before": {"version": "1.35"}, "after": {"version": "1.34"}}


def test_an_in_progress_rollback_is_waited_for(run_module, eks, monkeypatch):
    client, stubber = eks
    monkeypatch.setattr("time.sleep", lambda _seconds: None)
    history(stubber, UPGRADE)
    stubber.add_response("update_cluster_version", {"update": update("r-1", "VersionRollback", "1.34",
                                                                     datetime.timedelta(0), "InProgress")},
                         {"name": NAME, "version": "1.34"})
    stubber.add_response("describe_update", {"update": update("r-1", "VersionRollback", "1.34", datetime.timedelta(0))},
                         {"name": NAME, "updateId": "r-1"})
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34"}, client, EKS_RETRY)
    assert not failed and result["update"]["status"] == "Successful", result


def test_check_mode_plans_and_sends_no_update(run_module, eks):
    client, stubber = eks
    history(stubber, UPGRADE)
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34", "_ansible_check_mode": True},
                                client, EKS_RETRY)
    assert not failed and result["changed"] is True and "update" not in result, result
    assert result["diff"]["after"] == {"version": "1.34"}


def test_outside_the_window_it_fails_before_any_change(run_module, eks):
    client, stubber = eks
    old = update("u-2", "VersionUpdate", "1.35", datetime.timedelta(days=7, minutes=1))
    history(stubber, old)
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34", "force": True}, client,
                                EKS_RETRY)
    assert failed
    assert "more than 7 days ago: the rollback window closed on" in result["msg"], result
    assert result["rollback"]["window_ends"] == (old["createdAt"] + datetime.timedelta(days=7)).isoformat()


def test_a_cluster_created_at_its_version_is_refused(run_module, eks):
    client, stubber = eks
    history(stubber, *OLDER)
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34"}, client, EKS_RETRY)
    assert failed and "was not reached by an in-place upgrade" in result["msg"], result


def test_a_rolled_back_cluster_is_left_alone(run_module, eks):
    client, stubber = eks
    rolled = {**CLUSTER, "version": "1.34"}
    back = update("r-1", "VersionRollback", "1.34", datetime.timedelta(hours=1))
    history(stubber, UPGRADE, back, cluster=rolled)
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34"}, client, EKS_RETRY)
    assert not failed and result["changed"] is False, result
    assert result["rollback"]["rolled_back_at"] == back["createdAt"].isoformat()


def test_a_bad_timeout_fails_before_any_call(run_module, eks):
    client, _stubber = eks
    result, failed = run_module(eks_cluster_rollback, {"name": NAME, "version": "1.34", "rollback_timeout_minutes": 60},
                                client, EKS_RETRY)
    assert failed and result["msg"].startswith("rollback_timeout_minutes=60 must be between 120"), result


def test_the_plan_refuses_what_eks_refuses():
    cluster, upgrade = dict(CLUSTER), [UPGRADE]
    assert plan(cluster, upgrade, "1.33", NOW)["refusal"].startswith("version 1.33: EKS rolls a control plane back")
    assert plan(cluster, upgrade, "1.36", NOW)["refusal"] is not None
    assert "is UPDATING" in plan({**cluster, "status": "UPDATING"}, upgrade, "1.34", NOW)["refusal"]
    # The window's edge: 7 days after the upgrade still rolls back, a second later does not.
    edge = UPGRADE["createdAt"] + datetime.timedelta(days=7)
    assert plan(cluster, upgrade, "1.34", edge)["action"] == "rollback"
    assert plan(cluster, upgrade, "1.34", edge + datetime.timedelta(seconds=1))["refusal"] is not None
    # Already at the target without a rollback: nothing to do, and nothing says it was rolled back.
    assert plan({**cluster, "version": "1.34"}, OLDER[:1], "1.34", NOW)["rolled_back_at"] is None
