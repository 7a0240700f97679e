# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Capacity report of a scheduled cluster: what the scheduler placed where, against the spec's targets
(Doc-IA-002 1.2.1: CPU 60-70 %, memory 70-80 %, 30-50 pods per node), why pods stay Pending, and whether the
placed pods keep their topology spread constraints and pod anti-affinity. Shared by the filters
capacity_report, capacity_markdown and capacity_svg. Pure Python, deterministic: same input, same output."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from decimal import ROUND_CEILING, Decimal
from xml.sax.saxutils import escape, quoteattr

GROUP_LABEL = "triptrip.io/kwok-node-group"
ZONE_LABEL = "topology.kubernetes.io/zone"
UNGROUPED = "(unlabelled)"  # not a valid label value, so it cannot collide with a node group's name
DEFAULT_TARGETS = {"pods_per_node": [30, 50], "cpu_pct": [60, 70], "memory_pct": [70, 80]}
TERMINATED = ("Succeeded", "Failed")
RESOURCES = ("cpu", "memory")
HARD_TAINT_EFFECTS = ("NoSchedule", "NoExecute")  # PreferNoSchedule does not keep a pod off a node

# --------------------------------------------------------------------------------------------------- quantities

_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
            "P": Decimal(10**15), "E": Decimal(10**18)}


def parse_quantity(value) -> Decimal:
    """A Kubernetes resource quantity (``100m``, ``1.5Gi``, ``129M``, ``1e3``, ``2``) as an exact Decimal.
    ``E`` alone is exa; ``E`` or ``e`` followed by digits is a decimal exponent, as in apimachinery."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    number, suffix = Decimal(match[1]), match[2] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number.scaleb(int(suffix[1:]))


def _ceil(value: Decimal) -> int:
    # Quantity.MilliValue()/Value() round up: 0.5m of CPU is 1m, never 0.
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def cpu_millis(value) -> int:
    """CPU quantity in millicores, rounded up."""
    return _ceil(parse_quantity(value) * 1000)


def quantity_value(value) -> int:
    """Quantity as a whole number (bytes for memory, count for pods), rounded up."""
    return _ceil(parse_quantity(value))


def _amount(resource: str, value) -> int:
    return cpu_millis(value) if resource == "cpu" else quantity_value(value)


# ----------------------------------------------------------------------------------------------------- requests

def _requests_of(resources: dict | None) -> dict:
    # The API server defaults a missing request to the limit; do the same for objects built by hand.
    resources = resources or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    out = {}
    for name in RESOURCES:
        value = requests.get(name, limits.get(name))
        if value is not None:
            out[name] = _amount(name, value)
    return out


def pod_requests(pod: dict) -> dict:
    """The pod's effective request per resource (``cpu`` in millicores, ``memory`` in bytes), as the scheduler
    counts it (k8s.io/component-helpers resource.PodRequests): the larger of the app containers' sum (sidecars,
    that is init containers with ``restartPolicy: Always``, included) and the largest init container (plus the
    sidecars started before it), then pod-level ``spec.resources`` where set, plus ``spec.overhead``."""
    spec = pod.get("spec") or {}
    total = dict.fromkeys(RESOURCES, 0)
    for container in spec.get("containers") or []:
        for name, value in _requests_of(container.get("resources")).items():
            total[name] += value
    sidecars = dict.fromkeys(RESOURCES, 0)
    init_peak = dict.fromkeys(RESOURCES, 0)
    for container in spec.get("initContainers") or []:
        request = _requests_of(container.get("resources"))
        if container.get("restartPolicy") == "Always":
            for name in RESOURCES:
                total[name] += request.get(name, 0)
                sidecars[name] += request.get(name, 0)
            need = dict(sidecars)
        else:
            need = {name: request.get(name, 0) + sidecars[name] for name in RESOURCES}
        init_peak = {name: max(init_peak[name], need[name]) for name in RESOURCES}
    result = {name: max(total[name], init_peak[name]) for name in RESOURCES}
    result.update(_requests_of(spec.get("resources")))  # pod-level resources replace the containers' sum
    for name, value in (spec.get("overhead") or {}).items():
        if name in result:
            result[name] += _amount(name, value)
    return result


# -------------------------------------------------------------------------------------------------- object bits

def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _labels(obj: dict) -> dict:
    return {str(k): str(v) for k, v in (_meta(obj).get("labels") or {}).items()}


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _live(pod: dict) -> bool:
    # Pods being deleted are on their way out: the scheduler stops counting them for spreading and
    # anti-affinity, and a pending one will never be placed.
    return (pod.get("status") or {}).get("phase") not in TERMINATED and not _meta(pod).get("deletionTimestamp")


def owner_of(pod: dict) -> str:
    """``Kind/name`` of the workload that owns the pod: a ReplicaSet with the pod-template-hash suffix is its
    Deployment; StatefulSet, DaemonSet, Job and others as they are; a bare pod is ``Pod/<name>``."""
    meta = _meta(pod)
    refs = meta.get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    if ref is None:
        return f"Pod/{meta.get('name', '')}"
    kind, name = ref.get("kind", ""), ref.get("name", "")
    template_hash = _labels(pod).get("pod-template-hash")
    if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
        return f"Deployment/{name[:-len(template_hash) - 1]}"
    return f"{kind}/{name}"


def _short_key(topology_key: str) -> str:
    return topology_key.rsplit("/", 1)[-1]


# -------------------------------------------------------------------------------------------------- selectors

def _requirement_matches(expr: dict, labels: dict) -> bool:
    key, operator = expr.get("key"), expr.get("operator")
    values = [str(v) for v in expr.get("values") or []]
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator in ("Gt", "Lt"):  # node selector requirements only
        try:
            have, want = int(labels[key]), int(values[0])
        except (KeyError, IndexError, ValueError):
            return False
        return have > want if operator == "Gt" else have < want
    raise ValueError(f"unsupported selector operator {operator!r} (key {key!r})")


def selector_matches(selector: dict | None, labels: dict) -> bool:
    """A metav1.LabelSelector: ``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists, DoesNotExist), all
    ANDed. A missing selector matches nothing, an empty one everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    return all(_requirement_matches(expr, labels) for expr in selector.get("matchExpressions") or [])


