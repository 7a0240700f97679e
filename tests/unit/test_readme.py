"""The README stays a five-minute read that starts with the two commands that work on a fresh machine, and its links,
and those of docs/ and bench/JOURNAL.md, lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def documents(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "bench" / "JOURNAL.md"]


def anchors(text: str) -> set[str]:
    # GitHub's heading anchors: lower case, punctuation but hyphens and underscores dropped, spaces to hyphens.
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, re.M)}


def test_the_readme_starts_with_the_two_commands(root):
    readme = (root / "README.md").read_text()
    first = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert first and readme.index(first.group(0)) < readme.index("\n## "), "the commands come before any section"
    assert first.group(1).splitlines() == [
        "make local   # set up, start the local platform, run site.yml against inventories/local",
        "make test    # set up and run every test: yamllint, ansible-lint, ansible-test sanity, pytest, molecule",
    ]


def test_the_readme_has_its_sections(root):
    sections = re.findall(r"^## (.+)$", (root / "README.md").read_text(), re.M)
    for wanted in ("Concepts", "How do I...", "Testing", "Trust model", "Contributing", "Links"):
        assert wanted in sections, f"README has no section {wanted!r}: {sections}"


def test_contributing_asks_for_a_changelog_fragment(root):
    contributing = (root / "README.md").read_text().split("## Contributing", 1)[1].split("\n## ", 1)[0]
    assert "Every change adds a changelog fragment" in contributing
    assert "changelogs/fragments/" in contributing
    assert (root / "changelogs" / "fragments").is_dir()


@pytest.mark.parametrize("name", ["README.md", "docs", "bench/JOURNAL.md"])
def test_relative_links_lead_somewhere(root, name):
    checked = 0
    for document in documents(root):
        if not str(document.relative_to(root)).startswith(name):
            continue
        for target in LINK.findall(document.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _hash, anchor = target.partition("#")
            resolved = (document.parent / path).resolve() if path else document
            assert resolved.exists(), f"{document.relative_to(root)}: {target} does not exist"
            if anchor and resolved.suffix == ".md":
                assert anchor in anchors(resolved.read_text()), f"{document.relative_to(root)}: no #{anchor} in {path}"
            checked += 1
    assert checked, f"{name}: no relative link checked"


def test_every_docs_file_is_linked_from_the_readme(root):
    readme = (root / "README.md").read_text()
    for doc in sorted((root / "docs").glob("*.md")):
        assert f"(docs/{doc.name}" in readme, f"README does not link docs/{doc.name}"
    assert "(bench/JOURNAL.md" in readme
