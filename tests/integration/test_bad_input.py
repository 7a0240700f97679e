"""Bad input (issue #8): every broken inventory stops in preflight, before any change, naming the variable.

The cases (tests/integration/bad_inputs.py) each break exactly one value of the valid local inventory: wrong types,
unknown keys, impossible sizes, malformed CIDRs and quantities, missing required values, bad choices, versions and
names. For speed they share one inventory, one host per case (host_vars/<case>.yml over a copy of
inventories/local), and one `ansible-playbook site.yml` run; hosts fail independently, so each case is judged on its
own host: its recap must read changed=0 failed=1, its failure must come from the platform role in the first play
(argument spec validation or an assert of roles/preflight/tasks), and the message must name the variable. The copy
points AWS at a closed local port and the kubeconfig at a file that does not exist, so nothing could change even if
preflight let a case through. A control host, unbroken, must pass preflight in a second, preflight-only run.

Each case adds a row to the reliability summary ($TRIPTRIP_SUMMARY_FILE)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from bad_inputs import (CASES, IMPOSSIBLE_SIZE, ISSUE_26_KIND, MALFORMED_CIDR, MALFORMED_QUANTITY, MISSING_REQUIRED,
                        UNKNOWN_KEY, WRONG_TYPE, write_inventory)
from summary import record


SUITE = "bad input"
CONTROL = "control-unbroken"
PREFLIGHT_PLAY = "Validate the inventory before any change"
PLATFORM_TASK = "triptrip.platform.preflight : "
PLAY = re.compile(r"^PLAY \[(?P<name>.*)\] \*+$")
TASK = re.compile(r"^TASK \[(?P<name>.*)\] \*+$")
# fatal: [host]: FAILED! => {...}   or, for a loop, one line per failed item: failed: [host] (item=x) => {...}
FAILURE = re.compile(r"^(?:fatal|failed): \[(?P<host>[^\]]+)\].*? => (?P<result>\{.*\})$")
RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
                   r"failed=(?P<failed>\d+)")


@dataclass
class Failure:
    play: str
    task: str
    message: str


@dataclass
class Run:
    returncode: int
    stdout: str
    seconds: float
    recaps: dict[str, dict[str, int]]
    failures: dict[str, list[Failure]]


def parse(returncode: int, stdout: str, seconds: float) -> Run:
    play = task = ""
    recaps: dict[str, dict[str, int]] = {}
    failures: dict[str, list[Failure]] = {}
    for line in stdout.splitlines():
        if match := PLAY.match(line):
            play = match["name"]
        elif match := TASK.match(line):
            task = match["name"]
        elif match := FAILURE.match(line):
            result = json.loads(match["result"])
            # Argument spec validation lists each error; an assert gives its fail_msg.
            message = "; ".join(result.get("argument_errors") or [str(result.get("msg", ""))])
            failures.setdefault(match["host"], []).append(Failure(play, task, message))
        elif match := RECAP.match(line):
            recaps[match["host"]] = {k: int(match[k]) for k in ("changed", "unreachable", "failed")}
    return Run(returncode, stdout, seconds, recaps, failures)


def playbook(root, env, inventory, playbook_path: str, *args: str) -> Run:
    start = time.monotonic()
    res = subprocess.run(["ansible-playbook", playbook_path, "-i", str(inventory), *args], cwd=root, env=env,
                         capture_output=True, text=True, check=False, timeout=600)
    return parse(res.returncode, res.stdout + res.stderr, time.monotonic() - start)


@pytest.fixture(scope="module")
def inventory(root, tmp_path_factory):
    return write_inventory(root, tmp_path_factory.mktemp("bad-input") / "inventory", CASES, control=CONTROL)


@pytest.fixture(scope="module")
def site_run(root, tool_env, inventory) -> Run:
    """site.yml once, over every broken host (the control host is left out)."""
    return playbook(root, tool_env, inventory, "site.yml", "--limit", f"all:!{CONTROL}")


def snippet(message: str, variable: str) -> str:
    """The part of the message around the variable, for the summary."""
    at = max(message.find(variable), 0)
    start = 0 if at < 60 else at - 20
    return message[start:start + 160]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_broken_inventory_stops_in_preflight_naming_the_variable(site_run, case):
    recap = site_run.recaps.get(case.id)
    failures = site_run.failures.get(case.id, [])
    first = failures[0] if failures else Failure("", "", "")
    held = (recap == {"changed": 0, "unreachable": 0, "failed": 1} and first.play == PREFLIGHT_PLAY
            and first.task.startswith(PLATFORM_TASK) and case.variable in first.message and case.shows in first.message)
    record(SUITE, case.id, f"{case.category}: {case.tried}", held,
           snippet(first.message, case.variable) if failures else f"no failure; recap {recap}")
    assert recap == {"changed": 0, "unreachable": 0, "failed": 1}, recap
    assert failures, f"{case.id} did not fail"
    assert first.play == PREFLIGHT_PLAY, first
    assert first.task.startswith(PLATFORM_TASK), first
    assert case.variable in first.message, first.message
    assert case.shows in first.message, first.message


def test_the_run_stops_before_the_aws_layer(site_run):
    assert site_run.returncode != 0
    assert "PLAY [Build the AWS layer]" not in site_run.stdout, "a host went past preflight"
    assert set(site_run.recaps) == {case.id for case in CASES}, site_run.stdout[-3000:]
    print(f"site.yml over {len(CASES)} broken inventories: {site_run.seconds:.1f} s")


def test_the_unbroken_copy_passes_preflight(root, tool_env, inventory):
    # Each case fails for its own value, not for something the copy of the local inventory broke.
    run = playbook(root, tool_env, inventory, "playbooks/validate.yml", "--limit", CONTROL)
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.recaps == {CONTROL: {"changed": 0, "unreachable": 0, "failed": 0}}


def test_thirty_cases_at_least_and_three_of_each_kind():
    ids = [case.id for case in CASES]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    counts = Counter(case.category for case in CASES)
    for category in (WRONG_TYPE, UNKNOWN_KEY, IMPOSSIBLE_SIZE, MALFORMED_CIDR, MALFORMED_QUANTITY, MISSING_REQUIRED):
        assert counts[category] >= 3, (category, counts)


def test_eighty_careless_or_hostile_inventories_of_issue_26_s_five_kinds():
    """Issue #26 counts the cases by its kinds: at least 80 in all, five of each (the summary lists them by kind)."""
    kinds = Counter(ISSUE_26_KIND[case.category] for case in CASES if case.category in ISSUE_26_KIND)
    for kind, count in sorted(kinds.items()):
        record("bad input by kind (issue #26)", kind, f"{count} broken inventories", count >= 5)
    assert sum(kinds.values()) >= 80, kinds
    assert set(kinds) == {"YAML 1.1", "misspelt key", "impossible combination", "security policy", "injection"}
    assert min(kinds.values()) >= 5, kinds