def _with_label_keys(selector: dict | None, labels: dict, match_keys=(), mismatch_keys=()) -> dict | None:
    # matchLabelKeys/mismatchLabelKeys: the pod's own values join the selector (keys it lacks are ignored).
    if selector is None or not (match_keys or mismatch_keys):
        return selector
    exprs = list(selector.get("matchExpressions") or [])
    exprs += [{"key": k, "operator": "In", "values": [labels[k]]} for k in match_keys or [] if k in labels]
    exprs += [{"key": k, "operator": "NotIn", "values": [labels[k]]} for k in mismatch_keys or [] if k in labels]
    return {**selector, "matchExpressions": exprs}


def _node_term_matches(term: dict, node: dict) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty nodeSelectorTerm matches no node
    labels = _labels(node)
    name = {"metadata.name": _meta(node).get("name", "")}
    return all(_requirement_matches(e, labels) for e in exprs) and all(_requirement_matches(f, name) for f in fields)


def node_matches_pod(node: dict, pod_spec: dict) -> bool:
    """The pod's ``nodeSelector`` and required node affinity (terms ORed, expressions ANDed) accept the node."""
    labels = _labels(node)
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != str(value):
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    return any(_node_term_matches(term, node) for term in required.get("nodeSelectorTerms") or [])


def tolerates(tolerations: list | None, taint: dict) -> bool:
    """One of the tolerations tolerates the taint (operator Exists with no key tolerates every taint)."""
    for toleration in tolerations or []:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        key = toleration.get("key") or ""
        if key and key != taint.get("key"):
            continue
        operator = toleration.get("operator") or "Equal"
        if operator == "Exists":
            return True
        if operator == "Equal" and key and str(toleration.get("value") or "") == str(taint.get("value") or ""):
            return True
    return False


def node_tolerated(node: dict, pod_spec: dict) -> bool:
    """The pod tolerates every NoSchedule and NoExecute taint of the node."""
    return all(tolerates(pod_spec.get("tolerations"), taint) for taint in _spec(node).get("taints") or []
               if taint.get("effect") in HARD_TAINT_EFFECTS)


