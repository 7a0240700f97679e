"""triptrip.platform.single_line keeps a value of Fluent Bit's line-based configuration on its line."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.filter.single_line import single_line


@pytest.mark.parametrize("value, expected", [
    ("info", "info"), (2020, "2020"), ("/var/log/containers/*.log", "/var/log/containers/*.log"),
    ("${NODE_NAME}-", "${NODE_NAME}-")])
def test_a_value_on_one_line_passes_as_a_string(value, expected):
    assert single_line(value) == expected


@pytest.mark.parametrize("value", [
    "/aws/eks/triptrip/containers\n[OUTPUT]\n    Name http",  # a second output, shipping the logs elsewhere
    "info\r\n", "a\tb", "x\x00", "a\u2028b", ["info"], {"a": 1}, None])
def test_a_line_break_control_character_or_structure_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="single_line"):
        single_line(value)
