"""Fault injection (issue #8, item 1) on a local platform of its own: the Kubernetes API going away in the middle
of a run, AWS throttling within and past our retry budget, and moto losing its state between two runs.

The module works on the AWS layer and the cluster baseline (`site.yml --tags aws,cluster`): they are what each
fault touches, and they converge in about a minute. The tests run in order and build on each other: the first
converges the baseline through a proxy that cuts the API, the next two build the AWS layer through a throttling
proxy, the last restarts moto under both layers.

What "deletes nothing" and "does not touch the Kubernetes side" mean is read from the API server's audit log
(scripts/localenv writes every write request's metadata to logs/audit.log): the writes our runs make carry the
admin user of the local kubeconfig."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from bad_inputs import CASES, INJECTION, write_inventory
from faultproxy import CuttingProxy, ThrottlePlan, ThrottlingProxy
from localplatform import PORT_BASES, changed_tasks, listening, start_platform
from summary import record

PORTS = PORT_BASES["reliability"]
CUT_PORT = PORTS["TRIPTRIP_MOTO_PORT"] + 500  # 18600
THROTTLE_PORT = PORTS["TRIPTRIP_MOTO_PORT"] + 501
ADMIN = "triptrip-local-admin"  # the user of the local kubeconfig (scripts/localenv)
# The budget given to the run that is throttled past it (platform_aws_env_base, standard retry mode; the inventories'
# default is 10): botocore's standard mode sleeps up to 2**attempt seconds between attempts, so a budget of 10 spends
# about a minute asleep here, and a smaller one shows the same thing, that the run keeps to the budget it is given.
AWS_MAX_ATTEMPTS = 4
RECAP = re.compile(r"triptrip-local\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@pytest.fixture(scope="module")
def platform(root, tool_env, tmp_path_factory):
    yield from start_platform(root, tool_env, tmp_path_factory, "reliability")


def run(root, platform, *args, env=None, playbook="site.yml"):
    res = subprocess.run(["ansible-playbook", playbook, "-i", "inventories/local", *args],
                         env={**platform["env"], **(env or {})}, cwd=root, capture_output=True, text=True,
                         check=False)
    with open(platform["state"] / "logs" / "runs.log", "a") as log:  # every run's output, for a failure's reader
        log.write(f"=== {' '.join(args)}\n{res.stdout}\n")
    m = RECAP.search(res.stdout)
    assert m, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(m.group(2)), "unreachable": int(m.group(3)), "failed": int(m.group(4))}


def audit_mark(platform) -> int:
    log = platform["state"] / "logs" / "audit.log"
    return log.stat().st_size if log.exists() else 0


def audit_writes(platform, since: int) -> list[dict]:
    """The write requests our admin user made since the mark: verb, resource, namespace/name, answer code."""
    with open(platform["state"] / "logs" / "audit.log", "rb") as log:
        log.seek(since)
        return writes_of(log.read().splitlines())


def writes_of(lines: list[bytes]) -> list[dict]:
    events = [json.loads(line) for line in lines if line.strip()]
    return [{"verb": e["verb"], "resource": e["objectRef"].get("resource"),
             "name": f"{e['objectRef'].get('namespace', '')}/{e['objectRef'].get('name', '')}",
             "code": e.get("responseStatus", {}).get("code")}
            for e in events if e["user"]["username"] == ADMIN and "objectRef" in e]


def failed_task(output: str) -> tuple[str, str]:
    """(task name, fatal line) of the first failure in the default callback's output."""
    task = ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[6:].split("] ", 1)[0]
        elif line.startswith("fatal: "):
            return task, line
    return "", ""


OUR_KINDS = ("namespaces,resourcequotas,limitranges,networkpolicies,serviceaccounts,roles,rolebindings,"
             "clusterroles,clusterrolebindings,storageclasses,priorityclasses,runtimeclasses")


