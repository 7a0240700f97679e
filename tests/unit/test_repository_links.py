"""Every symbolic link the repository tracks points inside the checkout: a link to a developer's own folders (a
worktree's .tools once was) breaks a clean clone."""

from __future__ import annotations

import os
import subprocess


def test_tracked_links_resolve_inside_the_checkout(root):
    files = subprocess.run(["git", "ls-files", "-s"], cwd=root, capture_output=True, text=True, check=True).stdout
    links = [line.split("\t", 1)[1] for line in files.splitlines() if line.startswith("120000 ")]
    assert links, "the collection link and the platform role's defaults link are expected"
    for link in links:
        target = os.readlink(root / link)
        assert not os.path.isabs(target), (link, target)
        resolved = (root / link).parent.joinpath(target).resolve()
        assert resolved == root.resolve() or root.resolve() in resolved.parents, (link, target)
        assert resolved.exists(), (link, target)
