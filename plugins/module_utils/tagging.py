# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Tag diffing of the triptrip.platform AWS modules, on amazon.aws's compare_aws_tags: tags as a dict, values as
strings, keys starting with "aws:" never purged."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def wanted_tags(tags):
    """The task's tags as AWS stores them: keys and values as strings (YAML may give a number or a boolean)."""
    return {str(k): str(v) for k, v in (tags or {}).items()}


def tag_changes(have, want, purge):
    """(tags to set, tag keys to remove, sorted) that take `have` to `want` (the task's tags; None leaves the tags
    alone). With `purge`, tags not in `want` are removed, except keys starting with "aws:"."""
    if want is None:
        return {}, []
    add, remove = compare_aws_tags(dict(have or {}), wanted_tags(want), purge)
    return dict(sorted(add.items())), sorted(remove)


def tags_after(have, want, purge):
    """The tags once tag_changes(have, want, purge) is carried out (`have` when `want` is None)."""
    have = dict(have or {})
    if want is None:
        return have
    kept = {k: v for k, v in have.items() if k.startswith("aws:")} if purge else have
    return {**kept, **wanted_tags(want)}