# ------------------------------------------------------------------------------------------------------ targets

def _targets(targets: dict | None) -> dict:
    merged = {key: list(band) for key, band in DEFAULT_TARGETS.items()}
    for key, band in (targets or {}).items():
        if key not in DEFAULT_TARGETS:
            raise ValueError(f"capacity target {key!r} is not one of {', '.join(DEFAULT_TARGETS)}")
        if (not isinstance(band, (list, tuple)) or len(band) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in band)
                or band[0] > band[1]):
            raise ValueError(f"capacity target {key}={band!r} must be [low, high] numbers with low <= high")
        merged[key] = list(band)
    return merged


def position(value, band) -> str | None:
    """``below``, ``within`` or ``above`` the inclusive band; None without a value."""
    if value is None:
        return None
    if value < band[0]:
        return "below"
    if value > band[1]:
        return "above"
    return "within"


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# ---------------------------------------------------------------------------------------------- pending reasons

_AVAILABLE = re.compile(r"^\d+/\d+ nodes are available:\s*(.*)$", re.DOTALL)


def scheduler_predicates(message: str) -> list[str]:
    """The distinct predicate texts of a FailedScheduling message, counts dropped:
    ``0/125 nodes are available: 50 Insufficient cpu, 75 node(s) had untolerated taint {a: b}. preemption: ...``
    gives ``['Insufficient cpu', 'node(s) had untolerated taint {a: b}']``. Other messages are kept whole."""
    match = _AVAILABLE.match((message or "").strip())
    if not match:
        return [message.strip()] if message and message.strip() else []
    body = re.split(r"\.(?:\s|$)", match[1], maxsplit=1)[0]  # the preemption report follows the first ". "
    parts = re.split(r",\s*(?=\d+\s)", body)
    return sorted({re.sub(r"^\d+\s+", "", part).strip() for part in parts if part.strip()})


def _pending_entry(pod: dict) -> dict:
    meta = _meta(pod)
    condition = next((c for c in (pod.get("status") or {}).get("conditions") or []
                      if c.get("type") == "PodScheduled" and c.get("status") == "False"), {})
    return {"namespace": meta.get("namespace", ""), "name": meta.get("name", ""), "owner": owner_of(pod),
            "reason": condition.get("reason") or "Unknown", "message": condition.get("message") or ""}


def _pending_by_reason(pending: list[dict]) -> list[dict]:
    grouped: dict = defaultdict(list)
    for entry in pending:
        predicates = scheduler_predicates(entry["message"])
        grouped[(entry["reason"], tuple(predicates))].append(entry)
    summary = [{"reason": reason, "summary": "; ".join(predicates) or "(no scheduler message)",
                "predicates": list(predicates), "count": len(entries),
                "examples": [f"{e['namespace']}/{e['name']}" for e in entries[:10]]}
               for (reason, predicates), entries in grouped.items()]
    return sorted(summary, key=lambda s: (-s["count"], s["reason"], s["summary"]))


# -------------------------------------------------------------------------------------- spread and anti-affinity

def _counts_text(counts: dict, limit: int = 10) -> str:
    if len(counts) <= limit:
        return ", ".join(f"{domain}={count}" for domain, count in sorted(counts.items()))
    low, high = min(counts.values()), max(counts.values())
    return (f"{len(counts)} domains, min {low} ({sum(1 for c in counts.values() if c == low)} domains), "
            f"max {high} ({sum(1 for c in counts.values() if c == high)} domains)")


class _Cluster:
    """Indexes of the report's input that the spread and anti-affinity checks share."""

    def __init__(self, nodes: list[dict], bound: list[dict]):
        self.nodes = nodes
        self.node_by_name = {_meta(n).get("name"): n for n in nodes}
        self.by_namespace: dict = defaultdict(list)
        for pod in bound:
            if _spec(pod).get("nodeName") in self.node_by_name:
                self.by_namespace[_meta(pod).get("namespace", "")].append(pod)

    def domain(self, pod: dict, topology_key: str) -> str | None:
        node = self.node_by_name.get(_spec(pod).get("nodeName"))
        return _labels(node).get(topology_key) if node else None


