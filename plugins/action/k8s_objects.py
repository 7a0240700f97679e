# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Action for triptrip.platform.k8s_objects: kubernetes.core.k8s, with one readable diff per changed object."""

from __future__ import annotations

import os
import re

import yaml
from ansible.plugins.action import ActionBase

from ansible_collections.triptrip.platform.plugins.module_utils.k8s_sync import existing, plan

try:
    # At load, not at use: the strategy loads this action in ansible-playbook's own process, so every task's worker
    # forked after that starts with the Kubernetes client imported (reads here, the kubernetes.core.k8s lookups)
    # instead of importing it again, which costs a third of a second each.
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
except ImportError:  # kubernetes.core or the kubernetes package missing: every object is sent, as without a read
    get_api_client = None

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


# The connection options of kubernetes.core.k8s, for the client of the read.
_AUTH = ("kubeconfig", "context", "host", "api_key", "username", "password", "validate_certs", "ca_cert",
         "client_cert", "client_key", "proxy", "no_proxy", "proxy_headers", "persist_config", "impersonate_user",
         "impersonate_groups")


def read_first_applies(args):
    """Whether the task is a server-side apply of a list, whose objects are read first to send only those it changes."""
    ssa = args.get("server_side_apply") or {}
    return bool(args.get("read_first", True) and args.get("state", "present") == "present" and args.get("apply")
                and isinstance(ssa, dict) and ssa.get("field_manager") and isinstance(args.get("definition"), list)
                and args["definition"])


def deletes_a_list(args):
    """Whether the task deletes a list of objects, each to be looked up first (most runs find them gone already)."""
    return bool(args.get("read_first", True) and args.get("state") == "absent" and isinstance(args.get("definition"), list)
                and args["definition"] and not args.get("label_selectors"))


def client_for(args):
    """A Kubernetes client in this process, with the task's connection options (module_defaults included): a read
    here costs the requests, where a module run would cost Python and the client starting again (about 0.7 s). The
    Kubernetes layer runs on the controller (the clusters' hosts are local, and the plays read Helm's releases with
    the kubernetes.core.k8s lookup, in process, too). None when no client can be made: the task then sends all."""
    if get_api_client is None:
        return None
    try:
        return get_api_client(**{k: args[k] for k in _AUTH if k in args})
    except Exception:  # noqa: BLE001 - no read: every object goes to kubernetes.core.k8s, which reports the cause
        return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        args = dict(self._task.args)
        read_first, deleting = read_first_applies(args), deletes_a_list(args)
        args.pop("read_first", None)
        if isinstance(args.get("definition"), list) and not args["definition"] and not args.get("kind"):
            # Nothing to send (a prune that found nothing stale): kubernetes.core.k8s would start only to say so.
            return {"changed": False, "result": {"results": []}}
        client = client_for(args) if read_first or deleting else None
        skipped = 0
        if client is not None and read_first:
            _synced, out_of_sync, _lists = plan(client, args["definition"], args["server_side_apply"]["field_manager"])
            skipped = len(args["definition"]) - len(out_of_sync)
            args["definition"] = [args["definition"][i] for i in out_of_sync]
        elif client is not None and deleting:
            args["definition"] = [args["definition"][i] for i in existing(client, args["definition"])]
        if client is not None and not args["definition"]:
            return {"changed": False, **({"in_sync": skipped} if read_first else {}), "result": {"results": []}}
        result = self._execute_module(module_name="kubernetes.core.k8s", module_args=args, task_vars=task_vars)
        if client is not None and read_first:
            result["in_sync"] = skipped
        result = explain_unreachable(result, args)
        diffs = lift_diffs(result)
        if diffs:
            result["diff"] = diffs
        return result
