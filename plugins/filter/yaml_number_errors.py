# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation at the source: unquoted scalars of the inventory's YAML that YAML 1.1 reads as octal or base-60
numbers (`size_gb: 0200` is 128, `timeout: 1:30` is 90). Once parsed the value is a plain number, so the files are
read again for the scalars' text."""

from __future__ import annotations

import glob
import os
import re

import yaml

from ansible import context

DOCUMENTATION = r"""
---
name: yaml_number_errors
short_description: List unquoted YAML 1.1 octal and base-60 numbers in the inventory's variable files
version_added: 0.2.0
description:
  - Ansible reads variable files as YAML 1.1, where an unquoted C(0200) is the octal number 128, an unquoted C(1:30)
    the base-60 number 90 and C(1:30:00) 5400. Once parsed they are plain numbers, so a later check cannot tell
    C(0200) from C(128) in C(size_gb). This filter reads the files again, keeps the text of every scalar, and
    returns one sentence per plain (unquoted) scalar that looks like such a number, naming the file and line, the
    variable path (such as C(platform_node_groups_overrides.general.disk.size_gb)), the value read and what was
    probably meant.
  - Reported are plain scalars of the YAML 1.1 octal form (C(0[0-7]+)) and of the base-60 form
    (C([0-9]+(:[0-5]?[0-9])+)) that YAML 1.1 reads as numbers, and of the YAML 1.2 octal form C(0o...), which YAML
    1.1 reads as a string and YAML 1.2 as a number. A quoted scalar, a block scalar and an explicitly tagged one are
    left alone; so are mapping keys.
  - The files are those Ansible loads for the host, as its host_group_vars plugin finds them next to each source
    (C(group_vars/all), C(group_vars/<group>) and C(host_vars/<host>), each a file with no extension, C(.yml),
    C(.yaml) or C(.json), or a folder of them), plus I(paths). With I(extra_vars), the command line's
    C(-e @file) files and C(-e) values written as YAML or JSON are read too; C(-e key=value) gives strings, never
    numbers, and variables set by a play or a task are not in any file, so neither is checked.
  - A key set twice in one mapping is reported too, as YAML keeps the last value and Ansible only warns; the first
    one written is usually the one meant, or the two were merged by hand.
  - A file that cannot be read or parsed, or is encrypted with Ansible Vault, is skipped (Ansible itself reports it).
positional: _input
options:
  _input:
    description:
      - Where the inventory's variables come from, as C(ansible_inventory_sources) and C(playbook_dir) give them; a
        folder holds C(group_vars) and C(host_vars), a file's folder does.
    type: list
    elements: path
    required: true
  host:
    description: The host whose C(host_vars) are read (C(inventory_hostname)).
    type: str
    default: ""
  groups:
    description: The groups whose C(group_vars) are read besides C(all) (C(group_names)).
    type: list
    elements: str
    default: []
  paths:
    description: More variable files, or folders read whole (such as a role's C(defaults/main)); a shell pattern
      (C(roles/addon_*/defaults/main.yml)) stands for the files it matches.
    type: list
    elements: path
    default: []
  extra_vars:
    description: Also read the command line's extra vars (C(-e @file) and C(-e) given as YAML or JSON).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse YAML 1.1 octal and base-60 numbers in the inventory
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ (ansible_inventory_sources | list + [playbook_dir]) | triptrip.platform.yaml_number_errors(host=inventory_hostname,
      groups=group_names, paths=[role_path ~ '/defaults/main'], extra_vars=true) }}"
# inventories/staging/group_vars/all/main.yml holding `platform_node_groups_overrides: {general: {disk: {size_gb: 0200}}}`:
#   inventories/staging/group_vars/all/main.yml:3: platform_node_groups_overrides.general.disk.size_gb: 0200 is read
#   as 128 (YAML 1.1 reads a leading 0 as octal): write 200 if you meant two hundred, or quote it ("0200") to keep the text
"""

RETURN = r"""
_value:
  description: One sentence per unquoted octal or base-60 scalar; empty when there is none.
  type: list
  elements: str
"""

EXTENSIONS = ("", ".yml", ".yaml", ".json")
OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
OCTAL_12 = re.compile(r"^[-+]?0o[0-7]+$")
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
STRING_TAG = "tag:yaml.org,2002:str"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _vars_files(path):
    """The files of a variable file or folder, as Ansible's DataLoader finds them (hidden and backup files left out)."""
    if os.path.isfile(path):
        return [path]
    found = []
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            ext = os.path.splitext(name)[1]
            if name.startswith(".") or name.endswith("~"):
                continue
            if os.path.isdir(full) and not ext:
                found.extend(_vars_files(full))
            elif os.path.isfile(full) and ext in EXTENSIONS:
                found.append(full)
    return found