def _spread_results(cluster: _Cluster, owner: str, namespace: str, template: dict) -> list[dict]:
    spec, labels = _spec(template), _labels(template)
    constraints = spec.get("topologySpreadConstraints") or []
    results = []
    for constraint in constraints:
        when = constraint.get("whenUnsatisfiable") or "DoNotSchedule"
        hard = when == "DoNotSchedule"
        key = constraint.get("topologyKey", "")
        max_skew = int(constraint.get("maxSkew", 1))
        min_domains = constraint.get("minDomains")
        # The scheduler only counts nodes that carry every topology key of the pod's constraints of this kind.
        keys = {c.get("topologyKey", "") for c in constraints
                if ((c.get("whenUnsatisfiable") or "DoNotSchedule") == "DoNotSchedule") == hard}
        affinity_policy = constraint.get("nodeAffinityPolicy") or "Honor"
        taints_policy = constraint.get("nodeTaintsPolicy") or "Ignore"  # kube-scheduler's default
        selector = _with_label_keys(constraint.get("labelSelector"), labels, constraint.get("matchLabelKeys"))
        counts: dict = {}
        eligible: dict = {}
        for node in cluster.nodes:
            node_labels = _labels(node)
            if not keys <= set(node_labels):
                continue
            if affinity_policy == "Honor" and not node_matches_pod(node, spec):
                continue
            if taints_policy == "Honor" and not node_tolerated(node, spec):
                continue
            eligible[_meta(node).get("name")] = node_labels[key]
            counts.setdefault(node_labels[key], 0)
        for pod in cluster.by_namespace.get(namespace, []):
            node_name = _spec(pod).get("nodeName")
            if node_name in eligible and selector_matches(selector, _labels(pod)):
                counts[eligible[node_name]] += 1
        if counts:
            low = min(counts.values())
            if hard and min_domains and len(counts) < int(min_domains):
                low = 0  # fewer eligible domains than minDomains: the global minimum is taken as 0
            skew = max(counts.values()) - low
            detail = f"{_counts_text(counts)}; skew {skew}"
        else:
            skew, detail = 0, "no eligible domain"
        rule = f"topologySpread {_short_key(key)} maxSkew={max_skew} {when}"
        if min_domains:
            rule += f" minDomains={min_domains}"
        detail += f" (nodeAffinityPolicy {affinity_policy}, nodeTaintsPolicy {taints_policy})"
        results.append({"owner": owner, "namespace": namespace, "kind": "topologySpread", "rule": rule,
                        "hard": hard, "held": skew <= max_skew, "skew": skew, "max_skew": max_skew,
                        "counts": dict(sorted(counts.items())), "detail": detail})
    return results


def _anti_affinity_result(cluster: _Cluster, owner: str, namespace: str, members: list[dict], template: dict,
                          term: dict, hard: bool, rule: str) -> dict:
    key = term.get("topologyKey", "")
    selector = _with_label_keys(term.get("labelSelector"), _labels(template), term.get("matchLabelKeys"),
                                term.get("mismatchLabelKeys"))
    namespace_selector = term.get("namespaceSelector")
    notes = []
    if namespace_selector == {}:
        namespaces = sorted(cluster.by_namespace)
    else:
        namespaces = sorted(set(term.get("namespaces") or []) or {namespace})
        if namespace_selector:
            # Namespace labels are not part of the input: only the named namespaces (or the pod's) are checked.
            namespaces = sorted(set(namespaces) | {namespace})
            notes.append("namespaceSelector not evaluated")
    matching: Counter = Counter()
    for ns in namespaces:
        for pod in cluster.by_namespace.get(ns, []):
            domain = cluster.domain(pod, key)
            if domain is not None and selector_matches(selector, _labels(pod)):
                matching[domain] += 1
    violations: dict = {}
    placed = Counter()
    for pod in members:
        domain = cluster.domain(pod, key)
        if domain is None:
            continue
        placed[domain] += 1
        in_scope = _meta(pod).get("namespace", "") in namespaces
        others = matching[domain] - (1 if in_scope and selector_matches(selector, _labels(pod)) else 0)
        if others > 0:
            violations[domain] = matching[domain]
    if violations:
        detail = "matching pods sharing a domain: " + _counts_text(violations)
    else:
        detail = f"{sum(placed.values())} pods in {len(placed)} {_short_key(key)} domains, none shares one"
    if notes:
        detail += f" ({'; '.join(notes)})"
    return {"owner": owner, "namespace": namespace, "kind": "podAntiAffinity", "rule": rule, "hard": hard,
            "held": not violations, "counts": dict(sorted(violations.items())), "detail": detail}


