"""playbooks/render.yml of an inventory, once per test session: the tests that read the rendered objects (static scan,
network flows, workload owner) share it across pytest-xdist workers through a folder of the session's base temp
and a file lock, so production is rendered once per run, not once per test module."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from filelock import FileLock


def session_dir(tmp_path_factory) -> Path:
    """A folder every xdist worker of this session sees (the workers' base temps share a parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


def render(root: Path, env: dict, tmp_path_factory, inventory: str, *args: str) -> Path:
    """The render folder of inventories/<inventory> (with more ansible-playbook arguments), rendered on the first
    call. Returns the folder of the inventory's one host."""
    key = "-".join([inventory, *(a.strip("-").replace("=", "-") for a in args)])
    out = session_dir(tmp_path_factory) / f"render-{key}"
    with FileLock(str(out) + ".lock"):
        done = out.with_name(out.name + ".done.json")
        if not done.exists():
            cmd = ["ansible-playbook", "playbooks/render.yml", "-i", f"inventories/{inventory}",
                   "-e", f"platform_render_dir={out}", *args]
            res = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=900, check=False)
            assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
            [host] = [p.name for p in out.iterdir() if p.is_dir()]
            done.write_text(json.dumps({"host": host}))
        return out / json.loads(done.read_text())["host"]


def documents(folder: Path) -> list[dict]:
    """The Kubernetes objects of the rendered files (the release files hold chart and values, not objects)."""
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        if not path.name.endswith(".release.yaml"):
            docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs
