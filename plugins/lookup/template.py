# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""triptrip.platform.template: a role's Jinja template rendered with the task's variables, without deep-copying them.

ansible.builtin.template (the lookup) deep-copies every variable of the task for each file it renders, so that a
template cannot change them. With this inventory (every group_vars file of the platform) that copy is most of a
lookup's cost: bench/ measured the Kubernetes layer's no-op at 31 s with it and 21 s without it, on the same
platform. This lookup gives the template a new top-level mapping (the task's variables, then Ansible's template
variables such as ansible_managed, then template_vars) over the same values, which the roles' templates only read.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: template
author: TripTrip Platform Team (@triptrip)
short_description: Render a role's Jinja template with the task's variables, without copying them
version_added: 0.2.0
description:
  - Finds each file as M(ansible.builtin.template) and the C(ansible.builtin.template) lookup do (the role's
    C(templates/) folder first, then the play's), renders it with the task's variables plus O(template_vars), and
    returns the text.
  - Unlike the C(ansible.builtin.template) lookup, the variables are not deep-copied for each file (that copy is
    most of the lookup's cost with a large inventory). The template gets a new top-level mapping over the same
    values, so a template must not change a variable's value in place (C(list.append) on a variable); the roles'
    templates only read them.
  - C(ansible_managed), C(template_path) and the other template variables of Ansible are set as for the
    C(ansible.builtin.template) lookup.
options:
  _terms:
    description: Template files, relative to a C(templates/) folder of the search path, or absolute.
    required: true
    type: list
    elements: str
  template_vars:
    description: More variables for the templates; they win over the task's variables of the same name.
    type: dict
    default: {}
notes:
  - Whitespace control is Jinja's default with C(trim_blocks), as for the C(ansible.builtin.template) lookup.
seealso:
  - plugin: ansible.builtin.template
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Render the namespaces
  ansible.builtin.set_fact:
    namespaces: "{{ lookup('triptrip.platform.template', 'namespaces.yml.j2') | ansible.builtin.from_yaml_all | list }}"

- name: Render two files, with a variable of their own
  ansible.builtin.set_fact:
    gateways: "{{ query('triptrip.platform.template', 'ingress.yml.j2', 'egress.yml.j2', template_vars={'replicas': 2}) }}"
"""

RETURN = r"""
_raw:
  description: Each file's text after rendering, in the order of the terms.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.template import generate_ansible_template_vars, trust_as_template


def jinja_search_path(lookupfile: str, search_path: list[str]) -> list[str]:
    """Where {% include %} looks: the file's own folder, then each search path's templates/ folder and the path."""
    found = [os.path.dirname(lookupfile)]
    for path in search_path:
        found += [os.path.join(path, "templates"), path]
    return found


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        extra = self.get_option("template_vars") or {}
        rendered = []
        for term in terms:
            lookupfile = self.find_file_in_search_path(variables, "templates", term)
            if not lookupfile:
                raise AnsibleError(f"triptrip.platform.template: the template file {term} could not be found")
            source = trust_as_template(self._loader.get_text_file_contents(lookupfile))
            # A new top-level mapping over the same values: no deep copy (the point of this lookup).
            scope = dict(variables)
            template_vars = generate_ansible_template_vars(path=term, fullpath=lookupfile)
            if "ansible_managed" in scope:  # as the builtin lookup: an ansible_managed of the inventory wins
                del template_vars["ansible_managed"]
            scope.update(template_vars)
            scope.update(extra)
            templar = self._templar.copy_with_new_env(
                available_variables=scope,
                searchpath=jinja_search_path(lookupfile, list(variables.get("ansible_search_path", []))))
            # Backslashes are kept as written and trim_blocks is on, as in the builtin lookup.
            rendered.append(templar.template(source, escape_backslashes=False, overrides={"trim_blocks": True}))
        return rendered