def _anti_affinity_results(cluster: _Cluster, owner: str, namespace: str, members: list[dict],
                           template: dict) -> list[dict]:
    anti = ((_spec(template).get("affinity") or {}).get("podAntiAffinity")) or {}
    results = []
    for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
        rule = f"podAntiAffinity {_short_key(term.get('topologyKey', ''))} required"
        results.append(_anti_affinity_result(cluster, owner, namespace, members, template, term, True, rule))
    for preferred in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        term = preferred.get("podAffinityTerm") or {}
        rule = (f"podAntiAffinity {_short_key(term.get('topologyKey', ''))} preferred "
                f"weight={preferred.get('weight', 0)}")
        results.append(_anti_affinity_result(cluster, owner, namespace, members, template, term, False, rule))
    return results


# ------------------------------------------------------------------------------------------------------- report

def capacity_report(nodes, pods, targets=None, group_label=GROUP_LABEL) -> dict:
    """See plugins/filter/capacity_report.py for the returned dict."""
    targets = _targets(targets)
    nodes = sorted(nodes or [], key=lambda n: _meta(n).get("name", ""))
    live = sorted((p for p in pods or [] if _live(p)),
                  key=lambda p: (_meta(p).get("namespace", ""), _meta(p).get("name", "")))
    bound = [p for p in live if _spec(p).get("nodeName")]
    unbound = [p for p in live if not _spec(p).get("nodeName")]

    usage: dict = defaultdict(lambda: {"pods": 0, "cpu": 0, "memory": 0})
    for pod in bound:
        entry = usage[_spec(pod).get("nodeName")]
        entry["pods"] += 1
        for name, value in pod_requests(pod).items():
            entry[name] += value

    node_rows = []
    for node in nodes:
        name, labels = _meta(node).get("name", ""), _labels(node)
        status = node.get("status") or {}
        allocatable = {**(status.get("capacity") or {}), **(status.get("allocatable") or {})}
        used = usage[name]
        cpu_alloc = cpu_millis(allocatable["cpu"]) if "cpu" in allocatable else 0
        mem_alloc = quantity_value(allocatable["memory"]) if "memory" in allocatable else 0
        node_rows.append({
            "name": name, "group": labels.get(group_label, UNGROUPED), "zone": labels.get(ZONE_LABEL, ""),
            "pods": used["pods"],
            "cpu_requested_m": used["cpu"], "cpu_allocatable_m": cpu_alloc,
            "memory_requested_bytes": used["memory"], "memory_allocatable_bytes": mem_alloc,
            "cpu_pct": _pct(used["cpu"], cpu_alloc), "memory_pct": _pct(used["memory"], mem_alloc),
            "pods_in_target": position(used["pods"], targets["pods_per_node"]) == "within",
        })

    groups = {}
    for group in sorted({row["group"] for row in node_rows}):
        rows = [row for row in node_rows if row["group"] == group]
        per_node = [row["pods"] for row in rows]
        cpu = (sum(r["cpu_requested_m"] for r in rows), sum(r["cpu_allocatable_m"] for r in rows))
        mem = (sum(r["memory_requested_bytes"] for r in rows), sum(r["memory_allocatable_bytes"] for r in rows))
        avg = round(sum(per_node) / len(per_node), 1)
        cpu_pct, mem_pct = _pct(*cpu), _pct(*mem)
        groups[group] = {
            "nodes": len(rows), "pods": sum(per_node), "nodes_with_pods": sum(1 for p in per_node if p),
            "pods_per_node_min": min(per_node), "pods_per_node_avg": avg, "pods_per_node_max": max(per_node),
            "pods_per_node_in_target": position(avg, targets["pods_per_node"]) == "within",
            "nodes_in_pod_target": sum(1 for r in rows if r["pods_in_target"]),
            "cpu_requested_m": cpu[0], "cpu_allocatable_m": cpu[1],
            "memory_requested_bytes": mem[0], "memory_allocatable_bytes": mem[1],
            "cpu_pct": cpu_pct, "memory_pct": mem_pct,
            "cpu_in_target": position(cpu_pct, targets["cpu_pct"]) == "within",
            "memory_in_target": position(mem_pct, targets["memory_pct"]) == "within",
        }

    pending = [_pending_entry(p) for p in unbound]

    cluster = _Cluster(nodes, bound)
    workloads: dict = defaultdict(list)
    for pod in live:
        workloads[(_meta(pod).get("namespace", ""), owner_of(pod))].append(pod)
    spread = []
    for (namespace, owner), members in sorted(workloads.items()):
        if owner.startswith("DaemonSet/"):
            continue  # one pod per node by construction: nothing to spread
        template = members[0]
        placed = [p for p in members if _spec(p).get("nodeName")]
        spread += _spread_results(cluster, owner, namespace, template)
        spread += _anti_affinity_results(cluster, owner, namespace, placed, template)

    return {
        "nodes": node_rows,
        "groups": groups,
        "pending": pending,
        "pending_count": len(pending),
        "pending_by_reason": _pending_by_reason(pending),
        "spread": spread,
        "spread_all_hard_held": all(r["held"] for r in spread if r["hard"]),
        "totals": {"nodes": len(node_rows), "pods": len(bound), "pending": len(pending), "targets": targets},
    }


