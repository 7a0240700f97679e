"""triptrip.platform.upgrade_blockers: an upgrade insight in ERROR stops playbooks/upgrade.yml, unless its id is
passed on purpose (issue #27)."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.filter.upgrade_blockers import upgrade_blockers

DEPRECATED = {"id": "0b3e9c7a-1111-2222-3333-444455556666", "name": "Deprecated APIs removed in Kubernetes v1.35",
              "kubernetes_version": "1.35", "status": "ERROR", "reason": "Deprecated API usage detected.",
              "recommendation": "Update manifests and API clients before upgrading."}
SKEW = {"id": "9d8c7b6a-aaaa-bbbb-cccc-ddddeeeeffff", "name": "Kubelet version skew", "kubernetes_version": "1.35",
        "status": "ERROR", "reason": "Node groups more than three minors behind.", "recommendation": "Upgrade them."}
WARNING = {**DEPRECATED, "id": "11111111-2222-3333-4444-555555555555", "status": "WARNING"}


def test_an_error_stops_naming_the_insight_its_reason_advice_and_the_way_past():
    blockers = upgrade_blockers([DEPRECATED, WARNING])
    assert blockers[0] == ("Deprecated APIs removed in Kubernetes v1.35 (insight 0b3e9c7a-1111-2222-3333-444455556666, "
                           "for Kubernetes 1.35) is in ERROR: Deprecated API usage detected. Recommendation: Update "
                           "manifests and API clients before upgrading.")
    assert blockers[-1].endswith("-e upgrade_ignore_insights=0b3e9c7a-1111-2222-3333-444455556666")
    assert len(blockers) == 2


def test_warnings_unknowns_and_passing_insights_never_stop():
    assert upgrade_blockers([WARNING, {**SKEW, "status": "UNKNOWN"}, {**SKEW, "status": "PASSING"}]) == []
    assert upgrade_blockers([]) == []


def test_the_ids_passed_go_past_their_insights_only():
    assert upgrade_blockers([DEPRECATED, SKEW], f" {DEPRECATED['id']} , {SKEW['id']}") == []
    remaining = upgrade_blockers([DEPRECATED, SKEW], [DEPRECATED["id"]])
    assert remaining[0].startswith("Kubelet version skew") and remaining[-1].endswith(SKEW["id"])


def test_an_id_that_is_not_an_insight_id_is_refused_naming_the_variable():
    [error] = upgrade_blockers([DEPRECATED], "deprecated-apis")
    assert error.startswith("upgrade_ignore_insights=deprecated-apis: deprecated-apis is not an insight id")


def test_a_rollback_blocks_on_unknown_too_and_names_its_own_variable():
    unknown = {**SKEW, "status": "UNKNOWN", "kubernetes_version": "1.34"}
    blockers = upgrade_blockers([unknown, WARNING], "", "rollback_ignore_insights", ["ERROR", "UNKNOWN"])
    assert blockers[0].startswith("Kubelet version skew (insight 9d8c7b6a-aaaa-bbbb-cccc-ddddeeeeffff, for Kubernetes "
                                  "1.34) is in UNKNOWN:")
    assert blockers[-1].endswith("-e rollback_ignore_insights=9d8c7b6a-aaaa-bbbb-cccc-ddddeeeeffff")
    assert upgrade_blockers([unknown], "x", "rollback_ignore_insights")[0].startswith("rollback_ignore_insights=x:")
