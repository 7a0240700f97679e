"""triptrip.platform.eks_endpoint_window: the exact requests that open and close the public endpoint (Stubber), and
the watcher closing it against a real moto server once the run that opened it has ended."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_endpoint_window

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "integration"))
from localplatform import free_port, start_moto  # noqa: E402 - moto as scripts/localenv starts it

NAME = "triptrip-development"
PRIVATE = {"subnetIds": ["subnet-a"], "endpointPrivateAccess": True, "endpointPublicAccess": False}
OPEN = {**PRIVATE, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.7/32"]}


def cluster(vpc):
    return {"cluster": {"name": NAME, "arn": f"arn:aws:eks:ap-northeast-1:123456789012:cluster/{NAME}",
                        "status": "ACTIVE", "resourcesVpcConfig": vpc}}


def update(status="InProgress"):
    return {"update": {"id": "u-1", "status": status, "type": "EndpointAccessUpdate"}}


def test_open_sends_the_runner_cidrs_only_and_waits_for_the_update(run_module, eks, no_backoff_wait, monkeypatch):
    client, stubber = eks
    started = []
    monkeypatch.setattr(eks_endpoint_window, "start_watcher", lambda _m, cidrs: started.append(cidrs) or 4242)
    stubber.add_response("describe_cluster", cluster(PRIVATE), {"name": NAME})
    stubber.add_response("update_cluster_config", update(), {"name": NAME, "resourcesVpcConfig": {
        "endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.7/32"]}})
    stubber.add_response("describe_update", update("Successful"), {"name": NAME, "updateId": "u-1"})
    result, failed = run_module(eks_endpoint_window, {"name": NAME, "public_access_cidrs": ["203.0.113.7/32"]},
                                client, EKS_RETRY)
    assert not failed, result
    assert result["changed"] is True and result["public_access"] is True and result["watcher_pid"] == 4242
    assert result["diff"] == {"before": {"public_access": False, "public_access_cidrs": []},
                              "after": {"public_access": True, "public_access_cidrs": ["203.0.113.7/32"]}}
    assert started == [["203.0.113.7/32"]]


def test_open_when_open_changes_nothing_but_still_watches(run_module, eks, monkeypatch):
    client, stubber = eks
    monkeypatch.setattr(eks_endpoint_window, "start_watcher", lambda _m, cidrs: 4242)
    stubber.add_response("describe_cluster", cluster(OPEN), {"name": NAME})
    result, failed = run_module(eks_endpoint_window, {"name": NAME, "public_access_cidrs": ["203.0.113.7/32"]},
                                client, EKS_RETRY)
    assert not failed and result["changed"] is False and result["watcher_pid"] == 4242


def test_check_mode_plans_without_a_call_or_a_watcher(run_module, eks, monkeypatch):
    client, stubber = eks
    monkeypatch.setattr(eks_endpoint_window, "start_watcher", lambda *_a: pytest.fail("no watcher in check mode"))
    stubber.add_response("describe_cluster", cluster(PRIVATE), {"name": NAME})
    result, failed = run_module(eks_endpoint_window, {"name": NAME, "public_access_cidrs": ["203.0.113.7/32"],
                                                      "_ansible_check_mode": True}, client, EKS_RETRY)
    assert not failed and result["changed"] is True


def test_close_turns_the_public_endpoint_off(run_module, eks, no_backoff_wait):
    client, stubber = eks
    stubber.add_response("describe_cluster", cluster(OPEN), {"name": NAME})
    stubber.add_response("update_cluster_config", update("Successful"), {"name": NAME, "resourcesVpcConfig": {
        "endpointPrivateAccess": True, "endpointPublicAccess": False}})
    result, failed = run_module(eks_endpoint_window, {"name": NAME, "state": "closed"}, client, EKS_RETRY)
    assert not failed and result["changed"] is True and result["public_access"] is False


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["203.0.113.7/32", "::/0"]])
def test_open_to_nobody_or_everybody_is_refused_before_any_call(run_module, eks, cidrs):
    client, _stubber = eks
    result, failed = run_module(eks_endpoint_window, {"name": NAME, "public_access_cidrs": cidrs}, client, EKS_RETRY)
    assert failed and "runner's egress CIDRs only" in result["msg"]


def test_a_failed_update_fails_the_task(run_module, eks, no_backoff_wait):
    client, stubber = eks
    stubber.add_response("describe_cluster", cluster(OPEN), {"name": NAME})
    stubber.add_response("update_cluster_config", update(), {"name": NAME, "resourcesVpcConfig": {
        "endpointPrivateAccess": True, "endpointPublicAccess": False}})
    stubber.add_response("describe_update", update("Failed"), {"name": NAME, "updateId": "u-1"})
    result, failed = run_module(eks_endpoint_window, {"name": NAME, "state": "closed"}, client, EKS_RETRY)
    assert failed and "ended Failed" in result["msg"]


@pytest.fixture(scope="module")
def moto_port(root, tool_env, tmp_path_factory):
    """The patched moto server as its own process, as scripts/localenv starts it."""
    port = free_port(24900)
    for _server in start_moto(root, tool_env, tmp_path_factory, port, "endpoint-window"):
        yield port


def test_the_watcher_closes_the_endpoint_once_the_run_has_ended(moto_port, monkeypatch):
    """The watcher's own code against the patched moto server: it waits while the run lives, then closes; and it
    leaves alone an endpoint that a later run opened to other CIDRs."""
    url = f"http://127.0.0.1:{moto_port}"
    eks = boto3.client("eks", region_name="ap-northeast-1", endpoint_url=url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    eks.create_cluster(name=NAME, roleArn="arn:aws:iam::123456789012:role/r", resourcesVpcConfig={
        "subnetIds": ["subnet-a"], "endpointPrivateAccess": True, "endpointPublicAccess": False})
    eks.update_cluster_config(name=NAME, resourcesVpcConfig={"endpointPublicAccess": True,
                                                             "publicAccessCidrs": ["203.0.113.7/32"]})

    def public():
        return eks.describe_cluster(name=NAME)["cluster"]["resourcesVpcConfig"]["endpointPublicAccess"]

    run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(4)"])  # the run that opened it
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    class Module:
        params = {"name": NAME, "endpoint_url": url, "wait_timeout": 60}
        region = "ap-northeast-1"

        @staticmethod
        def run_command(args, environ_update, check_rc, expand_user_and_vars):
            """AnsibleModule.run_command as start_watcher calls it: it waits for the end of the output."""
            assert check_rc and not expand_user_and_vars
            res = subprocess.run(args, env={**os.environ, **environ_update}, capture_output=True, text=True,
                                 check=True, timeout=10)
            return res.returncode, res.stdout, res.stderr

    monkeypatch.setattr(eks_endpoint_window, "run_pid", lambda: run.pid)
    watcher = waiter(eks_endpoint_window.start_watcher(Module, ["203.0.113.7/32"]))
    assert run.poll() is None, "start_watcher returned only when the watcher ended, after the run"
    time.sleep(2)
    assert public() is True  # the run still goes on
    run.wait()
    deadline = time.monotonic() + 30
    while public():
        assert time.monotonic() < deadline, "the watcher did not close the endpoint within 30 s of the run's end"
        time.sleep(0.5)
    watcher()
    eks.update_cluster_config(name=NAME, resourcesVpcConfig={"endpointPublicAccess": True,
                                                             "publicAccessCidrs": ["198.51.100.9/32"]})
    waiter(eks_endpoint_window.start_watcher(Module, ["203.0.113.7/32"]))()  # its run is gone already
    assert public() is True


def waiter(pid, timeout=30):
    """A function that waits for the watcher `pid` to end, failing after `timeout` seconds. The launcher that forked
    it has ended, so it is not our child: it has ended when it is gone or a zombie of whoever adopted it."""
    def wait():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                    if handle.read().rsplit(") ", 1)[-1].split()[0] == "Z":
                        return
            except FileNotFoundError:
                return
            time.sleep(0.2)
        raise AssertionError(f"watcher {pid} still runs after {timeout} s")
    return wait


def test_run_pid_finds_the_outermost_ansible_playbook(tmp_path):
    """A stand-in tree, ansible-playbook -> worker -> module: the module's run is the ansible-playbook process."""
    script = tmp_path / "ansible-playbook"
    script.write_text(f"#!{sys.executable}\nimport subprocess, sys\n"
                      "worker = subprocess.Popen(['sleep', '10'])\nprint(worker.pid, flush=True)\nworker.wait()\n")
    script.chmod(0o755)
    playbook = subprocess.Popen([str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(playbook.stdout.readline())
        assert eks_endpoint_window.run_pid(worker) == playbook.pid
        assert eks_endpoint_window.run_pid() == os.getppid()  # no ansible-playbook above pytest: the parent
    finally:
        playbook.kill()
        playbook.wait()
