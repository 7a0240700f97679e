"""module_utils.tagging: the tag diff of the AWS modules (on amazon.aws's compare_aws_tags)."""

from __future__ import annotations

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, tags_after, wanted_tags

HAVE = {"Environment": "staging", "Owner": "sre", "aws:cloudformation:stack-name": "s"}


def test_wanted_tags_are_strings():
    assert wanted_tags({"Count": 3, "On": True, 1: "x"}) == {"Count": "3", "On": "True", "1": "x"}
    assert wanted_tags(None) == {}


def test_changed_and_new_tags_are_set_and_others_purged():
    add, remove = tag_changes(HAVE, {"Environment": "production", "Team": "web"}, purge=True)
    assert add == {"Environment": "production", "Team": "web"}
    assert remove == ["Owner"]  # aws: keys are never purged


def test_without_purge_nothing_is_removed():
    add, remove = tag_changes(HAVE, {"Environment": "production"}, purge=False)
    assert add == {"Environment": "production"} and remove == []


def test_equal_tags_need_no_change_even_when_the_task_gives_a_number():
    assert tag_changes({"Count": "3"}, {"Count": 3}, purge=True) == ({}, [])


def test_unset_tags_are_left_alone():
    assert tag_changes(HAVE, None, purge=True) == ({}, [])
    assert tags_after(HAVE, None, purge=True) == HAVE


def test_empty_tags_purge_all_but_aws_keys():
    assert tag_changes(HAVE, {}, purge=True) == ({}, ["Environment", "Owner"])
    assert tags_after(HAVE, {}, purge=True) == {"aws:cloudformation:stack-name": "s"}


def test_removals_are_sorted_and_additions_deterministic():
    add, remove = tag_changes({"b": "1", "a": "1", "c": "1"}, {"z": "1", "y": "2"}, purge=True)
    assert remove == ["a", "b", "c"] and list(add) == ["y", "z"]


@pytest.mark.parametrize(("purge", "after"), [
    (True, {"Environment": "production", "aws:cloudformation:stack-name": "s"}),
    (False, {"Environment": "production", "Owner": "sre", "aws:cloudformation:stack-name": "s"}),
])
def test_tags_after_is_what_the_changes_leave(purge, after):
    want = {"Environment": "production"}
    assert tags_after(HAVE, want, purge) == after
    add, remove = tag_changes(HAVE, want, purge)
    assert {**{k: v for k, v in HAVE.items() if k not in remove}, **add} == after


def test_missing_current_tags_are_none():
    assert tag_changes(None, {"A": "1"}, purge=True) == ({"A": "1"}, [])
