"""triptrip.platform.template renders exactly what the ansible.builtin.template lookup renders (role search path,
ansible_managed, template_vars, trim_blocks, {% include %}), without its deep copy of the task's variables.

Each case runs a real ansible-playbook on a small role of its own, so the lookup runs in the worker process the way
the roles call it."""

from __future__ import annotations

import json
import subprocess
import textwrap

PLAYBOOK = """\
- name: Render with both lookups
  hosts: localhost
  gather_facts: false
  vars:
    namespaces: [triptrip-api, triptrip-web]
    settings: {replicas: 2, labels: {team: platform}}
  roles:
    - role: probe
"""

TASKS = """\
- name: Render with the builtin lookup and with ours
  ansible.builtin.debug:
    msg: "{{ {'builtin': query('ansible.builtin.template', 'objects.yml.j2', 'plain.j2', template_vars={'extra': 'x'}),
             'ours': query('triptrip.platform.template', 'objects.yml.j2', 'plain.j2', template_vars={'extra': 'x'}),
             'settings': settings} | to_json }}"
"""

OBJECTS = """\
{{ ansible_managed | comment }}
{% for ns in namespaces %}
---
apiVersion: v1
kind: Namespace
metadata:
  name: {{ ns }}
  labels: {{ settings.labels | to_json }}
  annotations:
    extra: {{ extra }}
    path: {{ template_path | basename }}
{% endfor %}
{% include 'part.j2' %}
"""


def run_probe(root, tool_env, tmp_path, tasks=TASKS):
    role = tmp_path / "roles" / "probe"
    (role / "tasks").mkdir(parents=True)
    (role / "templates").mkdir()
    (role / "tasks" / "main.yml").write_text(tasks)
    (role / "templates" / "objects.yml.j2").write_text(OBJECTS)
    (role / "templates" / "part.j2").write_text("# replicas {{ settings.replicas }}\n")
    (role / "templates" / "plain.j2").write_text("no jinja here\\n, a backslash kept\n")
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    # ansible.cfg takes YAML and INI inventories only (no "localhost," lists).
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    env = {**tool_env, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_ROLES_PATH": str(tmp_path / "roles"),
           "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit"}  # not the profilers: only the JSON on stdout
    return subprocess.run(["ansible-playbook", "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml")],
                          cwd=root, env=env, capture_output=True, text=True, check=False)


def task_msg(res):
    out = json.loads(res.stdout)
    return json.loads(out["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"])


def test_it_renders_what_the_builtin_lookup_renders(root, tool_env, tmp_path):
    res = run_probe(root, tool_env, tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    msg = task_msg(res)
    assert msg["ours"] == msg["builtin"]
    objects, plain = msg["ours"]
    assert objects.startswith("#") and "# Ansible managed" in objects
    assert "name: triptrip-web" in objects and "extra: x" in objects and "path: objects.yml.j2" in objects
    assert "# replicas 2" in objects  # the include, found next to the template
    assert plain == "no jinja here\\n, a backslash kept\n"
    # The task's variables are as they were after both renders.
    assert msg["settings"] == {"replicas": 2, "labels": {"team": "platform"}}


def test_a_missing_template_fails_with_its_name(root, tool_env, tmp_path):
    tasks = textwrap.dedent("""\
        - name: Render a file that does not exist
          ansible.builtin.debug:
            msg: "{{ lookup('triptrip.platform.template', 'nowhere.yml.j2') }}"
        """)
    res = run_probe(root, tool_env, tmp_path, tasks)
    assert res.returncode != 0
    assert "triptrip.platform.template: the template file nowhere.yml.j2 could not be found" in res.stdout


class NoDeepCopy(list):
    """A variable that fails the test if anything deep-copies it."""

    def __deepcopy__(self, memo):
        raise AssertionError("the variables were deep-copied")


def test_it_does_not_deep_copy_the_variables(tmp_path):
    """The point of the lookup: rendering costs no copy of the variables (the builtin lookup deep-copies them all)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import lookup_loader
    from ansible.template import Templar

    from ansible_collections.triptrip.platform.plugins.lookup import template as plugin

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "one.j2").write_text("{{ big | length }} {{ extra }}\n")
    loader = DataLoader()
    variables = {"big": NoDeepCopy(range(1000)), "ansible_search_path": [str(tmp_path)]}
    templar = Templar(loader=loader, variables=variables)
    ours = lookup_loader.get("triptrip.platform.template", loader=loader, templar=templar)
    assert isinstance(ours, plugin.LookupModule)
    assert ours.run(["one.j2"], variables, template_vars={"extra": "y"}) == ["1000 y\n"]
    builtin = lookup_loader.get("ansible.builtin.template", loader=loader, templar=templar)
    try:
        builtin.run(["one.j2"], variables, template_vars={"extra": "y"})
    except AssertionError as err:  # the builtin's copy is what this lookup avoids: the probe can tell them apart
        assert "deep-copied" in str(err)
    else:
        raise AssertionError("the builtin lookup no longer deep-copies the variables: this lookup may be retired")


def test_an_ansible_managed_of_the_inventory_wins_as_in_the_builtin_lookup(tmp_path):
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import lookup_loader
    from ansible.template import Templar

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "one.j2").write_text("{{ ansible_managed }} {{ template_path }}\n")
    loader = DataLoader()
    for variables, managed in (({}, "Ansible managed"), ({"ansible_managed": "ours"}, "ours")):
        variables = {**variables, "ansible_search_path": [str(tmp_path)]}
        templar = Templar(loader=loader, variables=variables)
        ours = lookup_loader.get("triptrip.platform.template", loader=loader, templar=templar).run(["one.j2"], variables)
        builtin = lookup_loader.get("ansible.builtin.template", loader=loader, templar=templar).run(["one.j2"], variables)
        assert ours == builtin == [f"{managed} one.j2\n"]


def test_the_lookup_uses_only_public_templating_api():
    """ansible-core's own template lookup reaches into ansible._internal; ours keeps to ansible.template's public names.
    generate_ansible_template_vars is marked there for deprecation in ansible-core 2.23: when it goes, this test names
    the version, and the lookup has to build template_path, template_fullpath, ... and ansible_managed itself."""
    from pathlib import Path

    import ansible.template
    from ansible.release import __version__

    from ansible_collections.triptrip.platform.plugins.lookup import template as plugin

    source = Path(plugin.__file__).read_text(encoding="utf-8")
    assert "ansible._internal" not in source and "_engine" not in source
    missing = [name for name in ("Templar", "generate_ansible_template_vars", "trust_as_template")
               if not hasattr(ansible.template, name)]
    assert not missing, (f"ansible-core {__version__} no longer has ansible.template.{', '.join(missing)}, which "
                         "plugins/lookup/template.py uses")
