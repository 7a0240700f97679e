"""Input that holds (issue #25 item 7), end to end without a platform: the preflight (playbooks/validate.yml, which
touches no server) refuses a few of tests/integration/bad_inputs.py's cases in its first check, naming the variable,
while the unbroken copy passes; a survey answer holding template syntax stops destroy.yml before anything reads it,
and every AWX survey's variables are the ones its playbook checks."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

INPUT_TASK = "triptrip.platform.preflight : checks_input | Check the inventory's YAML, keys, types and manifest names"
# One case of each rule (YAML 1.1 numbers, types, unknown keys, manifest names), and the control host.
CASE_IDS = ["yaml-octal-disk-size", "yaml-sexagesimal-timeout", "type-addon-enabled-false-string", "unknown-istio-rotues",
            "unknown-new-node-group-taint", "name-istio-service-newline", "name-priority-value-injection",
            "type-addon-own-enabled-string", "unknown-addon-own-setting", "unknown-addon-own-nested-key"]
# A workload's chart values against the chart's values.schema.json (chart_values_errors), a key misspelt two levels down.
CASE_IDS += ["misspelt-chart-api-autoscaling-max"]
CONTROL = "control-unbroken"
FAILURE = re.compile(r"^(?:fatal|failed): \[(?P<host>[^\]]+)\].*? => (?P<result>\{.*\})$")
TASK = re.compile(r"^TASK \[(?P<name>.*)\] \*+$")
RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=\d+\s+failed=(?P<failed>\d+)")


@pytest.fixture(scope="module")
def bad_inputs(root):
    sys.path.insert(0, str(root / "tests" / "integration"))
    try:
        import bad_inputs as module  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return module


@pytest.fixture(scope="module")
def preflight(root, tool_env, tmp_path_factory, bad_inputs):
    cases = [case for case in bad_inputs.CASES if case.id in CASE_IDS]
    assert sorted(case.id for case in cases) == sorted(CASE_IDS)
    inventory = bad_inputs.write_inventory(root, tmp_path_factory.mktemp("input") / "inventory", cases, control=CONTROL)
    res = subprocess.run(["ansible-playbook", "playbooks/validate.yml", "-i", str(inventory)], cwd=root, env=tool_env,
                         capture_output=True, text=True, check=False, timeout=600)
    task, failures, recaps = "", {}, {}
    for line in res.stdout.splitlines():
        if match := TASK.match(line):
            task = match["name"]
        elif match := FAILURE.match(line):
            failures.setdefault(match["host"], (task, json.loads(match["result"]).get("msg", "")))
        elif match := RECAP.match(line):
            recaps[match["host"]] = (int(match["changed"]), int(match["failed"]))
    return {"cases": cases, "failures": failures, "recaps": recaps, "stdout": res.stdout, "inventory": inventory}


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_each_case_stops_in_the_input_check_naming_the_variable(preflight, case_id):
    case = next(case for case in preflight["cases"] if case.id == case_id)
    assert preflight["recaps"].get(case_id) == (0, 1), preflight["stdout"][-3000:]
    task, message = preflight["failures"][case_id]
    assert task == INPUT_TASK, (task, message)
    assert case.variable in message, message


def test_the_unbroken_copy_passes(preflight):
    assert preflight["recaps"].get(CONTROL) == (0, 0), preflight["stdout"][-3000:]
    assert CONTROL not in preflight["failures"]


def test_the_yaml_case_is_written_unquoted(preflight):
    # The generator writes Plain("0200") as the text a user types: YAML 1.1 reads it back as 128.
    text = (preflight["inventory"] / "host_vars" / "yaml-octal-disk-size.yml").read_text()
    assert "size_gb: 0200" in text
    assert yaml.safe_load(text)["platform_node_groups_overrides"]["general"]["disk"]["size_gb"] == 128


def test_a_survey_answer_with_template_syntax_stops_destroy_before_anything_reads_it(root, tool_env, tmp_path):
    marker = tmp_path / "rendered"
    answer = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    res = subprocess.run(["ansible-playbook", "playbooks/destroy.yml", "-i", "inventories/production", "-e",
                          json.dumps({"confirm_destroy": answer})], cwd=root, env=tool_env, capture_output=True,
                         text=True, check=False, timeout=300)
    assert res.returncode != 0
    assert "TASK [survey_inputs | Refuse template syntax in the run's input]" in res.stdout
    assert 'confirm_destroy=\\"{{ lookup(' in res.stdout and "an input is data, not a template" in res.stdout
    assert re.search(r"triptrip-production\s+: ok=0\s+changed=0\s+unreachable=0\s+failed=1", res.stdout), res.stdout[-2000:]
    assert not marker.exists(), "the answer was rendered"


def test_a_plain_survey_answer_passes_the_input_check(root, tool_env):
    # A wrong but plain name goes on to destroy's own refusal (after the preflight), which changes nothing.
    res = subprocess.run(["ansible-playbook", "playbooks/destroy.yml", "-i", "inventories/production", "-e",
                          "confirm_destroy=triptrip-staging"], cwd=root, env=tool_env, capture_output=True, text=True,
                         check=False, timeout=300)
    assert res.returncode != 0
    assert "Refusing to destroy triptrip-production (production)" in res.stdout, res.stdout[-2000:]
    assert "an input is data" not in res.stdout


def test_every_survey_is_checked_by_its_playbook(root):
    templates = yaml.safe_load((root / "playbooks/vars/awx.yml").read_text())["awx_job_templates"]
    surveyed = {}
    for template in templates:
        if "survey" in template:
            surveyed.setdefault(template["playbook"], set()).update(q["variable"] for q in template["survey"])
    assert surveyed, "no AWX survey found"
    for playbook, variables in surveyed.items():
        plays = yaml.safe_load((root / playbook).read_text())
        first = plays[0]
        checks = [task for task in first.get("pre_tasks", []) if task.get("ansible.builtin.import_tasks") == "tasks/survey_inputs.yml"]
        assert checks, f"{playbook}: its first play has no pre_task importing tasks/survey_inputs.yml"
        assert set(checks[0]["vars"]["survey_inputs"]) == variables, playbook
        assert "always" in checks[0]["tags"], playbook
