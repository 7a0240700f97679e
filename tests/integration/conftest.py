"""Integration tests run in parallel pytest-xdist workers (`make integration`: -n 2 --dist loadscope).

Each test module starts its own local platform on ports and in a state folder of its own (localplatform.py), so
two modules can run side by side. The unit of distribution is the platform: every test of one module, and every
test of the add-on package (one platform shared by its modules through a package fixture), goes to the same
worker, in collection order, because later tests build on what earlier ones did (the add-on package ends with its
lifecycle, rollback and destroy modules)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from summary import table

HERE = Path(__file__).resolve().parent
SUMMARY_OWNED = pytest.StashKey[Path]()


def platform_group(path: Path) -> str:
    """The xdist group of a test file: its package below tests/integration when it has one, else its module."""
    rel = path.resolve().relative_to(HERE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def platform_scope(nodeid: str) -> str:
    """The scope of a test id, as platform_group gives it for the test's file."""
    return platform_group(HERE.parent.parent / nodeid.split("::", 1)[0])


@pytest.hookimpl(optionalhook=True)  # an xdist hook: `pytest -p no:xdist` must not fail on it
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """--dist loadscope, with the platform as the scope: xdist's own scopes are modules (the add-on package's
    modules would start its platform twice), and its loadgroup marks do not reach pytest 9's test ids."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PlatformScheduling(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return platform_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            # Longest platforms first (xdist orders scopes by their number of tests): a long one started last runs
            # alone while the other worker has nothing left to do.
            if not self.ordered:
                queue = sorted(self.workqueue.items(), key=lambda item: scope_rank(item[0]))
                self.workqueue.clear()
                self.workqueue.update(queue)
                self.ordered = True
            super()._assign_work_unit(node)

    return PlatformScheduling(config, log)


# The platforms that take longest, longest first (minutes of one worker in a clean run); the rest follow in
# xdist's order. Only the order of starting depends on it: a stale list makes a run slower, never wrong.
LONGEST_FIRST = ["addons", "test_site_check_mode", "test_aws_production", "test_reliability",
                 "test_aws_batched_reads", "test_simulate", "test_upgrade_and_failover", "test_aws_endpoints",
                 "test_cluster_access", "test_baseline", "test_bad_input"]


def scope_rank(scope: str) -> int:
    return LONGEST_FIRST.index(scope) if scope in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_configure(config: pytest.Config) -> None:
    # The controlling process (or a run without xdist) names the summary file; xdist workers inherit it.
    if not hasattr(config, "workerinput") and "TRIPTRIP_SUMMARY_FILE" not in os.environ:
        handle, path = tempfile.mkstemp(prefix="triptrip-summary-", suffix=".jsonl")
        os.close(handle)
        os.environ["TRIPTRIP_SUMMARY_FILE"] = path
        config.stash[SUMMARY_OWNED] = Path(path)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    path = Path(os.environ.get("TRIPTRIP_SUMMARY_FILE", "/nonexistent"))
    lines = table(path)
    if lines:
        terminalreporter.section("reliability and security summary (issue #8)")
        for line in lines:
            terminalreporter.write_line(line)
    owned = config.stash.get(SUMMARY_OWNED, None)
    if owned is not None:
        owned.unlink(missing_ok=True)
