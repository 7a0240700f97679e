"""triptrip.platform.addon_chart (lookup): an add-on role names its chart by the add-on's name; the lookup reads the
add-on's chart, version and repository variables and the platform's chart source, and gives what the addon_chart
filter gives for them. One real ansible-playbook run (the lookup runs in the worker, with the play's variables)."""

from __future__ import annotations

import json
import subprocess

PLAYBOOK = """\
- name: Resolve charts with the lookup
  hosts: localhost
  gather_facts: false
  vars:
    addon_demo_chart: demo
    addon_demo_version: 1.2.3
    addon_demo_repository: https://charts.example
    platform_addons_chart_oci_registry: oci://registry.example/charts
    platform_addons_chart_mirror: /srv/charts
  tasks:
    - name: Every source, and another chart of the add-on
      ansible.builtin.debug:
        msg: "RESULT {{ {'source': source, 'chart': lookup('triptrip.platform.addon_chart', 'demo'),
                         'gateway': lookup('triptrip.platform.addon_chart', 'demo', chart='gateway')} | to_json }}"
      loop: [repository, oci, mirror]
      loop_control:
        loop_var: source
      vars:
        platform_addons_chart_source: "{{ source }}"

    - name: An add-on without its variables
      ansible.builtin.debug:
        msg: "{{ lookup('triptrip.platform.addon_chart', 'nothing') }}"
      vars:
        platform_addons_chart_source: repository
      ignore_errors: true  # noqa: ignore-errors - the test reads the error
"""


def test_the_lookup_resolves_each_source_and_names_what_is_missing(root, tool_env, tmp_path):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "hosts.ini").write_text("localhost ansible_connection=local\n")
    run = subprocess.run(["ansible-playbook", str(tmp_path / "play.yml"), "-i", str(tmp_path / "hosts.ini")], cwd=root,
                         env=tool_env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    lines = [line.split("RESULT ", 1)[1].rstrip('"') for line in run.stdout.splitlines() if '"msg": "RESULT ' in line]
    results = {r["source"]: r for r in (json.loads(line.replace('\\"', '"')) for line in lines)}
    assert results == {
        "repository": {"source": "repository", "chart": {"ref": "demo", "version": "1.2.3", "repo_url": "https://charts.example"},
                       "gateway": {"ref": "gateway", "version": "1.2.3", "repo_url": "https://charts.example"}},
        "oci": {"source": "oci", "chart": {"ref": "oci://registry.example/charts/demo", "version": "1.2.3"},
                "gateway": {"ref": "oci://registry.example/charts/gateway", "version": "1.2.3"}},
        "mirror": {"source": "mirror", "chart": {"ref": "/srv/charts/demo-1.2.3.tgz"},
                   "gateway": {"ref": "/srv/charts/gateway-1.2.3.tgz"}}}
    assert ("addon_chart 'nothing': addon_nothing_chart, addon_nothing_version, addon_nothing_repository not set "
            "(is nothing an add-on role?)") in run.stdout


def test_every_add_on_role_names_its_charts_through_the_lookup(root):
    for tasks in sorted(root.glob("roles/addon_*/tasks/*.yml")):
        text = tasks.read_text()
        # The platform's chart source is the lookup's to read; a role that threads it again is the old pattern.
        assert "platform_addons_chart_source" not in text and "triptrip.platform.addon_chart(" not in text, tasks
    named = {p.parent.parent.name for p in root.glob("roles/addon_*/tasks/main.yml")
             if "lookup('triptrip.platform.addon_chart', '" in p.read_text()}
    assert named == {p.name for p in root.glob("roles/addon_*")}