def versions(platform) -> dict[str, str]:
    """kind/namespace/name -> resourceVersion of every object of the kinds the baseline manages."""
    res = subprocess.run(["kubectl", "get", OUR_KINDS, "-A", "-o", "json"], env=platform["env"], capture_output=True,
                         text=True, check=True)
    return {f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
            for o in json.loads(res.stdout)["items"]}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def proxied_kubeconfig(platform, port: int) -> Path:
    config = yaml.safe_load(Path(platform["env"]["KUBECONFIG"]).read_text())
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    path = platform["state"] / "kubeconfig-through-proxy"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def cut_inside_the_baseline(proxy, platform, mark, resource="resourcequotas"):
    """Cut the API (open connections closed, new ones refused) as soon as the audit log shows our first write of
    `resource`: the run is then inside the baseline's one apply stream (playbooks/cluster.yml sends the namespaces,
    then the quotas, ... as one list), with the namespaces written and the rest still to come."""
    stop = threading.Event()

    def watch():
        # The log is read on from where the last look stopped: a look stays short however long the log grows.
        deadline, offset, partial = time.monotonic() + 600, mark, b""
        while not stop.is_set() and time.monotonic() < deadline:
            with open(platform["state"] / "logs" / "audit.log", "rb") as log:
                log.seek(offset)
                chunk = log.read()
            offset += len(chunk)
            *lines, partial = (partial + chunk).split(b"\n")
            if any(w["resource"] == resource for w in writes_of(lines)):
                proxy.cut()
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return stop, watcher


def test_api_dropping_mid_run_fails_clearly_deletes_nothing_and_a_rerun_converges(root, platform):
    kubeconfig = proxied_kubeconfig(platform, CUT_PORT)
    # Each chunk a client sends waits 50 ms in the proxy: the watcher's cut lands inside the stream even on a machine
    # busy with other suites (CI once saw the whole stream end before a cut without it).
    proxy = CuttingProxy(PORTS["TRIPTRIP_APISERVER_PORT"], CUT_PORT, allow=1000, delay=0.05)
    mark = audit_mark(platform)
    stop, watcher = cut_inside_the_baseline(proxy, platform, mark)
    try:
        # The kubeconfig reaches the API server through the cutting proxy, an endpoint EKS does not describe.
        res, recap = run(root, platform, "--tags", "cluster", "-e", f"platform_kubeconfig={kubeconfig}",
                         "-e", "platform_eks_target_check=false")
    finally:
        stop.set()
        watcher.join(timeout=5)
        proxy.close()
    writes = audit_writes(platform, mark)
    task, fatal = failed_task(res.stdout)
    deletes = [w for w in writes if w["verb"] in ("delete", "deletecollection")]
    # Mid-stream: some quotas written, the StorageClass and PriorityClasses (the list's end) not yet.
    written = {w["resource"] for w in writes if w["verb"] == "patch"}
    mid_stream = "resourcequotas" in written and not written & {"storageclasses", "priorityclasses"}
    held = (res.returncode != 0 and recap["failed"] == 1 and mid_stream
            and f"127.0.0.1:{CUT_PORT}" in fatal and not deletes and any(w["verb"] == "patch" for w in writes))
    record("faults", "api-drop", "the API cut inside the baseline's apply stream, after its first quota", held,
           f"failed in {task}: {fatal[:100]}; writes before the cut: {len(writes)}, deletes: {len(deletes)}")
    assert res.returncode != 0 and recap["failed"] == 1, res.stdout[-3000:]
    assert mid_stream, sorted(written)  # the run was inside the baseline's stream when the API went away
    # A clear message: the API server it lost, that nothing was deleted, what to do (triptrip.platform.k8s_objects).
    assert f"The Kubernetes API server https://127.0.0.1:{CUT_PORT} could not be reached" in fatal, (task, fatal)
    assert "Nothing was deleted" in fatal and "Rerun the same command" in fatal, (task, fatal)
    assert any(w["verb"] == "patch" for w in writes), writes  # it had applied some objects ...
    assert deletes == [], deletes  # ... and deleted nothing

    # The reruns reach the API server directly, with the same admin kubeconfig: this account has no AWS layer yet.
    direct = ["-e", f"platform_kubeconfig={platform['env']['KUBECONFIG']}", "-e", "platform_eks_target_check=false"]
    mark = audit_mark(platform)
    res, recap = run(root, platform, "--tags", "cluster", *direct)
    assert recap["failed"] == 0 and recap["changed"] > 0, res.stdout[-3000:]
    deletes = [w for w in audit_writes(platform, mark) if w["verb"] in ("delete", "deletecollection")]
    assert deletes == [], deletes
    res, recap = run(root, platform, "--tags", "cluster", *direct)
    record("faults", "api-drop-rerun", "rerun after the cut, then a third run", recap["changed"] == 0,
           f"third run changed={recap['changed']}")
    assert recap == {"changed": 0, "unreachable": 0, "failed": 0}, changed_tasks(res.stdout)


