"""Integration fixtures: a real local platform per test module, on ports and in a state folder of its own."""

from __future__ import annotations

import configparser
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

COMPONENT_PORTS = {
    "TRIPTRIP_MOTO_PORT": 100,
    "TRIPTRIP_ETCD_PORT": 379,
    "TRIPTRIP_ETCD_PEER_PORT": 380,
    "TRIPTRIP_APISERVER_PORT": 443,
    "TRIPTRIP_KCM_PORT": 257,
    "TRIPTRIP_SCHEDULER_PORT": 259,
    "TRIPTRIP_KWOK_PORT": 247,
    "TRIPTRIP_AUTHENTICATOR_PORT": 444,
}
# One port range per test module, away from `make local` (29xxx) and molecule (28xxx). All our ports are below
# 32768, outside Linux's ephemeral range, so an outgoing connection can never hold one of them.
PORT_BASES = {
    name: {key: base + offset for key, offset in COMPONENT_PORTS.items()}
    for name, base in {"localenv": 27000, "baseline": 25000, "aws": 23000, "addons": 22000,
                       "simulate": 21000, "upgrade": 19000,
                       "reliability": 18000, "aws_reads": 17000, "aws_endpoints": 20000,
                       "access": 24000, "delivery": 16000, "adopt": 14000, "rollback": 13000}.items()
}
# A developer running one test package while another copy runs elsewhere on the machine can move it, e.g.
# TRIPTRIP_TEST_PORT_BASE_ADDONS=30000 (still below 32768).
for _name in PORT_BASES:
    _base = os.environ.get(f"TRIPTRIP_TEST_PORT_BASE_{_name.upper()}")
    if _base:
        PORT_BASES[_name] = {key: int(_base) + offset for key, offset in COMPONENT_PORTS.items()}


def changed_tasks(output: str) -> set[str]:
    """The tasks that reported changed ("role : name", without the collection prefix), from the default
    callback's output of an ansible-playbook run."""
    found, task = set(), None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[6:].split("] ", 1)[0].replace("triptrip.platform.", "")
        elif line.startswith("changed: ") and task:
            found.add(task)
    return found


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def our_processes(state: Path) -> list[str]:
    """Live processes that run in our state folder (every component's working directory) or name it."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (proc / "stat").read_text().split(") ")[-1].split()[0]
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if (str(state) in cmdline or cwd == str(state)) and status != "Z":
            found.append(cmdline)
    return found


def operator_keys(state: Path) -> dict[str, str]:
    """The access key of the local account's operator (scripts/localenv up), as AWS_* environment variables."""
    parser = configparser.RawConfigParser()
    parser.read(state / "aws" / "credentials", encoding="utf-8")
    return {"AWS_ACCESS_KEY_ID": parser.get("triptrip-local", "aws_access_key_id"),
            "AWS_SECRET_ACCESS_KEY": parser.get("triptrip-local", "aws_secret_access_key")}


def start_platform(root, tool_env, tmp_path_factory, name, extra_env=None):
    """Generator for a module fixture: start the platform (its components' environment with `extra_env` added),
    yield its environment, always stop it."""
    ports = PORT_BASES[name]
    state = tmp_path_factory.mktemp(f"localenv-{name}")
    env = {**tool_env, **{k: str(v) for k, v in ports.items()}, "TRIPTRIP_LOCAL_STATE": str(state), **(extra_env or {})}
    busy = [p for p in ports.values() if listening(p)]
    assert not busy, f"ports {busy} are taken before the test starts"
    started = time.monotonic()
    up = subprocess.run([str(root / "scripts/localenv"), "up"], env=env, capture_output=True, text=True, check=False)
    assert up.returncode == 0, up.stderr
    env["KUBECONFIG"] = str(state / "kubeconfig")
    try:
        yield {"env": env, "state": state, "ports": ports, "startup": time.monotonic() - started}
    finally:
        subprocess.run([str(root / "scripts/localenv"), "down"], env=env, check=False, capture_output=True)


def free_port(start: int) -> int:
    """A port nobody listens on from `start` on, below the ephemeral range like every port of ours
    (tests/unit/test_ports.py); each test module that needs one starts from its own hundred."""
    for port in range(start, start + 100):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not listening(port):
            return port
    raise AssertionError(f"no free port in {start}-{start + 99}")


def start_moto(root, tool_env, tmp_path_factory, port, name, env=None):
    """Generator for a module fixture: the patched moto server alone (localenv/moto_server.py) on `port` (with `env`
    added to its environment), its log in a folder of its own; always stopped (by its pid) at teardown."""
    assert not listening(port), f"port {port} is taken before the test starts"
    logs = tmp_path_factory.mktemp(f"moto-{name}")
    env = {**tool_env, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", **(env or {})}
    with open(logs / "moto.log", "wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own server script
            [sys.executable, str(root / "localenv/moto_server.py"), "-H", "127.0.0.1", "-p", str(port)],
            cwd=logs, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert server.poll() is None, (logs / "moto.log").read_text()
            assert time.monotonic() < deadline, "moto did not start listening within 60 s"
            time.sleep(0.2)
        yield {"logs": logs, "server": server}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
