"""triptrip.platform.iam_oidc_provider through ansible-playbook against moto's IAM: create, an idempotent rerun,
a --check that reports a tag change and leaves moto alone, the change applied, then state=absent.

moto 5.2.5's IAM, as checked for this module (the unit tests cover the rest with botocore's Stubber):
- add_client_id_to_open_id_connect_provider and remove_client_id_from_open_id_connect_provider are not
  implemented: moto answers HTTP 500 with an HTML page. This test never changes the client ids.
- Thumbprints are optional (as in IAM today); a provider created without them reads back ThumbprintList=[]
  (real IAM may fill in the issuer's CA thumbprint itself). moto only checks their length (at most 40), not
  that they are hexadecimal.
- get_open_id_connect_provider returns Url without the scheme and does return Tags (as IAM does); tag,
  untag and update_open_id_connect_provider_thumbprint work. moto stores tag keys case-insensitively.
- A Url without a scheme is refused with ValidationError "Invalid Open ID Connect Provider URL"; the module
  always sends https://.
- delete_open_id_connect_provider of an unknown ARN succeeds silently (IAM answers NoSuchEntity).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import boto3
import pytest
from localplatform import start_moto

PORT = 15300
ENDPOINT = f"http://127.0.0.1:{PORT}"
HOST_PATH = "oidc.eks.ap-northeast-1.amazonaws.com/id/MOTO0123456789ABCDEF"
ARN = f"arn:aws:iam::123456789012:oidc-provider/{HOST_PATH}"
PRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

PLAYBOOK = """\
- name: iam_oidc_provider against moto
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The OIDC provider
      triptrip.platform.iam_oidc_provider:
        url: "{{ oidc_url }}"
        client_ids: "{{ oidc_client_ids | default(omit) }}"
        thumbprints: "{{ oidc_thumbprints | default(omit) }}"
        tags: "{{ oidc_tags | default(omit) }}"
        state: "{{ oidc_state | default('present') }}"
"""


@pytest.fixture(scope="module")
def moto(root, tool_env, tmp_path_factory):
    """The patched moto server, on 127.0.0.1:{PORT}; always stopped at teardown."""
    yield from start_moto(root, tool_env, tmp_path_factory, PORT, "oidc")


@pytest.fixture(scope="module")
def iam(moto):
    return boto3.client("iam", endpoint_url=ENDPOINT, region_name="ap-northeast-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def playbook(root, tool_env, moto, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc-playbook")
    path, inventory = folder / "oidc.yml", folder / "hosts.ini"
    path.write_text(PLAYBOOK)
    # ansible.cfg enables only the yaml and ini inventory plugins (no "-i localhost,").
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    env = {
        **tool_env,
        "AWS_ENDPOINT_URL": ENDPOINT, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        # Structured output to read the module's result from (ansible.cfg's profile_tasks/profile_roles write
        # their timestamp lines before and their recaps after the JSON document on stdout).
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    }
    env.pop("AWS_PROFILE", None)

    def run(extra_vars, *args):
        res = subprocess.run(
            ["ansible-playbook", str(path), "-i", str(inventory), "-e", json.dumps(extra_vars), *args],
            env=env, cwd=root, capture_output=True, text=True, check=False,
        )
        try:
            start = re.search(r"^\{", res.stdout, re.MULTILINE)
            out, _end = json.JSONDecoder().raw_decode(res.stdout[start.start() if start else 0:])
        except json.JSONDecodeError:
            pytest.fail(f"ansible-playbook output is not JSON:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
        stats = out["stats"]["localhost"]
        result = out["plays"][0]["tasks"][0]["hosts"]["localhost"]
        assert stats["failures"] == 0 and stats["unreachable"] == 0, json.dumps(result, indent=1)[-3000:]
        return stats["changed"], result

    return run


def provider(iam):
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    if ARN not in arns:
        return None
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    return {"client_ids": got["ClientIDList"], "thumbprints": got["ThumbprintList"],
            "tags": {t["Key"]: t["Value"] for t in got.get("Tags") or []}}


BASE = {"oidc_url": HOST_PATH, "oidc_thumbprints": [PRINT], "oidc_tags": {"Environment": "local"}}


def test_create(playbook, iam):
    assert provider(iam) is None
    changed, result = playbook(BASE)
    assert changed == 1
    assert result["arn"] == ARN and result["url"] == f"https://{HOST_PATH}"
    assert provider(iam) == {"client_ids": ["sts.amazonaws.com"], "thumbprints": [PRINT], "tags": {"Environment": "local"}}


def test_rerun_changes_nothing(playbook, iam):
    changed, result = playbook(BASE)
    assert changed == 0
    assert result["tags"] == {"Environment": "local"} and result["thumbprints"] == [PRINT]


def test_check_with_a_new_tag_reports_the_change_and_leaves_moto_alone(playbook, iam):
    before = provider(iam)
    changed, result = playbook({**BASE, "oidc_tags": {"Environment": "local", "Team": "platform"}}, "--check", "--diff")
    assert changed == 1
    assert result["diff"]["after"]["tags"] == {"Environment": "local", "Team": "platform"}
    assert provider(iam) == before


def test_the_change_applied(playbook, iam):
    changed, _result = playbook({**BASE, "oidc_tags": {"Environment": "local", "Team": "platform"}})
    assert changed == 1
    assert provider(iam)["tags"] == {"Environment": "local", "Team": "platform"}
    changed, _result = playbook({**BASE, "oidc_tags": {"Environment": "local", "Team": "platform"}})
    assert changed == 0


def test_absent_deletes_and_a_rerun_changes_nothing(playbook, iam):
    changed, result = playbook({"oidc_url": f"https://{HOST_PATH}", "oidc_state": "absent"})
    assert changed == 1 and result["arn"] == ARN
    assert provider(iam) is None
    changed, _result = playbook({"oidc_url": f"https://{HOST_PATH}", "oidc_state": "absent"})
    assert changed == 0
