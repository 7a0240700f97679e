"""module_utils.waiters: wait() ends on done, fails on failed and at the deadline; the EKS judges map statuses."""

from __future__ import annotations

import time

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils import waiters
from ansible_collections.triptrip.platform.plugins.module_utils.eks import wait_for_update
from ansible_collections.triptrip.platform.plugins.module_utils.waiters import (
    Deadline, done, failed, pending, resource_judge, update_judge, wait)


class Failed(Exception):
    pass


def fail(**kwargs):
    raise Failed(kwargs)


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic as a clock that only sleeping advances; returns the sleeps."""
    now, sleeps = [0.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(time, "sleep", sleep)
    return sleeps


def reads(*states):
    """A read returning `states` in turn (failing the test when asked for more); records how often it ran."""
    left = list(states)

    def read():
        assert left, "read more often than expected"
        read.count += 1
        return left.pop(0)
    read.count = 0
    return read


def by_status(state):
    return {"ok": done(state), "bad": failed(f"it is {state}", extra=1)}.get(state, pending())


def test_done_at_once_makes_no_sleep(clock):
    read = reads("ok")
    assert wait(read, by_status, 60, fail, str) == "ok"
    assert read.count == 1 and clock == []


def test_pending_is_polled_every_poll_seconds_until_done(clock):
    read = reads("creating", "creating", "ok")
    assert wait(read, by_status, 60, fail, str) == "ok"
    assert clock == [waiters.POLL_SECONDS, waiters.POLL_SECONDS]


def test_a_given_first_state_is_judged_without_a_read(clock):
    read = reads("ok")
    assert wait(read, by_status, 60, fail, str, first="creating") == "ok"
    assert read.count == 1
    assert wait(reads(), by_status, 60, fail, str, first="ok") == "ok"


def test_failed_fails_with_its_message_and_details(clock):
    with pytest.raises(Failed) as raised:
        wait(reads("creating", "bad"), by_status, 60, fail, str)
    assert raised.value.args[0] == {"msg": "it is bad", "extra": 1}


def test_the_deadline_fails_with_the_last_state(clock):
    with pytest.raises(Failed) as raised:
        wait(reads(*["creating"] * 3 + ["updating"]), by_status, 30, fail, lambda s: f"timed out, now {s}")
    assert raised.value.args[0] == {"msg": "timed out, now updating"}
    assert clock == [10, 10, 10]


def test_clip_sleeps_at_most_until_the_deadline(clock):
    with pytest.raises(Failed):
        wait(reads("a", "b", "c", "d"), by_status, 25, fail, str, clip=True)
    assert clock == [10, 10, 5]


def test_a_shared_deadline_spans_two_waits(clock):
    deadline = Deadline(15)
    assert wait(reads("x", "ok"), by_status, deadline, fail, str) == "ok"
    with pytest.raises(Failed):
        wait(reads("y", "z"), by_status, deadline, fail, str)
    assert clock == [10, 10]  # the second wait had 5 s left: one pause, then the deadline


def test_a_fail_that_returns_ends_the_wait_with_none(clock):
    calls = []
    assert wait(reads("bad"), by_status, 60, lambda **kw: calls.append(kw), str) is None
    assert wait(reads("x"), by_status, 0, lambda **kw: calls.append(kw), str) is None
    assert [c["msg"] for c in calls] == ["it is bad", "x"]


@pytest.mark.parametrize(("update", "verdict"), [
    ({"status": "Successful"}, "done"), ({"status": "InProgress"}, "pending"), ({}, "pending"),
    ({"status": "Failed"}, "failed"), ({"status": "Cancelled"}, "failed"),
])
def test_update_judge(update, verdict):
    judge = update_judge(lambda u: f"ended {u['status']}", update=dict)
    answer, detail = judge(update)
    assert answer == verdict
    if verdict == "failed":
        assert detail == {"msg": f"ended {update['status']}", "update": update}
    if verdict == "done":
        assert detail is update


def judge_of(**kwargs):
    return resource_judge(ready=("ACTIVE",), failing=("CREATE_FAILED", "DELETE_FAILED"),
                          failure=lambda r: failed(f"is {r['status']}"), **kwargs)


@pytest.mark.parametrize(("resource", "kwargs", "verdict"), [
    ({"status": "ACTIVE"}, {}, "done"),
    ({"status": "CREATING"}, {}, "pending"),
    ({"status": "CREATE_FAILED"}, {}, "failed"),
    (None, {}, "pending"),
    (None, {"missing": "disappeared"}, "failed"),
    (None, {"gone": True}, "done"),
    ({"status": "ACTIVE"}, {"gone": True}, "pending"),
    ({"status": "DELETING"}, {"gone": True}, "pending"),
    ({"status": "DELETE_FAILED"}, {"gone": True}, "failed"),
])
def test_resource_judge(resource, kwargs, verdict):
    assert judge_of(**kwargs)(resource)[0] == verdict


def test_a_ready_status_wins_over_a_failing_one():
    judge = resource_judge(ready=("ACTIVE", "DEGRADED"), failing=("DEGRADED",), failure=lambda r: failed("x"))
    assert judge({"status": "DEGRADED"}) == done({"status": "DEGRADED"})


class Eks:
    """describe_update answering `statuses` in turn."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.asked = []

    def describe_update(self, **kwargs):
        self.asked.append(kwargs)
        return {"update": {"id": "u-1", "status": self.statuses.pop(0), "errors": []}}


def test_wait_for_update_polls_describe_update(clock):
    client = Eks("InProgress", "Successful")
    wait_for_update(client, "c", {"id": "u-1", "status": "InProgress"}, 60, fail)
    assert client.asked == [{"name": "c", "updateId": "u-1", "aws_retry": True}] * 2 and clock == [10, 10]


@pytest.mark.parametrize(("statuses", "message"), [
    (("Failed",), "EKS update u-1 of c ended Failed: []"),
    (("InProgress",) * 10, "Timed out after 20 s waiting for EKS update u-1 of c"),
])
def test_wait_for_update_fails(clock, statuses, message):
    with pytest.raises(Failed) as raised:
        wait_for_update(Eks(*statuses), "c", {"id": "u-1", "status": "InProgress"}, 20, fail)
    assert raised.value.args[0] == {"msg": message}


def test_wait_for_update_of_an_update_already_ended(clock):
    client = Eks()
    wait_for_update(client, "c", {"id": "u-1", "status": "Successful"}, 60, fail)
    with pytest.raises(Failed):
        wait_for_update(client, "c", {"id": "u-1", "status": "Cancelled"}, 60, fail)
    assert client.asked == [] and clock == []
