"""AWX: no server runs here, so what can be checked without one is: the configuration playbook's syntax, that every
job template names a playbook of this repository and every inventory exists, that the surveys ask for what each
playbook refuses to run without, and that the execution environment uses the pins of the checkout."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml


@pytest.fixture(scope="module")
def awx(root):
    return yaml.safe_load((root / "playbooks/vars/awx.yml").read_text())


def required_variables(playbook_text: str) -> set[str]:
    """Variables a playbook asserts are given: `<name> is defined`, or a confirmation compared with the cluster name
    (`confirm_destroy ==`, `dr_failover_confirm | default('') ==`)."""
    names = {n for n in re.findall(r"(?<![.\w])([a-z_]+) is defined\b", playbook_text) if not n.startswith("_")}
    names |= set(re.findall(r"\b([a-z_]*confirm[a-z_]*)(?: \| default\([^)]*\))? ==", playbook_text))
    return names


def test_the_configuration_playbook_parses(root, tool_env):
    res = subprocess.run(["ansible-playbook", "--syntax-check", "playbooks/awx_configure.yml"], cwd=root, env=tool_env,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def test_every_template_names_a_playbook_of_the_repository(root, awx):
    for template in awx["awx_job_templates"]:
        assert (root / template["playbook"]).is_file(), template


def test_every_operational_playbook_has_a_template(root, awx):
    templated = {t["playbook"] for t in awx["awx_job_templates"]}
    operational = {"site.yml"} | {f"playbooks/{p.name}" for p in (root / "playbooks").glob("*.yml")}
    # Not run from AWX: the AWX configuration itself, the local-only simulation, the settings report and the render
    # (it writes manifests on the controller, for scans and the benchmark).
    local_only = {"playbooks/awx_configure.yml", "playbooks/simulate.yml", "playbooks/env_settings.yml",
                  "playbooks/render.yml"}
    assert operational - local_only <= templated, sorted(operational - local_only - templated)


def test_every_inventory_exists(root, awx):
    for environment in awx["awx_environments"]:
        assert (root / "inventories" / environment / "hosts.yml").is_file(), environment


def test_surveys_ask_for_each_playbooks_required_variables(root, awx):
    for template in awx["awx_job_templates"]:
        text = (root / template["playbook"]).read_text()
        required = required_variables(text)
        if template.get("job_type") == "check":  # a plan: what the playbook waives under --check is not asked
            required -= set(re.findall(r"ansible_check_mode or ([a-z_]+)", text))
        asked = {q["variable"] for q in template.get("survey", []) if q.get("required")}
        assert required <= asked, (template["name"], sorted(required - asked))
        for question in template.get("survey", []):
            assert {"variable", "question_name", "type", "required"} <= question.keys(), question


def test_destroy_and_dr_failover_ask_for_the_cluster_name_and_their_plans_are_check_runs(awx):
    destroy = next(t for t in awx["awx_job_templates"] if t["playbook"] == "playbooks/destroy.yml")
    assert [q["variable"] for q in destroy["survey"]] == ["confirm_destroy"]
    failover = [t for t in awx["awx_job_templates"] if t["playbook"] == "playbooks/dr_failover.yml"]
    assert {t.get("job_type", "run") for t in failover} == {"run", "check"}
    run = next(t for t in failover if t.get("job_type", "run") == "run")
    assert [q["variable"] for q in run["survey"]] == ["dr_failover_confirm"]


def test_the_workflow_runs_provision_then_platform_then_verify(awx):
    names = {t["name"]: t["playbook"] for t in awx["awx_job_templates"]}
    playbooks = [names[n] for n in awx["awx_workflow"]["nodes"]]
    assert playbooks == ["playbooks/aws.yml", "playbooks/cluster.yml", "playbooks/addons.yml", "playbooks/workloads.yml",
                         "playbooks/verify.yml"]


def test_the_execution_environment_uses_the_checkouts_pins(root):
    ee = yaml.safe_load((root / "execution-environment.yml").read_text())
    deps = ee["dependencies"]
    assert deps["galaxy"] == "collections/requirements.yml"
    constraints = dict(line.split("==") for line in (root / "requirements/constraints.txt").read_text().splitlines()
                       if "==" in line and not line.startswith("#"))
    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={constraints['ansible-core']}"
    runtime = [line for line in (root / deps["python"]).read_text().splitlines() if line and not line.startswith("#")]
    for line in runtime:
        name, version = line.split("==")
        assert constraints[name] == version, line
    helm = re.search(r"HELM_VERSION=(\S+)", (root / "localenv/versions.env").read_text()).group(1)
    assert f"ARG HELM_VERSION=v{helm}" in ee["additional_build_steps"]["append_final"]
