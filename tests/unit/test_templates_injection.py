"""Injection on the render (issue #26): a value holding a newline and a YAML document, rendered by the roles' own
templates through the roles' own lookup, stays one string value of the object it was written into. The preflight
refuses these values first (tests/integration/bad_inputs.py, kind "injection"); this is the second line, which
holds because every template serialises what it writes (test_templates_serialise.py). Before that rule, the
hostile group name below added a ClusterRoleBinding of its own to the RBAC objects.

Each render is a real ansible-playbook run of triptrip.platform.template on the templates of k8s_namespaces,
k8s_rbac and addon_istio, with their roles' defaults and vars."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

PLAY = """\
- name: Render the roles' templates
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the roles' defaults and vars
      ansible.builtin.include_vars:
        file: "{{ item }}"
      loop: "{{ files }}"
    - name: Change the Istio traffic of the defaults
      ansible.builtin.set_fact:
        addon_istio_traffic: "{{ addon_istio_traffic | combine(traffic_change) }}"
    - name: Render
      ansible.builtin.debug:
        msg: "{{ {'docs': query('triptrip.platform.template', *templates) | map('ansible.builtin.from_yaml_all')
          | map('list') | flatten(levels=1) | select | list} | to_json }}"
      vars:
        templates: "{{ paths }}"
"""

TEMPLATES = ["roles/k8s_namespaces/templates/namespaces.yml.j2", "roles/k8s_rbac/templates/rbac.yml.j2",
             "roles/addon_istio/templates/virtual_service.yml.j2", "roles/addon_istio/templates/destination_rule.yml.j2"]
FILES = ["roles/k8s_namespaces/defaults/main.yml", "roles/k8s_rbac/defaults/main.yml", "roles/k8s_rbac/vars/main.yml",
         "roles/addon_istio/defaults/main.yml"]
DOCUMENT = "\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: injected}\n"
LINE = "\n  injected: 'true'"


def settings(group: str, namespace: str, service: str, label: str) -> dict:
    return {
        "k8s_namespaces_list": [namespace, "triptrip-web"], "k8s_namespaces_labels": {},
        "k8s_namespaces_pod_security_exceptions": {},
        "k8s_rbac_groups": {"platform_admins": "triptrip:platform-admins", "developers": group,
                            "auditors": "triptrip:auditors"},
        "k8s_rbac_namespaces": [namespace], "k8s_rbac_developer_namespaces": [namespace],
        "k8s_rbac_service_accounts": {namespace: ["triptrip-api"]}, "k8s_rbac_irsa_role_arns": {},
        "traffic_change": {"service": service, "namespace": namespace,
                           "subsets": [{"name": "stable", "labels": {"version": label}},
                                       {"name": "canary", "labels": {"version": "canary"}}]},
    }


def render(root, tool_env, tmp_path, values: dict) -> list[dict]:
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    extra = {**values, "files": [str(root / f) for f in FILES], "paths": [str(root / t) for t in TEMPLATES]}
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    res = subprocess.run(["ansible-playbook", str(tmp_path / "play.yml"), "-i", str(tmp_path / "hosts.yml"),
                          "-e", f"@{tmp_path / 'extra.json'}"],
                         env={**tool_env, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
                              "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit"}, cwd=root,
                         capture_output=True, text=True, check=False, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    result = json.loads(res.stdout)["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"]
    return (json.loads(result) if isinstance(result, str) else result)["docs"]


def shape(docs: list[dict]) -> list[tuple[str, int]]:
    return [(d["kind"], len(yaml.safe_dump(d).splitlines())) for d in docs]


@pytest.fixture(scope="module")
def clean(root, tool_env, tmp_path_factory):
    return render(root, tool_env, tmp_path_factory.mktemp("clean"),
                  settings("triptrip:developers", "triptrip-api", "triptrip-api", "stable"))


def test_a_document_in_a_group_name_stays_the_groups_name(root, tool_env, tmp_path, clean):
    docs = render(root, tool_env, tmp_path, settings("triptrip:developers" + DOCUMENT, "triptrip-api",
                                                     "triptrip-api", "stable"))
    assert [d["kind"] for d in docs] == [d["kind"] for d in clean]
    assert not [d for d in docs if d["metadata"].get("name") == "injected"]
    subjects = [s["name"] for d in docs if d["kind"].endswith("RoleBinding") for s in d.get("subjects", [])]
    assert "triptrip:developers" + DOCUMENT in subjects


def test_a_key_in_a_namespace_name_service_or_label_stays_in_its_value(root, tool_env, tmp_path, clean):
    hostile = settings("triptrip:developers", "triptrip-api" + LINE, "triptrip-api" + LINE, "stable" + LINE)
    docs = render(root, tool_env, tmp_path, hostile)
    assert [d["kind"] for d in docs] == [d["kind"] for d in clean]
    assert all("injected" not in d["metadata"].get("labels", {}) for d in docs)
    names = {d["metadata"].get("namespace", d["metadata"]["name"]) for d in docs if d["kind"] != "ClusterRole"}
    assert "triptrip-api" + LINE in names
    rule = next(d for d in docs if d["kind"] == "DestinationRule")
    assert rule["spec"]["subsets"][0]["labels"] == {"version": "stable" + LINE}