def _named(folder, name):
    """group_vars/<name> or host_vars/<name>: the first of <name>, <name>.yml, <name>.yaml, <name>.json that exists."""
    for ext in EXTENSIONS:
        candidate = os.path.join(folder, name + ext)
        if os.path.exists(candidate):
            return _vars_files(candidate)
    return []


def _shown(path):
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _sentence(text, tag):
    """What YAML 1.1 made of the plain scalar `text`, and what was probably meant; None if it is not a trap."""
    if tag in NUMBER_TAGS and OCTAL.match(text):
        read = yaml.safe_load(text)
        meant = int(text.replace("_", ""), 10)
        return (f"{text} is read as {read} (YAML 1.1 reads a leading 0 as octal): write {meant} if you meant {meant}, "
                f"or quote it (\"{text}\") to keep the text")
    if tag in NUMBER_TAGS and SEXAGESIMAL.match(text):
        read = yaml.safe_load(text)
        return (f"{text} is read as {read} (YAML 1.1 reads numbers joined by colons as one base-60 number): quote it "
                f"(\"{text}\") if you meant the text, such as a time or a duration, or write {read}")
    if tag == STRING_TAG and OCTAL_12.match(text):
        number = int(text.replace("0o", "", 1), 8)
        return (f"{text} is read as the string \"{text}\" (YAML 1.1 has no 0o prefix; YAML 1.2 reads {number}): write "
                f"{number} for the number, or quote it (\"{text}\") to make the string plain")
    return None


def _walk(node, path, found, seen):
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            if isinstance(key, yaml.ScalarNode) and name != "<<":
                line = key.start_mark.line + 1
                if name in lines:
                    found.append((line, "".join(path + [("." if path else "") + str(name)]),
                                  f"is set twice in one mapping (lines {lines[name]} and {line}); YAML keeps the "
                                  "last silently: keep one"))
                lines.setdefault(name, line)
            _walk(value, path + [("." if path else "") + str(name)], found, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + [f"[{index}]"], found, seen)
    elif isinstance(node, yaml.ScalarNode) and not node.style:
        # Plain (unquoted): the pure-Python loader gives None, libyaml an empty string.
        sentence = _sentence(node.value, node.tag)
        if sentence:
            found.append((node.start_mark.line + 1, "".join(path), sentence))


def _text_errors(text, source):
    if text.lstrip().startswith("$ANSIBLE_VAULT"):
        return []
    found = []
    try:
        for document in yaml.compose_all(text, Loader=LOADER):
            if document is not None:
                _walk(document, [], found, set())
    except yaml.YAMLError:
        return []
    return [f"{source}:{line}: {path or '(the document)'}: {sentence}" for line, path, sentence in found]


def _file_errors(path):
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return []
    return _text_errors(text, _shown(path))


def _extra_vars_errors():
    """The command line's extra vars that are YAML: -e @file, and -e values given as YAML or JSON."""
    errors = []
    for option in context.CLIARGS.get("extra_vars", ()) or ():
        option = str(option)
        if option.startswith("@"):
            errors.extend(f"{message} (an -e @file)" for message in _file_errors(option[1:]))
        elif option[:1] in ("{", "["):
            errors.extend(_text_errors(option, "-e"))
    return errors


def yaml_number_errors(sources, host="", groups=None, paths=None, extra_vars=False):
    """One sentence per unquoted YAML 1.1 octal or base-60 scalar of the variable files Ansible loads for `host`."""
    files = []
    for source in sources or []:
        source = str(source)
        folder = source if os.path.isdir(source) else os.path.dirname(source)
        if not os.path.isdir(folder):
            continue
        for group in ["all", *(groups or [])]:
            files.extend(_named(os.path.join(folder, "group_vars"), str(group)))
        if host:
            files.extend(_named(os.path.join(folder, "host_vars"), str(host)))
    for pattern in paths or []:
        # A shell pattern (roles/addon_*/defaults/main.yml) stands for the files it matches.
        for path in sorted(glob.glob(str(pattern))) if glob.has_magic(str(pattern)) else [str(pattern)]:
            files.extend(_vars_files(path))
    errors, read = [], set()
    for path in files:
        real = os.path.realpath(path)
        if real not in read:
            read.add(real)
            errors.extend(_file_errors(path))
    if extra_vars:
        errors.extend(_extra_vars_errors())
    return errors


class FilterModule:
    def filters(self):
        return {"yaml_number_errors": yaml_number_errors}
