"""One local platform for every add-on test: site.yml converged once on the local inventory (moto, the real
control plane, kwok nodes, the test-double charts of tests/charts in the chart mirror), then read back."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from localplatform import start_platform  # noqa: E402


class Addons:
    """The converged platform: run playbooks against it and read it back with helm and kubectl."""

    def __init__(self, root: Path, env: dict, state: Path):
        self.root, self.env, self.state = root, env, state
        self.first_run = None  # the CompletedProcess of the first converge
        self.first_run_seconds = None

    def playbook(self, *args: str, playbook: str = "site.yml") -> subprocess.CompletedProcess:
        return subprocess.run(["ansible-playbook", playbook, "-i", "inventories/local", *args],
                              env=self.env, cwd=self.root, capture_output=True, text=True, check=False)

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["kubectl", *args], env=self.env, input=stdin, capture_output=True, text=True,
                              check=False)

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict:
        """One object as the API server returns it; fails the test when it does not exist."""
        res = self.kubectl("get", kind, name, *(["-n", namespace] if namespace else []), "-o", "json")
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    def exists(self, kind: str, name: str, namespace: str | None = None) -> bool:
        res = self.kubectl("get", kind, name, *(["-n", namespace] if namespace else []), "--ignore-not-found",
                           "-o", "name")
        return bool(res.stdout.strip())

    def helm(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["helm", *args], env=self.env, capture_output=True, text=True, check=False)

    def releases(self) -> dict[str, dict]:
        """helm list -A, by release name."""
        res = self.helm("list", "-A", "-o", "json")
        assert res.returncode == 0, res.stderr
        return {r["name"]: r for r in json.loads(res.stdout)}

    def aws(self, service: str):
        """A boto3 client of the platform's moto server (the local AWS)."""
        import boto3  # noqa: PLC0415 - only the tests that read AWS need it

        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self.env['TRIPTRIP_MOTO_PORT']}",
                            region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")

    def credentials(self, namespace: str, account: str) -> dict:
        """How a service account gets AWS credentials: its IRSA annotation (empty when none) and the role of its EKS
        Pod Identity association (empty when none)."""
        annotations = self.get("serviceaccount", account, namespace)["metadata"].get("annotations") or {}
        eks = self.aws("eks")
        found = eks.list_pod_identity_associations(clusterName="triptrip-local", namespace=namespace,
                                                   serviceAccount=account)["associations"]
        role = eks.describe_pod_identity_association(clusterName="triptrip-local", associationId=found[0]["associationId"]
                                                     )["association"]["roleArn"] if found else ""
        return {"irsa": annotations.get("eks.amazonaws.com/role-arn", ""), "pod_identity": role}

    def values(self, release: str, namespace: str) -> dict:
        """The values the release received (helm get values)."""
        res = self.helm("get", "values", release, "-n", namespace, "-o", "json")
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout) or {}


def recap(output: str) -> dict[str, int]:
    """The counts of the PLAY RECAP line of the one host."""
    line = next(x for x in output.splitlines() if "ok=" in x and "failed=" in x)
    return {k: int(v) for k, v in (part.split("=") for part in line.split(":", 1)[1].split())}


@pytest.fixture(scope="package")
def addons(root, tool_env, tmp_path_factory):
    for platform in start_platform(root, tool_env, tmp_path_factory, "addons"):
        env = platform["env"]
        obj = Addons(root, env, platform["state"])
        started = time.monotonic()
        obj.first_run = obj.playbook()
        obj.first_run_seconds = time.monotonic() - started
        assert obj.first_run.returncode == 0, obj.first_run.stdout[-5000:]
        yield obj
