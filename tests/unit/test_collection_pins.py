"""collections/requirements.yml (what AWX and ansible-builder install) pins exactly the collection versions
that the pinned `ansible` Python package bundles (what a local setup and CI use)."""

from __future__ import annotations

import json
from pathlib import Path

import ansible_collections
import yaml


def bundled_version(fqcn: str) -> str:
    namespace, name = fqcn.split(".")
    for base in ansible_collections.__path__:
        manifest = Path(base) / namespace / name / "MANIFEST.json"
        if manifest.exists():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    raise AssertionError(f"{fqcn} is not bundled in the installed ansible package")


def test_requirements_yml_pins_the_bundled_collection_versions(root):
    pins = yaml.safe_load((root / "collections" / "requirements.yml").read_text())["collections"]
    assert pins, "collections/requirements.yml lists no collection"
    drift = {p["name"]: (p["version"], bundled_version(p["name"])) for p in pins if p["version"] != bundled_version(p["name"])}
    assert not drift, f"requirements.yml pin vs bundled version: {drift}"


def test_every_collection_the_code_uses_is_pinned(root):
    pinned = {p["name"] for p in yaml.safe_load((root / "collections" / "requirements.yml").read_text())["collections"]}
    used = set()
    for path in list(root.glob("playbooks/*.yml")) + list(root.glob("roles/*/tasks/*.yml")) + list(root.glob("molecule/*/*.yml")):
        for token in path.read_text().split():
            parts = token.rstrip(":").split(".")
            if len(parts) >= 3 and parts[0] in {"amazon", "community", "kubernetes", "ansible"} and parts[1].isidentifier():
                if parts[0] == "ansible" and parts[1] == "builtin":
                    continue
                used.add(f"{parts[0]}.{parts[1]}")
    for path in root.glob("ansible.cfg"):
        if "ansible.posix." in path.read_text():
            used.add("ansible.posix")
    assert used, "found no collection in use, so this test checks nothing"
    assert used <= pinned, f"used but not pinned in collections/requirements.yml: {sorted(used - pinned)}"


def test_galaxy_dependencies_cover_the_pins(root):
    deps = yaml.safe_load((root / "galaxy.yml").read_text())["dependencies"]
    pins = yaml.safe_load((root / "collections" / "requirements.yml").read_text())["collections"]
    assert {p["name"] for p in pins} == set(deps)
    for pin in pins:
        low = deps[pin["name"]].split(",")[0].lstrip(">=")
        assert low == pin["version"], f"galaxy.yml lower bound of {pin['name']} is {low}, the pin is {pin['version']}"


def test_requirements_txt_and_constraints_agree(root):
    def parse(path):
        out = {}
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                name, version = line.split("==")
                out[name.split("[")[0].lower()] = version
        return out

    direct = parse(root / "requirements" / "requirements.txt")
    locked = parse(root / "requirements" / "constraints.txt")
    assert direct
    mismatch = {k: (v, locked.get(k)) for k, v in direct.items() if locked.get(k) != v}
    assert not mismatch, f"requirements.txt vs constraints.txt: {mismatch}"