# One operation of each wire protocol, each throttled 3 times before moto answers: EC2 (query, the code
# RequestLimitExceeded), IAM (query, Throttling), KMS (JSON, ThrottlingException), EKS (REST, ThrottlingException).
WITHIN_BUDGET = {"DescribeVpcs": 3, "GetRole": 3, "ListAliases": 3, "GET /clusters/triptrip-local": 3}


def test_aws_throttling_within_the_retry_budget_is_ridden_out_with_backoff(root, platform):
    proxy = ThrottlingProxy(PORTS["TRIPTRIP_MOTO_PORT"], THROTTLE_PORT, ThrottlePlan(per_operation=WITHIN_BUDGET))
    try:
        # The AWS layer alone: tokens signed through this proxy name it as their STS, which the local authenticator,
        # like EKS's, does not accept.
        res, recap = run(root, platform, env={"TRIPTRIP_MOTO_PORT": str(THROTTLE_PORT)}, playbook="playbooks/aws.yml")
    finally:
        proxy.close()
    seen = {op: proxy.attempts(op) for op in WITHIN_BUDGET}
    held = recap["failed"] == 0 and all(len(a) > 3 and not a[3].throttled for a in seen.values())
    record("faults", "aws-throttle-within", "3 throttles on each of DescribeVpcs, GetRole, ListAliases, "
           "DescribeCluster", held, f"failed={recap['failed']}, attempts {({k: len(v) for k, v in seen.items()})}")
    assert recap["failed"] == 0 and recap["changed"] > 0, res.stdout[-3000:]
    for op, attempts in seen.items():
        # The first three answered with throttling, the fourth went through; each retry waited (backoff).
        assert [a.throttled for a in attempts[:4]] == [True, True, True, False], (op, attempts)
        gaps = [b.at - a.at for a, b in zip(attempts[:3], attempts[1:4])]
        assert all(g > 0 for g in gaps) and sum(gaps) > 0.05, (op, gaps)
    res, recap = run(root, platform, playbook="playbooks/aws.yml")
    assert recap == {"changed": 0, "unreachable": 0, "failed": 0}, changed_tasks(res.stdout)


