"""The fault proxies of the reliability suite (tests/integration/faultproxy.py) against a real moto server and a
plain TCP echo server: a throttled request looks like AWS's own throttling to botocore (so its retry mode
retries it), every request is logged with its operation, and the cutting proxy refuses after its allowance."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from faultproxy import CuttingProxy, ThrottlePlan, ThrottlingProxy, operation_of  # noqa: E402


@pytest.fixture(scope="module")
def moto_port():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        yield server._server.server_port  # noqa: SLF001 - the port the OS gave it
    finally:
        server.stop()


def client(service, port, attempts):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="ap-northeast-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def test_operation_names_per_protocol():
    auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261130/ap-northeast-1/kms/aws4_request"}
    assert operation_of("POST", "/", {**auth, "X-Amz-Target": "TrentService.ListAliases"}, b"{}") == ("kms", "ListAliases")
    ec2 = {"Authorization": auth["Authorization"].replace("/kms/", "/ec2/")}
    assert operation_of("POST", "/", ec2, b"Action=DescribeVpcs&Version=2016-11-15") == ("ec2", "DescribeVpcs")
    eks = {"Authorization": auth["Authorization"].replace("/kms/", "/eks/")}
    assert operation_of("GET", "/clusters/x?a=b", eks, b"") == ("eks", "GET /clusters/x")


@pytest.mark.parametrize(("service", "call", "operation"), [
    ("kms", lambda c: c.list_aliases(), "ListAliases"),            # JSON: ThrottlingException
    ("ec2", lambda c: c.describe_vpcs(), "DescribeVpcs"),          # query (EC2): RequestLimitExceeded
    ("iam", lambda c: c.list_roles(), "ListRoles"),                # query: Throttling
    ("eks", lambda c: c.list_clusters(), "GET /clusters"),         # REST: ThrottlingException
])
def test_throttles_within_the_attempts_are_retried_and_logged(moto_port, service, call, operation):
    proxy = ThrottlingProxy(moto_port, 0, ThrottlePlan(per_operation={operation: 2}))
    try:
        call(client(service, proxy.port, attempts=3))
    finally:
        proxy.close()
    assert [r.throttled for r in proxy.attempts(operation)] == [True, True, False]


def test_throttles_past_the_attempts_fail_with_the_service_error(moto_port):
    proxy = ThrottlingProxy(moto_port, 0, ThrottlePlan(per_operation={"ListAliases": -1}))
    try:
        with pytest.raises(ClientError) as caught:
            client("kms", proxy.port, attempts=4).list_aliases()
    finally:
        proxy.close()
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(proxy.attempts("ListAliases")) == 4


def closed(sock: socket.socket) -> bool:
    """True when the peer has closed or reset the connection (a read returns nothing or fails)."""
    try:
        sock.sendall(b"ping")
        return sock.recv(4) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(1024):
            self.request.sendall(data)


def test_the_cutting_proxy_forwards_its_allowance_then_refuses():
    echo = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    proxy = CuttingProxy(echo.server_address[1], 0, allow=1)
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as first:
            first.sendall(b"ping")
            assert first.recv(4) == b"ping"
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as second:
                assert closed(second)  # closed at once: the API "went away"
            proxy.cut()
            assert closed(first)  # the open connection is cut too
        assert (proxy.accepted, proxy.refused) == (2, 1)
    finally:
        proxy.close()
        echo.shutdown()
        echo.server_close()
