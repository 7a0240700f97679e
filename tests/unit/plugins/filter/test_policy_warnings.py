"""triptrip.platform.policy_warnings: the EKS support calendar, 60 days ahead (issue #27)."""

from __future__ import annotations

import pytest

from ansible_collections.triptrip.platform.plugins.filter.policy_warnings import policy_warnings

CALENDAR = {"1.34": "2026-12-02", "1.35": "2027-03-27"}


def settings(version="1.35", support_type="STANDARD"):
    return {"platform_eks_version": version, "platform_eks_standard_support_end": CALENDAR,
            "platform_eks_support_type": support_type}


@pytest.mark.parametrize("today", ["2026-12-07", "2027-01-25"])
def test_nothing_more_than_sixty_days_ahead(today):
    assert policy_warnings(settings(), today) == []


@pytest.mark.parametrize(("today", "left"), [("2027-01-26", "ends in 60 days"), ("2027-03-27", "ends in 0 days")])
def test_sixty_days_ahead_it_warns_naming_the_version_the_date_and_what_eks_does(today, left):
    [warning] = policy_warnings(settings(), today)
    assert warning.startswith("platform_eks_version=1.35: ") and f"{left}, on 2027-03-27" in warning
    assert "upgrades the control plane to the next minor itself" in warning


def test_after_the_end_it_says_how_long_ago_and_extended_support_bills():
    [warning] = policy_warnings(settings("1.34", "EXTENDED"), "2026-12-07")
    assert "ended 5 days ago, on 2026-12-02" in warning and "billed at the extended price" in warning


def test_the_window_is_a_parameter_and_an_unknown_minor_is_left_to_policy_errors():
    assert policy_warnings(settings(), "2026-12-07", days=120) != []
    assert policy_warnings(settings("1.36"), "2027-03-27") == []
