"""A moto-only local platform for the AWS layer's tests: start it on a test module's ports, call its API, record
the operations that reach it, run a playbook against it with an inventory."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from urllib.parse import parse_qs, urlparse
from urllib.request import Request, urlopen

import boto3
from localplatform import PORT_BASES, listening, operator_keys

# The platform team's admin role, which production's and dr's access entries name (and the strict policy requires):
# it is the account's, made before the platform (as on AWS), so Moto.start makes it and the entries are real here.
ADMIN_ROLE = "triptrip-platform-admin"


class Moto:
    """The moto server of one test module (its PORT_BASES entry)."""

    def __init__(self, name: str):
        self.ports = PORT_BASES[name]
        self.port = self.ports["TRIPTRIP_MOTO_PORT"]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, root, tool_env, state):
        """Start moto alone; returns the environment for playbooks and boto3."""
        env = {**tool_env, **{k: str(v) for k, v in self.ports.items()}, "TRIPTRIP_LOCAL_STATE": str(state),
               "MOTO_RECORDER_FILEPATH": str(state / "moto-recording.jsonl"),
               "AWS_ENDPOINT_URL": self.url,
               # The kubeconfigs a run writes (platform_state_dir) stay in the test's folder, not the home.
               "XDG_STATE_HOME": str(state)}
        assert not listening(self.port), f"port {self.port} is taken before the test starts"
        up = subprocess.run([str(root / "scripts/localenv"), "up", "--only", "moto"], env=env, capture_output=True,
                            text=True, check=False)
        assert up.returncode == 0, up.stderr
        self.client("iam").create_role(RoleName=ADMIN_ROLE, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))
        # The playbooks run as the local account's IAM user (an access entry can name it; moto's dummy keys are
        # nobody), whose key `up` wrote into the state folder.
        return {**env, **operator_keys(state)}

    @staticmethod
    def stop(root, env):
        subprocess.run([str(root / "scripts/localenv"), "down"], env=env, check=False, capture_output=True)

    def api(self, path):
        method = "GET" if path.endswith("download-recording") else "POST"
        with urlopen(Request(f"{self.url}/moto-api/{path}", method=method), timeout=10) as response:
            return response.read().decode()

    def start_recording(self):
        self.api("recorder/reset-recording")
        self.api("recorder/start-recording")

    def recorded_requests(self):
        """The AWS requests that reached moto since the recording started, in order: (operation, parameters).
        The operation is the JSON target or query Action, or "METHOD /path" for REST APIs such as EKS; the
        parameters are the JSON body, or the query/form fields (first value each)."""
        requests = []
        for line in self.api("recorder/download-recording").splitlines():
            entry = json.loads(line)
            body = entry.get("body") or ""
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode(errors="replace")
            target = {k.lower(): v for k, v in entry["headers"].items()}.get("x-amz-target")
            form = {**parse_qs(urlparse(entry["url"]).query), **parse_qs(body)}
            if target:
                operation = target.split(".")[-1]
            elif form.get("Action"):
                operation = form["Action"][0]
            else:
                operation = f"{entry['method']} {urlparse(entry['url']).path}"
            try:
                params = json.loads(body) if body.lstrip().startswith("{") else {k: v[0] for k, v in form.items()}
            except json.JSONDecodeError:
                params = {}
            requests.append((operation, params))
        return requests

    def recorded_operations(self):
        """The AWS operations that reached moto since the recording started, in order."""
        return [operation for operation, _params in self.recorded_requests()]

    def client(self, service, region="ap-northeast-1"):
        return boto3.client(service, endpoint_url=self.url, region_name=region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def create_app_secrets(client, environment="production", names=("database", "redis")):
    """The secrets the workloads read, as their owners create them before the platform (it never writes a value)."""
    for name in names:
        client.create_secret(Name=f"triptrip/{environment}/{name}", SecretString=json.dumps({"owner": "app-team"}))


def run_playbook(root, env, inventory, host, name, *args):
    """ansible-playbook NAME -i inventories/INVENTORY; returns (result, {changed, failed}) of HOST's recap."""
    res = subprocess.run(["ansible-playbook", name, "-i", f"inventories/{inventory}", *args],
                         env=env, cwd=root, capture_output=True, text=True, check=False)
    recap = re.search(rf"{host}\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", res.stdout)
    assert recap, res.stdout[-3000:] + res.stderr[-3000:]
    return res, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


def changed_items(stdout):
    """{task name (without role): number of changed results} of a run's output."""
    found = {}
    for block in stdout.split("TASK [")[1:]:
        name, body = block.split("]", 1)
        count = len(re.findall(r"^changed: ", body, re.M))
        if count:
            found[name.split(" : ", 1)[-1]] = count
    return found
