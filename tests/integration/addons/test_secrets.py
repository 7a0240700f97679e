"""Secrets never leak (issue #8, item 6): site.yml at -vvv with a test inventory that sets secret values (the
AWS secret key and session token, the manifests repository's password) prints none of them, and no file the
run writes holds one, in plain text or in base64. The password must still reach its Secret, so the test proves
the value went through the run. Every kubeconfig of the platform is 0600.

"Files the run writes": the run's TMPDIR, Ansible's local temp folder, Helm's cache/config/data folders (all
pointed at folders of this test), the platform's state folder and the checkout, each walked for files changed
since the run started."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from localplatform import operator_keys
from summary import record

CANARIES = {
    "aws secret key": "canary-aws-secret-5f1b0c9e7d",
    "aws session token": "canary-aws-session-token-8a2e4471",
    "argocd repo password": "canary-repo-password-c41d93",
}


def forms(value: str) -> list[str]:
    """The value and the base64 forms a Secret or a log could hold it in (at each of the three alignments)."""
    out = [value]
    for shift in range(3):
        encoded = base64.b64encode(("x" * shift + value).encode()).decode()
        out.append(encoded[4 * ((shift + 2) // 3):-4])  # the stable middle of the encoding
    return out


def written_since(roots: list[Path], since: float) -> list[Path]:
    found = []
    for top in roots:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".venv", ".tools", "__pycache__")]
            for name in filenames:
                path = Path(dirpath, name)
                try:
                    if path.is_file() and path.stat().st_mtime >= since:
                        found.append(path)
                except OSError:
                    continue
    return found


@pytest.fixture(scope="module")
def secret_run(addons, root, tmp_path_factory):
    work = tmp_path_factory.mktemp("secrets")
    inventory = work / "inventory"
    shutil.copytree(root / "inventories/local", inventory)
    main = inventory / "group_vars/all/main.yml"
    settings = yaml.safe_load(main.read_text())
    # Keys in the inventory (the operator's key id with secrets of our own; moto checks no signature) reach the AWS
    # modules only, in place of the profile (amazon.aws takes one or the other). The kubeconfig's exec credential
    # signs its tokens with the runner's own credentials, here the operator's keys in the run's environment.
    settings["platform_aws_env"] = {"AWS_ENDPOINT_URL": settings["platform_aws_env"]["AWS_ENDPOINT_URL"],
                                    "AWS_ACCESS_KEY_ID": operator_keys(addons.state)["AWS_ACCESS_KEY_ID"],
                                    "AWS_SECRET_ACCESS_KEY": CANARIES["aws secret key"],
                                    "AWS_SESSION_TOKEN": CANARIES["aws session token"]}
    settings["addon_argocd_repo_credentials"] = {"username": "triptrip-ci", "password": CANARIES["argocd repo password"]}
    main.write_text(yaml.safe_dump(settings, sort_keys=False))
    folders = {name: work / name for name in ("tmp", "ansible-local", "helm-cache", "helm-config", "helm-data")}
    for folder in folders.values():
        folder.mkdir()
    env = {**addons.env, **operator_keys(addons.state), "TMPDIR": str(folders["tmp"]), "ANSIBLE_LOCAL_TEMP": str(folders["ansible-local"]),
           "HELM_CACHE_HOME": str(folders["helm-cache"]), "HELM_CONFIG_HOME": str(folders["helm-config"]),
           "HELM_DATA_HOME": str(folders["helm-data"])}
    started = time.time() - 1
    res = subprocess.run(["ansible-playbook", "site.yml", "-i", str(inventory), "-vvv"], env=env, cwd=root,
                         capture_output=True, text=True, check=False)
    files = written_since([*folders.values(), addons.state, root], started)
    secret = addons.get("secret", "triptrip-manifests-repo", "argocd")
    try:
        yield {"res": res, "files": files, "secret": secret}
    finally:
        # Back to what the local inventory says (no credentials), for the package's later tests.
        addons.kubectl("delete", "secret", "triptrip-manifests-repo", "-n", "argocd", "--ignore-not-found")


def test_secret_values_reach_the_cluster_but_never_the_output_or_files(addons, secret_run):
    res = secret_run["res"]
    assert res.returncode == 0, res.stdout[-4000:]
    data = secret_run["secret"]["data"]
    assert base64.b64decode(data["password"]).decode() == CANARIES["argocd repo password"]
    assert secret_run["secret"]["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "repository"
    output = res.stdout + res.stderr
    assert "ESTABLISH LOCAL CONNECTION FOR USER" in output  # -vvv: module arguments and results are printed
    leaks = []
    for what, value in CANARIES.items():
        for form in forms(value):
            if form in output:
                leaks.append(f"{what} in the output")
            for path in secret_run["files"]:
                try:
                    if form.encode() in path.read_bytes():
                        leaks.append(f"{what} in {path}")
                except OSError:
                    continue
    # What reaching the cluster adds: the EKS tokens the exec credential makes, the secret of the key it signs them
    # with, and the generated kubeconfig (written with no_log; its exec stanza stands for its content: the CA data
    # is public, DescribeCluster returns it to anyone allowed to describe the cluster).
    kubeconfig = yaml.safe_load((addons.state / "triptrip-local.kubeconfig").read_text())
    reach = {"EKS token": "k8s-aws-v1.", "the runner's secret key": operator_keys(addons.state)["AWS_SECRET_ACCESS_KEY"],
             "kubeconfig content": kubeconfig["users"][0]["user"]["exec"]["apiVersion"]}
    leaks += [f"{what} in the output" for what, value in reach.items() if value in output]
    # The one place a token may be: the kubeconfig's token helper's store (the runner's own, like its kubeconfig),
    # a private folder of private files.
    store = addons.state / "eks-tokens"
    kept = [p for p in secret_run["files"] if p.parent == store]
    assert kept and oct(store.stat().st_mode & 0o777) == "0o700", kept
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in kept), kept
    leaks += [f"{what} in {path}" for what, value in list(reach.items())[:2] for path in secret_run["files"]
              if path.is_file() and value.encode() in path.read_bytes()
              and not (what == "EKS token" and path.parent == store)]
    record("secrets", "-vvv run", f"site.yml -vvv with {len(CANARIES)} secret values, tokens and the kubeconfig; output "
           f"{len(output) // 1024} KiB and {len(secret_run['files'])} files written, scanned (plain and base64)",
           not leaks, "; ".join(sorted(set(leaks))) or "no value found")
    assert sorted(set(leaks)) == []


def test_kubeconfig_files_are_private(addons, secret_run):
    configs = [p for p in addons.state.rglob("*kubeconfig*") if p.is_file()]
    configs += [p for p in secret_run["files"] if "kubeconfig" in p.name]
    modes = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in configs}
    held = len(configs) >= 4 and all(m == "0o600" for m in modes.values())
    record("secrets", "kubeconfig modes", "every kubeconfig of the platform and of the run is 0600", held,
           json.dumps(modes)[:150])
    assert held, modes
