# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Waiters of the triptrip.platform AWS modules: poll a read until a judge says the wait is done or has failed, or a
deadline passes.

A judge takes what the read returned and answers done(value), failed(msg, **details) or pending(). wait() returns the
value of done; on failed it calls fail(msg=..., **details) and on the deadline fail(msg=timed_out(last state)) --
AnsibleModule.fail_json, which does not return. update_judge() and resource_judge() are the judges of an EKS update
(DescribeUpdate) and of an EKS resource with a status (DescribeCluster, DescribeNodegroup, DescribeAddon).
"""

from __future__ import annotations

import time

POLL_SECONDS = 10
UPDATE_FAILED = ("Failed", "Cancelled")

DONE, FAILED, PENDING = "done", "failed", "pending"
_UNREAD = object()


def done(value=None):
    return DONE, value


def failed(msg, **details):
    return FAILED, dict(details, msg=msg)


def pending():
    return PENDING, None


class Deadline:
    """`timeout` seconds from now; one Deadline may be shared by successive waits (an update, then the resource)."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.at = time.monotonic() + timeout

    def remaining(self):
        return self.at - time.monotonic()


def wait(read, judge, deadline, fail, timed_out, first=_UNREAD, poll=POLL_SECONDS, clip=False):
    """Judge `first` (when given, else read()), then, until the judge says done or failed: fail when `deadline` (a
    Deadline or seconds) has passed, sleep `poll` seconds (with `clip`, at most until the deadline) and read again.

    Returns done's value; on failed or the deadline calls fail(msg=...) and returns None should fail return.
    """
    if not isinstance(deadline, Deadline):
        deadline = Deadline(deadline)
    state = read() if first is _UNREAD else first
    while True:
        verdict, detail = judge(state)
        if verdict == DONE:
            return detail
        if verdict == FAILED:
            fail(**detail)
            return None
        remaining = deadline.remaining()
        if remaining <= 0:
            fail(msg=timed_out(state))
            return None
        time.sleep(min(poll, remaining) if clip else poll)
        state = read()


def update_judge(ended, **details):
    """The judge of an EKS update (as UpdateClusterConfig, UpdateNodegroupVersion or DescribeUpdate answer it): done
    (with the update) once Successful, failed with the message ended(update) (and `details(update)` for each of
    **details) once Failed or Cancelled, pending otherwise."""
    def judge(update):
        status = update.get("status")
        if status == "Successful":
            return done(update)
        if status in UPDATE_FAILED:
            return failed(ended(update), **{key: make(update) for key, make in details.items()})
        return pending()
    return judge


def resource_judge(ready=(), failing=(), failure=None, missing=None, gone=False):
    """The judge of an EKS resource as its describe function returns it (None when it does not exist).

    Without `gone`: done (with the resource) when its status is in `ready`; failed(missing) when it does not exist
    (pending when `missing` is None). With `gone`: done (with None) once it does not exist. Either way a status in
    `failing` (not also in `ready`) answers failure(resource), which returns failed(...); any other status is pending.
    """
    def judge(resource):
        if resource is None:
            if gone:
                return done(None)
            return failed(missing) if missing else pending()
        status = resource.get("status")
        if not gone and status in ready:
            return done(resource)
        if status in failing:
            return failure(resource)
        return pending()
    return judge
