"""The changelog is antsibull-changelog's: every change adds a fragment to changelogs/fragments/, changelog.yaml
holds the releases, and CHANGELOG.md is what `antsibull-changelog generate` writes from them (changelogs/config.yaml).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml


def antsibull(args, cwd, tool_env):
    return subprocess.run(["antsibull-changelog", *args], cwd=cwd, env=tool_env, capture_output=True, text=True,
                          check=False)


@pytest.fixture
def copy(root, tmp_path):
    """galaxy.yml and changelogs/ alone: what generate and lint read, so nothing they write lands in the checkout."""
    shutil.copy(root / "galaxy.yml", tmp_path / "galaxy.yml")
    shutil.copytree(root / "changelogs", tmp_path / "changelogs",
                    ignore=shutil.ignore_patterns(".plugin-cache.yaml"))
    return tmp_path


def test_fragments_lint(copy, tool_env):
    res = antsibull(["lint"], copy, tool_env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip() == "", res.stdout


def test_changelog_yaml_lints(copy, tool_env):
    res = antsibull(["lint-changelog-yaml", "changelogs/changelog.yaml"], copy, tool_env)
    assert res.returncode == 0, res.stdout + res.stderr


def test_changelog_md_is_what_generate_writes(root, copy, tool_env):
    res = antsibull(["generate", "--output", str(copy / "CHANGELOG.md"), "--output-format", "md"], copy, tool_env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (root / "CHANGELOG.md").read_text() == (copy / "CHANGELOG.md").read_text(), (
        "CHANGELOG.md is not what `antsibull-changelog generate` writes: run it (or `antsibull-changelog release`)")


def test_the_releases_fragments_are_kept(root):
    # keep_fragments: every fragment a release lists is still in changelogs/fragments/, and every fragment there is
    # either a release's or waiting for the next one.
    changes = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text())
    released = {name for release in changes["releases"].values() for name in release.get("fragments", [])}
    present = {p.name for p in (root / "changelogs" / "fragments").iterdir() if p.suffix in (".yml", ".yaml")}
    assert released, "changelog.yaml lists no fragment"
    assert released <= present, f"fragments a release lists but the folder lacks: {sorted(released - present)}"


def test_a_bad_fragment_fails_the_lint(copy, tool_env):
    # The lint bites: an unknown section, and RST the changelog cannot render.
    (copy / "changelogs" / "fragments" / "bad-section.yml").write_text("---\nnew_stuff:\n  - Something.\n")
    (copy / "changelogs" / "fragments" / "bad-rst.yml").write_text("---\nbugfixes:\n  - A `broken_ reference.\n")
    res = antsibull(["lint"], copy, tool_env)
    assert res.returncode != 0
    assert "bad-section.yml" in res.stdout and "bad-rst.yml" in res.stdout, res.stdout


def test_config_writes_markdown_to_changelog_md(root):
    config = yaml.safe_load((root / "changelogs" / "config.yaml").read_text())
    assert config["output"] == [{"file": "CHANGELOG.md", "format": "md"}]
    assert not Path(root / "CHANGELOG.rst").exists()
