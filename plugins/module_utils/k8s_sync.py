# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Whether a server-side apply of an object by one field manager would leave the object as it is.

Two conditions, both read from the object as the API server returns it:
1. every value the definition sets is already there (the definition is a subset of the live object; a false the
   server omits counts as there); and
2. the field manager's managedFields entry (operation Apply) holds exactly the fields the definition sets: a
   field the manager set before and the definition no longer has would be removed by the apply, and a field the
   definition sets that the manager does not own yet would be taken over.
Where either cannot be decided (an unknown list kind in managedFields, a quantity spelled otherwise than the
server stores it), the answer is no, and the object goes to the apply as before. A wrong "no" costs one
request; a wrong "yes" would hide drift, so every doubt falls on "no".
"""

from __future__ import annotations

import json
from collections import defaultdict

# Not tracked in managedFields: the object's identity.
_IDENTITY = {"apiVersion", "kind"}
_META_IDENTITY = {"name", "namespace"}


def subset(wanted, live):
    """Every value of `wanted` is in `live` (maps: recursively; lists: same length, element by element)."""
    if isinstance(wanted, dict):
        # A false the API server omits (a plain bool with omitempty: a PriorityClass's globalDefault) reads as absent;
        # in_sync still needs our field manager to own the field, so an absent field nobody applied stays "no".
        return isinstance(live, dict) and all(
            subset(v, live[k]) if k in live else v is False for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(live, list) and len(live) == len(wanted) and all(
            subset(w, c) for w, c in zip(wanted, live))
    if isinstance(wanted, bool) or isinstance(live, bool):
        return wanted is live
    return wanted == live


def _children(fields, prefix):
    return {k[len(prefix):]: v for k, v in (fields or {}).items() if k.startswith(prefix)}


def _equal(wanted, live):
    """Both ways a subset: the same values (a false the server omits aside)."""
    return subset(wanted, live) and subset(live, wanted)  # pylint: disable=arguments-out-of-order


def owns_exactly(wanted, fields, live=None):
    """The managedFields set `fields` (FieldsV1) is exactly the set of fields `wanted` sets (`live`: the object's
    value at the same place, for the atomic fields)."""
    if not isinstance(fields, dict):
        return False
    if any(not (k == "." or k.startswith(("f:", "k:", "v:"))) for k in fields):
        return False
    if isinstance(wanted, dict):
        owned = _children(fields, "f:")
        if set(owned) != set(wanted) or _children(fields, "k:") or _children(fields, "v:"):
            return False
        live = live if isinstance(live, dict) else {}
        return all(_value_owned(wanted[key], owned[key], live.get(key)) for key in wanted)
    return False


def _keyed(items, key):
    """The elements of an associative list whose key fields have `key`'s values."""
    return [e for e in items or [] if isinstance(e, dict) and all(e.get(k) == v for k, v in key.items())]


def _value_owned(value, fields, live=None):
    if isinstance(value, dict):
        if not value:  # an empty map is owned as a leaf
            return not _children(fields, "f:")
        if fields == {}:
            # An atomic map or struct (structType=atomic: a NetworkPolicy's podSelector) is owned whole, as a leaf:
            # the apply replaces it whole, so it is in sync only when the live value is exactly the one sent.
            return _equal(value, live)
        return owns_exactly(value, fields, live)
    if isinstance(value, list):
        keyed, listed = _children(fields, "k:"), _children(fields, "v:")
        if any(not (k == "." or k.startswith(("k:", "v:"))) for k in fields or {}):
            return False  # map fields or positional (i:) entries under a list: not a shape decided here
        if not keyed and not listed:
            # An atomic list (listType=atomic: a NetworkPolicy's ingress) is owned whole and replaced whole.
            return _equal(value, live)
        if keyed:  # an associative list: one entry per element, named by the element's key fields
            if listed or len(keyed) != len(value):
                return False
            for raw, element_fields in keyed.items():
                try:
                    key = json.loads(raw)
                except ValueError:
                    return False
                match, element = _keyed(value, key), _keyed(live, key)
                if len(match) != 1 or not owns_exactly(match[0], {k: v for k, v in element_fields.items() if k != "."},
                                                       element[0] if len(element) == 1 else None):
                    return False
            return True
        try:  # a set of scalars
            return sorted(json.dumps(json.loads(v), sort_keys=True) for v in listed) == sorted(
                json.dumps(v, sort_keys=True) for v in value)
        except ValueError:
            return False
    return not _children(fields, "f:") and not _children(fields, "k:") and not _children(fields, "v:")


