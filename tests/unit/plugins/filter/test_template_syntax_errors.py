"""template_syntax_errors: survey answers (extra vars) are data. A named input holding {{, {% or {# is refused, read as
given, before any templating; plain values and inputs not given pass."""

from __future__ import annotations

import pytest

from ansible_collections.triptrip.platform.plugins.filter import template_syntax_errors as plugin
from ansible_collections.triptrip.platform.plugins.filter.template_syntax_errors import template_syntax_errors


@pytest.mark.parametrize("value, markers", [
    ("{{ lookup('pipe', 'id') }}", "{{"),
    ("triptrip-{% if true %}prod{% endif %}", "{%"),
    ("name{# comment #}", "{#"),
    (["ok", {"k": "{{ x }}"}], "{{"),
])
def test_template_syntax_in_an_input_is_refused(value, markers):
    got = template_syntax_errors(["confirm_destroy"], given={"confirm_destroy": value})
    assert len(got) == 1, got
    assert got[0].startswith("confirm_destroy=") and f"this one holds {markers};" in got[0]


@pytest.mark.parametrize("value", ["triptrip-production", "{ not jinja }", "a}}b", 3, None, "50%"])
def test_plain_values_pass(value):
    assert template_syntax_errors(["confirm_destroy"], given={"confirm_destroy": value}) == []


def test_only_the_named_inputs_are_checked():
    given = {"rollback_name": "{{ x }}", "platform_kubeconfig": "{{ tower.filename.kubeconfig }}"}
    assert template_syntax_errors(["rollback_namespace"], given=given) == []
    assert len(template_syntax_errors(["rollback_name", "rollback_namespace"], given=given)) == 1


def test_the_command_lines_extra_vars_are_read_untemplated(monkeypatch):
    monkeypatch.setattr(plugin, "load_extra_vars", lambda loader: {"confirm_destroy": "{{ 6 * 7 }}", "other": "x"})
    got = template_syntax_errors(["confirm_destroy"])
    assert got == ['confirm_destroy="{{ 6 * 7 }}": an input is data, not a template, and this one holds {{; give the value '
                   "itself (a name, a number), with no Jinja syntax"]
    monkeypatch.setattr(plugin, "load_extra_vars", lambda loader: {"confirm_destroy": "triptrip-production"})
    assert template_syntax_errors(["confirm_destroy"]) == []
