"""The application repositories' workflow (spec 7.3.1) as playbooks/delivery_workflow.yml renders it from the
production inventory: actionlint accepts it (and refuses a broken copy), the build job gets AWS only through the
OIDC role (no access-key secrets), pushes only on a push and only the commit's sha, and each deploy job writes that
one tag into its environment's values file."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def rendered(root, tool_env, tmp_path_factory):
    out = tmp_path_factory.mktemp("delivery")
    res = subprocess.run(["ansible-playbook", "playbooks/delivery_workflow.yml", "-i", "inventories/production",
                          "-e", f"platform_aws_account_id={ACCOUNT}", "-e", f"platform_delivery_workflow_dir={out}"],
                         cwd=root, env=tool_env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return out


def actionlint(tool_env, *paths):
    binary = shutil.which("actionlint", path=tool_env["PATH"])
    assert binary, "actionlint is missing: scripts/setup builds it into .tools/bin"
    return subprocess.run([binary, "-no-color", *map(str, paths)], capture_output=True, text=True, check=False)


def test_one_workflow_per_application_repository(rendered):
    assert sorted(p.parent.name for p in rendered.glob("*/deploy.yaml")) == ["triptrip-api", "triptrip-workers"]


def test_actionlint_accepts_the_rendered_workflows(rendered, tool_env):
    res = actionlint(tool_env, *rendered.glob("*/deploy.yaml"))
    assert res.returncode == 0, res.stdout + res.stderr


def test_actionlint_refuses_a_broken_expression(rendered, tool_env, tmp_path):
    broken = tmp_path / "deploy.yaml"
    text = (rendered / "triptrip-api/deploy.yaml").read_text()
    assert "steps.tag.outputs.tag }}" in text
    broken.write_text(text.replace("${{ steps.tag.outputs.tag }}", "${{ steps.tag.outputs.tag }", 1))
    res = actionlint(tool_env, broken)
    assert res.returncode == 1 and "expression" in res.stdout, res.stdout + res.stderr


def test_the_build_assumes_the_role_through_oidc_and_uses_no_aws_keys(rendered):
    text = (rendered / "triptrip-api/deploy.yaml").read_text()
    assert "secrets.AWS_" not in text and "aws-access-key-id" not in text and "aws-secret-access-key" not in text
    flow = yaml.safe_load(text)
    assert flow["permissions"] == {"contents": "read"}
    build = flow["jobs"]["build"]
    assert build["permissions"] == {"contents": "read", "id-token": "write"}
    steps = {s["name"]: s for s in build["steps"]}
    aws = steps["Configure AWS credentials"]
    assert aws["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert aws["with"]["role-to-assume"] == f"arn:aws:iam::{ACCOUNT}:role/github-actions-triptrip-api"
    assert flow["env"] == {"AWS_REGION": "ap-northeast-1", "ECR_REGISTRY": f"{ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com",
                           "IMAGE_NAME": "triptrip-api"}
    # Pull requests build without credentials or a push.
    assert aws["if"] == steps["Login to Amazon ECR"]["if"] == "github.event_name == 'push'"
    push = steps["Build and push"]["with"]
    assert push["push"] == "${{ github.event_name == 'push' }}"
    # One unique tag (IMMUTABLE repositories refuse a second push of a branch tag), the one the deploy jobs write.
    assert push["tags"] == "${{ env.ECR_REGISTRY }}/${{ env.IMAGE_NAME }}:${{ steps.tag.outputs.tag }}"
    assert build["outputs"] == {"image_tag": "${{ steps.tag.outputs.tag }}"}
    assert "steps.meta.outputs.tags" not in text


def test_each_branch_deploys_its_environment_values_file(rendered):
    flow = yaml.safe_load((rendered / "triptrip-workers/deploy.yaml").read_text())
    assert flow[True] == {"push": {"branches": ["develop", "main"]}, "pull_request": {"branches": ["main"]}}  # `on` is YAML 1.1 true
    for branch, environment in (("develop", "staging"), ("main", "production")):
        job = flow["jobs"][f"deploy-{environment}"]
        assert job["needs"] == "build" and job["environment"] == environment
        assert job["if"] == f"github.event_name == 'push' && github.ref == 'refs/heads/{branch}'"
        update = next(s for s in job["steps"] if s["name"] == "Update image tag")
        assert update["env"] == {"IMAGE_TAG": "${{ needs.build.outputs.image_tag }}"}
        assert update["run"] == f"yq e '.image.tag = strenv(IMAGE_TAG)' -i charts/triptrip-workers/values-{environment}.yaml"
        checkout = job["steps"][0]["with"]
        assert checkout == {"repository": "triptrip/k8s-manifests", "token": "${{ secrets.GH_PAT }}"}


def test_rendering_without_the_account_stops_naming_it(root, tool_env, tmp_path):
    res = subprocess.run(["ansible-playbook", "playbooks/delivery_workflow.yml", "-i", "inventories/production",
                          "-e", f"platform_delivery_workflow_dir={tmp_path}"],
                         cwd=root, env=tool_env, capture_output=True, text=True, check=False)
    assert res.returncode != 0
    assert "platform_aws_account_id" in res.stdout
    assert list(tmp_path.iterdir()) == []
