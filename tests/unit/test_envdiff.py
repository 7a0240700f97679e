"""scripts/envdiff: the differences between two environments, generated from the inventories; the table of
docs/environments.md is its output."""

from __future__ import annotations

import re
import subprocess
import importlib.util
from importlib.machinery import SourceFileLoader

import pytest


@pytest.fixture(scope="module")
def envdiff(root):
    loader = SourceFileLoader("envdiff", str(root / "scripts/envdiff"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("envdiff", loader))
    loader.exec_module(module)
    return module


def run(root, tool_env, *args):
    res = subprocess.run([str(root / "scripts/envdiff"), *args], cwd=root, env=tool_env, capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_the_docs_table_is_the_commands_output(root, tool_env):
    doc = (root / "docs" / "environments.md").read_text()
    shown = re.search(r"<!-- envdiff production staging -->\n(.*?)<!-- /envdiff -->", doc, re.S)
    assert shown, "docs/environments.md has no envdiff table"
    assert shown.group(1) == run(root, tool_env, "production", "staging")


def test_only_differences_unless_all(root, tool_env):
    differences = run(root, tool_env, "production", "dr")
    assert "| `platform_aws_region` | `ap-northeast-1` | `ap-northeast-3` |" in differences
    assert "`platform_eks_version`" not in differences
    everything = run(root, tool_env, "--all", "production", "dr")
    assert "| `platform_eks_version` | `1.35` | `1.35` |" in everything


def test_secret_values_are_masked_and_names_are_not(envdiff):
    assert envdiff.show(".platform_aws_env.AWS_SECRET_ACCESS_KEY", "testing") == "(set)"
    assert envdiff.show(".x.db.password", "hunter2") == "(set)"
    assert envdiff.show(".platform_irsa_roles.external-secrets.secret_prefixes", ["a/"]) == '`["a/"]`'


def test_lists_of_objects_are_keyed_by_their_name(envdiff):
    flat = envdiff.flatten({"subnets": [{"az": "a", "cidr": "10.0.0.0/19"}], "plain": [1, 2]}, "", {})
    assert flat == {".subnets[a].cidr": "10.0.0.0/19", ".plain": [1, 2]}
