"""AWX: no server runs here, so what can be checked without one is: the configuration playbook's syntax, that every
job template names a playbook of this repository and every inventory exists, that the surveys ask for what each
playbook refuses to run without, which credentials the templates get, and that the execution environment uses the
pins of the checkout (the definition, and the build context the real `ansible-builder create` makes from it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ANSIBLE_BUILDER = Path(sys.executable).parent / "ansible-builder"


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
    # (it writes manifests on the controller, for scans and the benchmark), and the delivery workflow (a file an
    # engineer copies into an application repository).
    local_only = {"playbooks/awx_configure.yml", "playbooks/simulate.yml", "playbooks/env_settings.yml",
                  "playbooks/render.yml", "playbooks/delivery_workflow.yml"}
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
    versions = env_versions(root)
    assert f"ARG HELM_VERSION=v{versions['HELM_VERSION']}" in ee["additional_build_steps"]["append_final"]
    assert f"ARG KUBECTL_VERSION=v{versions['KUBE_VERSION']}" in ee["additional_build_steps"]["append_final"]


def test_templates_run_with_the_aws_credential_alone_by_default(root, tool_env, tmp_path):
    # The kubeconfig the AWS play writes runs `aws eks get-token` with the job's AWS keys: no kubeconfig credential.
    assert job_template_credentials(root, tool_env, tmp_path) == ["triptrip aws"]


def test_a_named_kubeconfig_credential_is_attached_to_the_templates(root, tool_env, tmp_path):
    credentials = job_template_credentials(root, tool_env, tmp_path, awx_kubeconfig_credential="triptrip kubeconfig")
    assert credentials == ["triptrip aws", "triptrip kubeconfig"]


def test_the_kubeconfig_credential_type_remains_for_those_who_bring_their_own(awx):
    kubeconfig = next(t for t in awx["awx_credential_types"] if t["name"] == "TripTrip kubeconfig")
    assert "platform_kubeconfig" in kubeconfig["injectors"]["extra_vars"]


def job_template_credentials(root, tool_env, tmp_path, **extra_vars) -> list[str]:
    """What the job template task of playbooks/awx_configure.yml passes as `credentials`, evaluated by Ansible with
    the playbook's vars file and the given extra vars (the way a user sets the option: -e on the command line)."""
    plays = yaml.safe_load((root / "playbooks/awx_configure.yml").read_text())
    task = next(t for t in plays[0]["tasks"] if "awx.awx.job_template" in t)
    expression = task["awx.awx.job_template"]["credentials"]
    out = tmp_path / "credentials.json"
    probe = [{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars_files": [str(root / "playbooks" / name) for name in plays[0]["vars_files"]],
        "tasks": [{"ansible.builtin.set_fact": {"credentials": expression}},
                  {"ansible.builtin.copy": {"dest": str(out), "content": "{{ credentials | to_json }}",
                                            "mode": "0600"}}],
    }]
    (tmp_path / "probe.yml").write_text(yaml.safe_dump(probe))
    res = subprocess.run(["ansible-playbook", str(tmp_path / "probe.yml"), "-e", json.dumps(extra_vars)], cwd=root,
                         env=tool_env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(out.read_text())


def env_versions(root) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (root / "localenv/versions.env").read_text().splitlines()
                if "=" in line and not line.startswith("#"))


def pins(text: str) -> dict[str, str]:
    """name -> version of a pip requirements or constraints text; every requirement must be an exact pin."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[\w,-]+\])?==([A-Za-z0-9._+-]+)", line)
            assert match, f"not an exact pin: {line}"
            out[match.group(1).lower()] = match.group(2)
    return out


@pytest.fixture(scope="module")
def ee_context(root, tmp_path_factory):
    """The build context of the real `ansible-builder create` (no container engine needed), from the checkout."""
    context = tmp_path_factory.mktemp("ee") / "context"
    res = subprocess.run([str(ANSIBLE_BUILDER), "create", "-f", "execution-environment.yml", "-c", str(context),
                          "--output-filename", "Containerfile"], cwd=root, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return context


def stage(containerfile: str, name: str) -> str:
    """The lines of one build stage (`FROM ... AS <name>` up to the next FROM)."""
    return re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", containerfile, re.S | re.M).group(1)


def test_the_built_image_starts_from_a_pinned_base(root, ee_context):
    containerfile = (ee_context / "Containerfile").read_text()
    image = re.search(r'^ARG EE_BASE_IMAGE="([^"]+)"$', containerfile, re.M).group(1)
    ee = yaml.safe_load((root / "execution-environment.yml").read_text())
    assert image == ee["images"]["base_image"]["name"]
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    reference = image.rsplit("/", 1)[1]
    named, _at, digest = reference.partition("@")
    tag = named.partition(":")[2]
    assert tag != "latest", image
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest) or re.fullmatch(r"\d[\w.-]*", tag), image


def test_the_built_image_installs_the_runtime_pins_under_the_constraints(root, ee_context):
    constraints = pins((root / "requirements/constraints.txt").read_text())
    requirements = pins((ee_context / "_build/requirements.txt").read_text())
    assert requirements == pins((root / "requirements/runtime.txt").read_text())
    assert requirements["awscli"] == constraints["awscli"]
    for name in ("boto3", "botocore", "kubernetes", "netaddr"):
        assert name in requirements, name
    for name, version in requirements.items():
        assert constraints.get(name) == version, (name, version, constraints.get(name))
    # The constraints file is in the context and the builder stage (which resolves and builds every wheel the final
    # stage installs) runs pip under it.
    assert (ee_context / "_build/configs/constraints.txt").read_text() == \
        (root / "requirements/constraints.txt").read_text()
    builder = stage((ee_context / "Containerfile").read_text(), "builder")
    assert "COPY _build/configs/constraints.txt /tmp/constraints.txt" in builder
    assert builder.index("ENV PIP_CONSTRAINT=/tmp/constraints.txt") < builder.index("RUN /output/scripts/assemble")


def test_the_built_image_installs_the_pinned_collections(root, ee_context):
    wanted = yaml.safe_load((root / "collections/requirements.yml").read_text())["collections"]
    built = yaml.safe_load((ee_context / "_build/requirements.yml").read_text())["collections"]
    assert {c["name"]: c["version"] for c in built} == {c["name"]: c["version"] for c in wanted}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", c["version"]) for c in built), built
    galaxy = stage((ee_context / "Containerfile").read_text(), "galaxy")
    assert re.search(r"ansible-galaxy collection install .*-r requirements\.yml", galaxy)


def test_the_built_image_pins_ansible_core_as_the_checkout(root, ee_context):
    containerfile = (ee_context / "Containerfile").read_text()
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]+)"$', containerfile, re.M).group(1).split()
    requirements = pins((root / "requirements/requirements.txt").read_text())
    assert f"ansible-core=={requirements['ansible-core']}" in refs
    assert pins((root / "requirements/constraints.txt").read_text())["ansible-core"] == requirements["ansible-core"]


# tool, its ARG, its key in localenv/versions.env, the release URL, its published SHA-256 file, the install step.
DOWNLOADED_TOOLS = {
    "kubectl": ("KUBECTL_VERSION", "KUBE_VERSION",
                "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/amd64/kubectl",
                "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/amd64/kubectl.sha256",
                "install -m 0755 /tmp/kubectl /usr/local/bin/kubectl"),
    "helm": ("HELM_VERSION", "HELM_VERSION",
             "https://get.helm.sh/helm-${HELM_VERSION}-linux-amd64.tar.gz",
             "https://get.helm.sh/helm-${HELM_VERSION}-linux-amd64.tar.gz.sha256sum",
             "install -m 0755 /tmp/linux-amd64/helm /usr/local/bin/helm"),
}


@pytest.mark.parametrize("tool", sorted(DOWNLOADED_TOOLS))
def test_the_built_image_installs_kubectl_and_helm_at_the_local_versions_checked(root, ee_context, tool):
    arg, version_key, url, checksum, install = DOWNLOADED_TOOLS[tool]
    final = stage((ee_context / "Containerfile").read_text(), "final")
    version = env_versions(root)[version_key]
    assert re.findall(rf"^ARG {arg}=(\S+)$", final, re.M) == [f"v{version}"], tool
    run = next(line for line in final.splitlines() if line.startswith("RUN ") and f"/usr/local/bin/{tool}" in line)
    assert final.index(f"ARG {arg}=") < final.index(run)
    # One RUN, `&&`-chained: download the release and its SHA-256 file, check the one against the other, install.
    steps = [step.strip() for step in run.removeprefix("RUN ").split("&&")]

    def fetched(source):
        return next((i, m.group(1)) for i, step in enumerate(steps)
                    if (m := re.fullmatch(rf"curl -\w*o (\S+) {re.escape(source)}", step)))

    (download, file), (digest, digest_file) = fetched(url), fetched(checksum)
    check = next(i for i, step in enumerate(steps) if step.endswith("| sha256sum -c -")
                 and digest_file in step and step.split("|")[0].rstrip().endswith(f' {file}"'))
    installed = steps.index(install)
    assert max(download, digest) < check < installed, steps
    if tool == "kubectl":  # the cluster's minor: kubectl supports one minor of skew, the same minor is the rule
        eks = yaml.safe_load((root / "group_vars/all/platform.yml").read_text())["platform_eks_version"]
        assert version.rsplit(".", 1)[0] == str(eks)
