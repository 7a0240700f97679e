# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Action for triptrip.platform.k8s_objects: kubernetes.core.k8s, with one readable diff per changed object."""

from __future__ import annotations

import os
import re

import yaml
from ansible.plugins.action import ActionBase

# Server bookkeeping that changes on every write and says nothing about the object.
_NOISE = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid")


def _clean(obj):
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = {k: v for k, v in out["metadata"].items() if k not in _NOISE}
    out.pop("status", None)
    return out


def _label(obj):
    meta = (obj or {}).get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{(obj or {}).get('kind', 'object')} {where}{meta.get('name', '?')}"


def lift_diffs(module_result):
    """The per-object diffs of a kubernetes.core.k8s result for a list of definitions, headed by object."""
    items = (module_result.get("result") or {}).get("results") if isinstance(module_result.get("result"), dict) else None
    if not isinstance(items, list):
        return []
    diffs = []
    for item in items:
        diff = item.get("diff")
        if not item.get("changed") or not isinstance(diff, dict):
            continue
        name = _label(item.get("result") or diff.get("after") or diff.get("before"))
        diffs.append({
            "before": _clean(diff.get("before") or {}),
            "after": _clean(diff.get("after") or {}),
            "before_header": name,
            "after_header": name,
        })
    return diffs


# What the Kubernetes client says when the API server cannot be reached or goes away mid-request.
_UNREACHABLE = re.compile(
    r"SSLError|MaxRetryError|Max retries exceeded|NewConnectionError|Connection refused|Connection reset|"
    r"RemoteDisconnected|ProtocolError|EOF occurred|timed out|Connection aborted|Name or service not known")


def api_server(args):
    """The API server's URL the task talks to: its host option, else its kubeconfig's context's cluster."""
    if args.get("host"):
        return args["host"]
    path = os.path.expanduser(str(args.get("kubeconfig") or os.environ.get("K8S_AUTH_KUBECONFIG")
                                  or os.environ.get("KUBECONFIG", "~/.kube/config")).split(os.pathsep, 1)[0])
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
        context_name = args.get("context") or config.get("current-context")
        context = next(c["context"] for c in config.get("contexts", []) if c["name"] == context_name)
        return next(c["cluster"]["server"] for c in config.get("clusters", []) if c["name"] == context["cluster"])
    except (OSError, yaml.YAMLError, StopIteration, KeyError, TypeError):
        return f"(the API server of {path})"


def explain_unreachable(result, args):
    """A clear message when the API server could not be reached: where, what was being done, what to do."""
    # ansible-core 2.19 carries a module's failure as an error summary (exception.event.msg) and no msg.
    event = getattr(result.get("exception"), "event", None)
    msg = str(result.get("msg") or getattr(event, "msg", "") or "")
    if not result.get("failed") or not _UNREACHABLE.search(msg):
        return result
    definitions = args.get("definition")
    count = len(definitions) if isinstance(definitions, list) else 1
    state = args.get("state", "present")
    done = ("Nothing was deleted: objects applied before the failure stay as they are." if state == "present"
            else "Objects deleted before the failure stay deleted.")
    result["msg"] = (
        f"The Kubernetes API server {api_server(args)} could not be reached or stopped answering while this task "
        f"sent {count} object(s) (state={state}). {done} Rerun the same command once the API answers; the run "
        f"converges from where it stopped. Client error: {msg}")
    result["api_unreachable"] = True
    return result


# The connection options triptrip.platform.k8s_sync_info shares with kubernetes.core.k8s.
_AUTH = ("kubeconfig", "context", "host", "api_key", "username", "password", "validate_certs", "ca_cert",
         "client_cert", "client_key", "proxy", "no_proxy", "proxy_headers", "persist_config", "impersonate_user",
         "impersonate_groups")


# The read is one more module run (about 0.7 s: Python and the Kubernetes client start again), which
# kubernetes.core.k8s spends on 50 to 100 objects: below this many, a no-op is as fast without it and a first
# converge (nothing in sync yet) faster (bench/: 86 objects on or off within noise at 22-23 s; 1700 objects 42 s -> 14 s).
READ_FIRST_MIN_OBJECTS = 100


def read_first_applies(args):
    """Whether the task is a server-side apply of a list long enough that reading the live objects first pays."""
    ssa = args.get("server_side_apply") or {}
    return bool(args.get("read_first", True) and args.get("state", "present") == "present" and args.get("apply")
                and isinstance(ssa, dict) and ssa.get("field_manager") and isinstance(args.get("definition"), list)
                and len(args["definition"]) >= READ_FIRST_MIN_OBJECTS)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        args = dict(self._task.args)
        read_first = read_first_applies(args)
        args.pop("read_first", None)
        skipped = 0
        if read_first:
            sync = self._execute_module(
                module_name="triptrip.platform.k8s_sync_info", task_vars=task_vars,
                module_args={**{k: args[k] for k in _AUTH if k in args}, "definitions": args["definition"],
                             "field_manager": args["server_side_apply"]["field_manager"]})
            if not sync.get("failed") and isinstance(sync.get("out_of_sync"), list):
                skipped = len(args["definition"]) - len(sync["out_of_sync"])
                args["definition"] = [args["definition"][i] for i in sync["out_of_sync"]]
        if read_first and not args["definition"]:
            return {"changed": False, "in_sync": skipped, "result": {"results": []}}
        result = self._execute_module(module_name="kubernetes.core.k8s", module_args=args, task_vars=task_vars)
        if read_first:
            result["in_sync"] = skipped
        result = explain_unreachable(result, args)
        diffs = lift_diffs(result)
        if diffs:
            result["diff"] = diffs
        return result
