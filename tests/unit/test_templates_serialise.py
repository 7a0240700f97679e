"""Objects sent to Kubernetes are built as data and serialised, never assembled as YAML text from inventory strings
(issue #26). Every expression a role's template writes into YAML or JSON ends in a filter that serialises it:
`to_json` (a JSON scalar, list or mapping is a YAML flow node, so a newline or `---` in a value stays inside the
value), `to_nice_yaml`, a number (`int`, `float`), `comment` for ansible_managed, or `triptrip.platform.single_line`
where the value goes into another program's line-based text (Fluent Bit's configuration) and must not start a line
of its own. A literal or a call of the template's own macro (whose expressions are held to the same rule) passes.

The rule is read from Jinja's own parse tree of each template. The delivery workflow (a GitHub Actions file written
to the application repositories, [[ ]] delimiters, GitHub's own expressions inside) is not sent to Kubernetes and is
not held to it."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[2]
SERIALISING = {"to_json", "ansible.builtin.to_json", "to_nice_yaml", "ansible.builtin.to_nice_yaml", "int", "float",
               "comment", "ansible.builtin.comment", "triptrip.platform.single_line"}
TEMPLATES = sorted(p for p in ROOT.glob("roles/*/templates/**/*.j2") if p.parent.parent.name != "delivery_workflow")


def unserialised(source: str) -> list[str]:
    """Each expression written out by the template that ends in no serialising filter, as `line N: expression`."""
    tree = jinja2.Environment(extensions=["jinja2.ext.do"]).parse(source)
    macros = {m.name for m in tree.find_all(nodes.Macro)} | {
        name for i in tree.find_all(nodes.FromImport) for name in (n if isinstance(n, str) else n[-1] for n in i.names)}
    found = []
    for output in tree.find_all(nodes.Output):
        for node in output.nodes:
            if isinstance(node, (nodes.TemplateData, nodes.Const)):
                continue
            if isinstance(node, nodes.Filter) and node.name in SERIALISING:
                continue
            if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in macros:
                continue
            found.append(f"line {node.lineno}: {type(node).__name__} {getattr(node, 'name', '')}".rstrip())
    return found


def test_the_rule_reads_every_template_of_the_roles():
    assert len(TEMPLATES) >= 30, TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(ROOT / "roles")) for p in TEMPLATES])
def test_every_value_a_template_writes_is_serialised(path):
    assert unserialised(path.read_text()) == [], path


@pytest.mark.parametrize("source", [
    "name: {{ namespace }}\n",                                        # a bare variable
    "name: {{ namespace | lower }}\n",                               # a filter that does not serialise
    "name: {{ namespace | to_json | lower }}\n",                     # serialised, then changed back into text
    "name: local-{{ name }}-{{ index | to_json }}\n",                # one part serialised, one not
    "{{ key }}: {{ value | to_json }}\n",                            # a key from a variable
    "{% for n in names %}\n- {{ n ~ '-x' }}\n{% endfor %}\n",         # inside a loop
    "{% macro m(x) %}\n  a: {{ x }}\n{% endmacro %}\n{{ m(1) }}\n",  # inside a macro that is called
], ids=["bare", "other-filter", "filter-after", "partial", "key", "loop", "macro-body"])
def test_the_rule_bites_on_a_value_written_as_text(source):
    assert unserialised(source), source


@pytest.mark.parametrize("source", [
    "name: {{ namespace | to_json }}\n",
    "{{ ('local-' ~ name) | to_json }}: {{ n | int }}\n",
    "{{ ansible_managed | comment }}\nx: 1\n",
    "{% macro m(x) %}\n  a: {{ x | to_json }}\n{% endmacro %}\n{{ m(1) }}\n",
    "Log_Level {{ level | triptrip.platform.single_line }}\n",
])
def test_the_rule_passes_serialised_values(source):
    assert unserialised(source) == []
