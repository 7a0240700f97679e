"""Shared pytest set-up: the repo as the collection triptrip.platform, and paths the tests use."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TOOLS_BIN = ROOT / ".tools" / "bin"


def _install_collection_loader() -> None:
    # Import our modules as ansible_collections.triptrip.platform.* the way ansible-core does, through the
    # collections/ link, next to the bundled collections of the pinned ansible package.
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    finder = _AnsibleCollectionFinder(paths=[str(ROOT / "collections")])
    finder._install()  # noqa: SLF001 - the same call ansible-test makes


_install_collection_loader()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tool_env() -> dict[str, str]:
    """Environment for subprocesses: our pinned tools first, the project's ansible.cfg."""
    env = dict(os.environ)
    env["PATH"] = f"{TOOLS_BIN}:{VENV_BIN}:{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    # run_cost: what each playbook run costs, when TRIPTRIP_RUN_COST_FILE is set (tests/integration/conftest.py).
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(ROOT / "tests" / "callback_plugins")
    return env
