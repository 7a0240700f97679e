"""Fault injection on 127.0.0.1 for the reliability suite (tests/integration/test_reliability.py).

ThrottlingProxy: an HTTP proxy in front of moto that answers chosen requests with AWS's own throttling error,
the way the service would (the query protocol's XML `Throttling`, the JSON and REST protocols'
`x-amzn-ErrorType: ThrottlingException`), and forwards the rest. It logs every request: time, operation, and
whether it was throttled, so a test can see the client's backed-off retries.

CuttingProxy: a TCP proxy (TLS passes through untouched) in front of the kube-apiserver that forwards the first
N connections and refuses every later one; `cut()` also closes the connections still open. To a client, the API
server went away in the middle of a run.

Both run in threads of the test process, bind 127.0.0.1 only, and stop in `close()`.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

JSON_TARGET = re.compile(r"^[A-Za-z0-9_.]+\.([A-Za-z0-9]+)$")  # X-Amz-Target: TrentService.DescribeKey


@dataclass
class Request:
    at: float  # time.monotonic() when it arrived
    service: str
    operation: str
    throttled: bool


@dataclass
class ThrottlePlan:
    """Which requests to throttle: the first `first_n` of all, and/or `per_operation[op]` of each named operation
    (-1: every one of them)."""

    first_n: int = 0
    per_operation: dict[str, int] = field(default_factory=dict)


def operation_of(method: str, path: str, headers, body: bytes) -> tuple[str, str]:
    """(service, operation) of an AWS request, read the way moto reads it: the JSON protocol's X-Amz-Target, the
    query protocol's Action, else the REST method and path (EKS: GET /clusters/<name> is DescribeCluster)."""
    auth = headers.get("Authorization", "")
    service = m.group(1) if (m := re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)) else "?"
    target = headers.get("X-Amz-Target", "")
    if m := JSON_TARGET.match(target):
        return service, m.group(1)
    if method == "POST" and body:
        action = parse_qs(body.decode(errors="replace")).get("Action")
        if action:
            return service, action[0]
    action = parse_qs(path.partition("?")[2]).get("Action")
    if action:
        return service, action[0]
    return service, f"{method} {path.partition('?')[0]}"


def throttle_response(service: str, operation: str, query: bool) -> tuple[int, dict[str, str], bytes]:
    if query:  # EC2, IAM, STS: XML, code Throttling (EC2 says RequestLimitExceeded; both count as throttling)
        code = "RequestLimitExceeded" if service == "ec2" else "Throttling"
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>Rate exceeded "
                f"({operation})</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>")
        if service == "ec2":
            body = (f"<Response><Errors><Error><Code>{code}</Code><Message>Request limit exceeded ({operation})"
                    f"</Message></Error></Errors><RequestID>faultproxy</RequestID></Response>")
        return 400, {"Content-Type": "text/xml"}, body.encode()
    payload = {"__type": "ThrottlingException", "message": f"Rate exceeded ({operation})"}
    return 429, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"}, \
        json.dumps(payload).encode()


class ThrottlingProxy:
    def __init__(self, upstream_port: int, listen_port: int, plan: ThrottlePlan | None = None):
        self.upstream_port, self.plan = upstream_port, plan or ThrottlePlan()
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service, operation = operation_of(self.command, self.path, self.headers, body)
                throttled = proxy._decide(operation)
                proxy.log.append(Request(time.monotonic(), service, operation, throttled))
                if throttled:
                    query = "X-Amz-Target" not in self.headers and (
                        service in ("ec2", "iam", "sts", "autoscaling") or b"Action=" in body)
                    status, headers, payload = throttle_response(service, operation, query)
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    status, payload = resp.status, resp.read()
                    headers = {k: v for k, v in resp.getheaders()
                               if k.lower() not in ("transfer-encoding", "connection", "content-length")}
                    conn.close()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", listen_port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _decide(self, operation: str) -> bool:
        with self._lock:
            index = len(self.log)
            seen = self._seen.get(operation, 0)
            self._seen[operation] = seen + 1
            if index < self.plan.first_n:
                return True
            budget = self.plan.per_operation.get(operation, 0)
            return budget < 0 or seen < budget

    def attempts(self, operation: str) -> list[Request]:
        return [r for r in self.log if r.operation == operation]

    def close(self):
        self._server.shutdown()
        self._server.server_close()


class CuttingProxy:
    """Forwards the first `allow` TCP connections to 127.0.0.1:upstream_port, then refuses: each later connection
    is accepted and closed at once (a client sees the connection reset), and `cut()` closes the open ones.
    `delay` (seconds) holds each chunk a client sends before it goes on: a watcher that cuts on what it sees (an
    audit log entry) then has that long per request to act, however busy the machine is."""

    def __init__(self, upstream_port: int, listen_port: int, allow: int, delay: float = 0.0):
        self.upstream_port, self.allow, self.delay = upstream_port, allow, delay
        self.accepted = 0
        self.refused = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with proxy._lock:
                    proxy.accepted += 1
                    allowed = proxy.accepted <= proxy.allow
                    if not allowed:
                        proxy.refused += 1
                if not allowed:
                    self.request.close()
                    return
                upstream = socket.create_connection(("127.0.0.1", proxy.upstream_port), timeout=30)
                with proxy._lock:
                    proxy._open += [self.request, upstream]
                pump = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
                pump.start()
                _pump(self.request, upstream, proxy.delay)
                pump.join(timeout=5)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", listen_port), Handler, bind_and_activate=False)
        self._server.allow_reuse_address = True
        self._server.daemon_threads = True
        self._server.server_bind()
        self._server.server_activate()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def cut(self):
        with self._lock:
            self.allow = min(self.allow, self.accepted)
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._open.clear()

    def close(self):
        self.cut()
        self._server.shutdown()
        self._server.server_close()


def _pump(src: socket.socket, dst: socket.socket, delay: float = 0.0) -> None:
    try:
        while data := src.recv(65536):
            time.sleep(delay)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