def tracked(definition):
    """The part of a definition that managedFields tracks: without apiVersion, kind, metadata.name/namespace."""
    out = {k: v for k, v in definition.items() if k not in _IDENTITY}
    meta = {k: v for k, v in (out.get("metadata") or {}).items() if k not in _META_IDENTITY}
    if meta:
        out["metadata"] = meta
    else:
        out.pop("metadata", None)
    return out


def in_sync(definition, live, field_manager):
    """Whether a server-side apply of `definition` by `field_manager` would leave `live` as it is."""
    if not isinstance(live, dict) or not isinstance(definition, dict):
        return False
    entries = [e for e in (live.get("metadata") or {}).get("managedFields") or []
               if e.get("manager") == field_manager and e.get("operation") == "Apply"]
    if len(entries) != 1 or entries[0].get("apiVersion") != definition.get("apiVersion"):
        return False
    wanted = tracked(definition)
    return subset(wanted, live) and owns_exactly(wanted, entries[0].get("fieldsV1") or {}, live)


# Reading: one list request per kind, shared by the module k8s_sync_info and the action k8s_objects.
MANAGED_BY = "app.kubernetes.io/managed-by"


def groups(definitions):
    """Definitions by (apiVersion, kind), each with its index; Secrets and malformed ones left out."""
    found = defaultdict(list)
    for index, definition in enumerate(definitions):
        if not isinstance(definition, dict) or definition.get("kind") in (None, "Secret", "List"):
            continue
        if not (definition.get("metadata") or {}).get("name") or not definition.get("apiVersion"):
            continue
        found[(definition["apiVersion"], definition["kind"])].append((index, definition))
    return found


def selector(members):
    """The managed-by label selector when every definition of the kind has the same value, else None."""
    values = {((d.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) for _index, d in members}
    return f"{MANAGED_BY}={values.pop()}" if len(values) == 1 and None not in values else None


def live_objects(client, api_version, kind, label_selector):
    """{(namespace, name): object} of one kind, or None when it cannot be listed."""
    try:
        resource = client.resource(kind, api_version)
        listed = client.client.get(resource, label_selector=label_selector).to_dict()
    except Exception:  # noqa: BLE001 - any failure here only means: apply as usual
        return None
    return {((o.get("metadata") or {}).get("namespace") or "", o["metadata"]["name"]): o
            for o in listed.get("items") or []}


def plan(client, definitions, field_manager):
    """(in_sync, out_of_sync, lists): the indexes of each kind, and the list requests made."""
    synced, lists = set(), 0
    for (api_version, kind), members in groups(definitions).items():
        live = live_objects(client, api_version, kind, selector(members))
        lists += 1
        if live is None:
            continue
        for index, definition in members:
            meta = definition["metadata"]
            current = live.get((meta.get("namespace") or "", meta["name"]))
            if in_sync(definition, current, field_manager):
                synced.add(index)
    return sorted(synced), [i for i in range(len(definitions)) if i not in synced], lists


def existing(client, definitions):
    """Indexes of the definitions whose object exists, or whose existence cannot be decided (kept, to be sent); an
    object that is not found, or whose kind the API server does not know (its CRD gone with its release), is left
    out: there is nothing to delete."""
    try:
        from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError
    except ImportError:
        return list(range(len(definitions)))
    kept = []
    for index, definition in enumerate(definitions):
        meta = (definition.get("metadata") or {}) if isinstance(definition, dict) else {}
        try:
            resource = client.resource(definition["kind"], definition["apiVersion"])
            client.client.get(resource, name=meta["name"], namespace=meta.get("namespace"))
        except (NotFoundError, ResourceNotFoundError):
            continue
        except Exception:  # noqa: BLE001 - undecided: the delete is sent as before
            pass
        kept.append(index)
    return kept