# ----------------------------------------------------------------------------------------------------- markdown

def _num(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _judged(value, band) -> str:
    where = position(value, band)
    if where is None:
        return "n/a"
    return f"{'✓' if where == 'within' else '✗'} {where}"


def _cell(text) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _band(band) -> str:
    return f"{_num(band[0])}-{_num(band[1])}"


def capacity_markdown(report: dict) -> str:
    """See plugins/filter/capacity_markdown.py."""
    targets = _targets((report.get("totals") or {}).get("targets"))
    pods_band, cpu_band, mem_band = targets["pods_per_node"], targets["cpu_pct"], targets["memory_pct"]
    totals = report.get("totals") or {}
    lines = [
        "## Capacity by node group",
        "",
        f"{totals.get('nodes', 0)} nodes, {totals.get('pods', 0)} pods bound, {totals.get('pending', 0)} pending. "
        "CPU and memory are requests as a share of allocatable.",
        "",
        f"| Group | Nodes | Pods | Pods/node min / avg / max (target {_band(pods_band)}) | Nodes in pod target "
        f"| CPU % (target {_band(cpu_band)}) | Memory % (target {_band(mem_band)}) |",
        "|---|---:|---:|---|---:|---|---|",
    ]
    for name, group in (report.get("groups") or {}).items():
        lines.append(
            f"| {_cell(name)} | {group['nodes']} | {group['pods']} "
            f"| {group['pods_per_node_min']} / {_num(group['pods_per_node_avg'])} / {group['pods_per_node_max']} "
            f"{_judged(group['pods_per_node_avg'], pods_band)} "
            f"| {group.get('nodes_in_pod_target', 0)}/{group['nodes']} "
            f"| {_num(group['cpu_pct'])} {_judged(group['cpu_pct'], cpu_band)} "
            f"| {_num(group['memory_pct'])} {_judged(group['memory_pct'], mem_band)} |")

    lines += ["", f"## Pending pods: {report.get('pending_count', 0)}", ""]
    if report.get("pending_by_reason"):
        lines += ["| Count | Reason | Scheduler predicates | Examples |", "|---:|---|---|---|"]
        for entry in report["pending_by_reason"]:
            lines.append(f"| {entry['count']} | {_cell(entry['reason'])} | {_cell(entry['summary'])} "
                         f"| {_cell(', '.join(entry['examples']))} |")
        lines += ["", "| Namespace | Pod | Owner | Reason |", "|---|---|---|---|"]
        for entry in (report.get("pending") or [])[:10]:
            lines.append(f"| {_cell(entry['namespace'])} | {_cell(entry['name'])} | {_cell(entry['owner'])} "
                         f"| {_cell(entry['reason'])} |")
        if len(report.get("pending") or []) > 10:
            lines.append(f"\n{len(report['pending']) - 10} more pending pods not listed.")
    else:
        lines.append("Every pod is bound to a node.")

    spread = report.get("spread") or []
    verdict = "every hard rule held" if report.get("spread_all_hard_held", True) else "a hard rule is broken"
    lines += ["", f"## Topology spread and anti-affinity: {verdict}", ""]
    if spread:
        lines += ["| Workload | Rule | Hard/soft | Held | Detail |", "|---|---|---|---|---|"]
        for entry in spread:
            lines.append(f"| {_cell(entry['namespace'])}/{_cell(entry['owner'])} | {_cell(entry['rule'])} "
                         f"| {'hard' if entry['hard'] else 'soft'} | {'✓ held' if entry['held'] else '✗ broken'} "
                         f"| {_cell(entry['detail'])} |")
    else:
        lines.append("No workload declares topology spread constraints or pod anti-affinity.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------- svg

_COLOURS = {"pods": "#4e79a7", "cpu": "#f28e2b", "memory": "#59a14f", "axis": "#333333", "grid": "#dddddd"}


def _f(value: float) -> str:
    return f"{value:.1f}"


def _nice_max(value: float, step: int) -> int:
    return max(step, int(math.ceil(value / step) * step))


def capacity_svg(report: dict, title: str = "") -> str:
    """See plugins/filter/capacity_svg.py."""
    targets = _targets((report.get("totals") or {}).get("targets"))
    groups = report.get("groups") or {}
    title = title or "Capacity by node group"
    left, right, top, plot_h, bottom = 80, 80, 100, 280, 80
    width = max(720, left + len(groups) * 170 + right)  # the legend needs 720
    group_w = (width - left - right) / max(1, len(groups))
    height = top + plot_h + bottom
    base = top + plot_h

    pods_values = [g["pods_per_node_max"] for g in groups.values()] + [targets["pods_per_node"][1]]
    pods_max = _nice_max(max(pods_values) * 1.1, 10)
    pct_values = [v for g in groups.values() for v in (g["cpu_pct"], g["memory_pct"]) if v is not None]
    pct_max = _nice_max(max(pct_values + [100.0]), 10)

    def y_pods(value):
        return base - plot_h * min(value, pods_max) / pods_max

    def y_pct(value):
        return base - plot_h * min(value, pct_max) / pct_max

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label={quoteattr(title)} font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_f(width / 2)}" y="28" text-anchor="middle" font-size="18" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    legend = [("pods", f"Pods per node (avg, whisker min-max; target {_band(targets['pods_per_node'])})"),
              ("cpu", f"CPU requested % (target {_band(targets['cpu_pct'])})"),
              ("memory", f"Memory requested % (target {_band(targets['memory_pct'])})")]
    out.append('<g class="legend">')
    for i, (key, text) in enumerate(legend):
        x, y = left + (i % 2) * 360, 48 + (i // 2) * 18
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{_COLOURS[key]}"/>')
        out.append(f'<text x="{x + 18}" y="{y + 10}">{escape(text)}</text>')
    x, y = left + 360, 66
    out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="#999999" fill-opacity="0.25" '
               f'stroke="#999999" stroke-dasharray="3,2"/>')
    out.append(f'<text x="{x + 18}" y="{y + 10}">shaded: target band</text>')
    out.append("</g>")

    # Axes: pods per node on the left (with the grid), percent on the right.
    out.append('<g class="axes">')
    plot_right = width - right
    step = 10 if pods_max <= 100 else _nice_max(pods_max / 8, 10)
    for tick in range(0, pods_max + 1, step):
        y = _f(y_pods(tick))
        out.append(f'<line x1="{left}" y1="{y}" x2="{plot_right}" y2="{y}" stroke="{_COLOURS["grid"]}"/>')
        out.append(f'<text x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">{tick}</text>')
    for tick in range(0, pct_max + 1, 20):
        y = _f(y_pct(tick))
        out.append(f'<line x1="{plot_right}" y1="{y}" x2="{plot_right + 4}" y2="{y}" stroke="{_COLOURS["axis"]}"/>')
        out.append(f'<text x="{plot_right + 8}" y="{y}" dominant-baseline="middle">{tick}%</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{_COLOURS["axis"]}"/>')
    out.append(f'<line x1="{plot_right}" y1="{top}" x2="{plot_right}" y2="{base}" stroke="{_COLOURS["axis"]}"/>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{plot_right}" y2="{base}" stroke="{_COLOURS["axis"]}"/>')
    mid = _f(top + plot_h / 2)
    out.append(f'<text x="22" y="{mid}" text-anchor="middle" transform="rotate(-90 22 {mid})">Pods per node</text>')
    rx = width - 20
    out.append(f'<text x="{rx}" y="{mid}" text-anchor="middle" transform="rotate(90 {rx} {mid})">'
               "Requested / allocatable (%)</text>")
    out.append(f'<text x="{_f((left + plot_right) / 2)}" y="{height - 12}" text-anchor="middle">Node group</text>')
    out.append("</g>")

    bar_w, gap = 34, 10
    for i, (name, group) in enumerate(groups.items()):
        x0 = left + i * group_w + (group_w - 3 * bar_w - 2 * gap) / 2
        out.append(f'<g class="node-group" data-group={quoteattr(name)}>')
        bars = [("pods", group["pods_per_node_avg"], targets["pods_per_node"], y_pods),
                ("cpu", group["cpu_pct"], targets["cpu_pct"], y_pct),
                ("memory", group["memory_pct"], targets["memory_pct"], y_pct)]
        for j, (key, value, band, scale) in enumerate(bars):
            x = x0 + j * (bar_w + gap)
            colour = _COLOURS[key]
            band_top, band_bottom = scale(band[1]), scale(band[0])
            out.append(f'<rect class="target-band" x="{_f(x - 4)}" y="{_f(band_top)}" width="{bar_w + 8}" '
                       f'height="{_f(band_bottom - band_top)}" fill="{colour}" fill-opacity="0.2" stroke="{colour}" '
                       f'stroke-dasharray="3,2"/>')
            if value is None:
                out.append(f'<text x="{_f(x + bar_w / 2)}" y="{_f(base - 4)}" text-anchor="middle">n/a</text>')
                continue
            y = scale(value)
            tip = escape(f"{name}: {key} {_num(value)}")
            out.append(f'<rect class="bar {key}" x="{_f(x)}" y="{_f(y)}" width="{bar_w}" height="{_f(base - y)}" '
                       f'fill="{colour}" fill-opacity="0.85"><title>{tip}</title></rect>')
            label_y = y - 4
            if key == "pods":
                low, high = scale(group["pods_per_node_min"]), scale(group["pods_per_node_max"])
                cx = _f(x + bar_w / 2)
                out.append(f'<line class="whisker" x1="{cx}" y1="{_f(low)}" x2="{cx}" y2="{_f(high)}" '
                           f'stroke="{_COLOURS["axis"]}" stroke-width="1.5"/>')
                for cap in (low, high):
                    out.append(f'<line x1="{_f(x + bar_w / 2 - 6)}" y1="{_f(cap)}" x2="{_f(x + bar_w / 2 + 6)}" '
                               f'y2="{_f(cap)}" stroke="{_COLOURS["axis"]}" stroke-width="1.5"/>')
                label_y = min(label_y, high - 4)
            out.append(f'<text x="{_f(x + bar_w / 2)}" y="{_f(label_y)}" text-anchor="middle" font-size="11">'
                       f"{escape(_num(value))}</text>")
        centre = _f(left + i * group_w + group_w / 2)
        out.append(f'<text x="{centre}" y="{base + 20}" text-anchor="middle" font-weight="bold">'
                   f"{escape(name)}</text>")
        out.append(f'<text x="{centre}" y="{base + 36}" text-anchor="middle" font-size="11">'
                   f"{group['nodes']} nodes, {group['pods']} pods</text>")
        out.append("</g>")
    if not groups:
        out.append(f'<text x="{_f(width / 2)}" y="{_f(top + plot_h / 2)}" text-anchor="middle">no nodes</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