def test_aws_throttling_past_the_retry_budget_fails_cleanly(root, platform):
    # DescribeLogGroups: a JSON-protocol call the no-op always makes, from an amazon.aws module that adds no retry of
    # its own for ThrottlingException (the AWS layer's batched reads made ListAliases, used before, a call of
    # converges only).
    proxy = ThrottlingProxy(PORTS["TRIPTRIP_MOTO_PORT"], THROTTLE_PORT,
                            ThrottlePlan(per_operation={"DescribeLogGroups": -1}))
    budget = {"platform_aws_env_base": {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": str(AWS_MAX_ATTEMPTS)}}
    try:
        res, recap = run(root, platform, "-e", json.dumps(budget), env={"TRIPTRIP_MOTO_PORT": str(THROTTLE_PORT)},
                         playbook="playbooks/aws.yml")
    finally:
        proxy.close()
    attempts = proxy.attempts("DescribeLogGroups")
    fatal = next((line for line in res.stdout.splitlines() if line.startswith("fatal: ")), "")
    after = [r for r in proxy.log if attempts and r.at > attempts[-1].at]
    held = (recap["failed"] == 1 and len(attempts) == AWS_MAX_ATTEMPTS and "ThrottlingException" in fatal
            and not after)
    record("faults", "aws-throttle-past", "DescribeLogGroups throttled every time", held,
           f"attempts={len(attempts)} (AWS_MAX_ATTEMPTS={AWS_MAX_ATTEMPTS}), requests after it: {len(after)}")
    assert recap["failed"] == 1, res.stdout[-3000:]
    # botocore's standard mode tried exactly AWS_MAX_ATTEMPTS times, then the module failed with AWS's error ...
    assert len(attempts) == AWS_MAX_ATTEMPTS, [(a.operation, a.throttled) for a in attempts]
    assert "ThrottlingException" in fatal and "max retries" in fatal.lower(), fatal
    # ... and the run stopped there: no request of any later task reached AWS.
    assert after == [], after


def test_moto_restart_recreates_aws_and_leaves_kubernetes_alone(root, platform):
    pid = int((platform["state"] / "run" / "moto.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while alive(pid):
        assert time.monotonic() < deadline, "moto did not stop"
        time.sleep(0.2)
    assert not listening(PORTS["TRIPTRIP_MOTO_PORT"])
    up = subprocess.run([str(root / "scripts/localenv"), "up"], env=platform["env"], capture_output=True, text=True,
                        check=False)
    assert up.returncode == 0, up.stderr
    before = versions(platform)
    mark = audit_mark(platform)
    res, recap = run(root, platform, "--tags", "aws,cluster")
    after = versions(platform)
    # Server-side apply sends every object again (a patch), and the API server stores nothing when nothing
    # differs: no create, update or delete, and no object of ours got a new resourceVersion.
    writes = [w for w in audit_writes(platform, mark) if w["verb"] != "patch"]
    touched = sorted(k for k in before if after.get(k) != before[k])
    changed = changed_tasks(res.stdout)
    k8s_changed = sorted(t for t in changed if not t.startswith(("aws_", "eks_")))
    held = recap["failed"] == 0 and recap["changed"] > 0 and not k8s_changed and not writes and not touched
    record("faults", "moto-restart", "moto restarted empty under a converged platform", held,
           f"{len(changed)} AWS tasks changed, Kubernetes tasks changed {k8s_changed}, objects touched "
           f"{touched[:3]} of {len(before)}, writes other than no-op applies {writes[:3]}")
    assert recap["failed"] == 0 and recap["changed"] > 0, res.stdout[-3000:]
    assert k8s_changed == [], k8s_changed
    assert writes == [], writes
    assert len(before) > 100 and touched == [], touched
    res, recap = run(root, platform, "--tags", "aws,cluster")
    assert recap == {"changed": 0, "unreachable": 0, "failed": 0}, changed_tasks(res.stdout)


def test_injected_values_write_nothing_to_the_cluster(root, platform, tmp_path):
    """Issue #26: the injection cases (a newline and a YAML document or key in a group, release, namespace, service
    account, subset label, ...) run site.yml against this live platform, AWS and cluster reachable: each is refused
    in preflight and the API server's audit log records no write at all from the run."""
    cases = [case for case in CASES if case.category == INJECTION]
    inventory = write_inventory(root, tmp_path / "inventory", cases, live=True)
    mark = audit_mark(platform)
    res = subprocess.run(["ansible-playbook", "site.yml", "-i", str(inventory)], env=platform["env"], cwd=root,
                         capture_output=True, text=True, check=False, timeout=600)
    recaps = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in re.finditer(
        r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", res.stdout, re.M)}
    writes = audit_writes(platform, mark)
    held = recaps == {case.id: (0, 1) for case in cases} and writes == []
    record("faults", "injection-audit-log", f"{len(cases)} injection cases against the live platform", held,
           f"recaps {sorted(set(recaps.values()))}, {len(writes)} writes in the audit log")
    assert res.returncode != 0
    assert "PLAY [Build the AWS layer]" not in res.stdout, res.stdout[-3000:]
    assert recaps == {case.id: (0, 1) for case in cases}, res.stdout[-3000:]
    assert len(cases) >= 5 and writes == [], writes
