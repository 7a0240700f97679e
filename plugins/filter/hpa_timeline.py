# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""How fast an HPA's behavior scales a workload up and down, simulated with the HPA controller's own rules."""

from __future__ import annotations

import copy
import math

from ansible.errors import AnsibleFilterError


DOCUMENTATION = r"""
---
name: hpa_timeline
short_description: Replica timeline of an HorizontalPodAutoscaler's behavior for a load burst and a load drop
version_added: 0.3.0
description:
  - Takes one rendered C(autoscaling/v2) HorizontalPodAutoscaler (what C(helm template) writes, YAML-parsed) and
    simulates, tick by tick, what the HPA controller does with its C(spec.behavior) in two scenarios, then checks
    the result against the scaling targets (scale-up within C(scale_up_target_seconds), scale-down within
    C(scale_down_target_seconds) after the stabilisation window).
  - B(Burst.) From a steady C(minReplicas), at t=0 the load jumps so that the desired replica count is
    C(maxReplicas) and stays there. B(Drop.) From a steady C(maxReplicas), at t=0 the load falls to zero so that the
    desired count is C(minReplicas).
  - B(Timing.) The controller acts at sync ticks t = 0, P, 2P, ... (P is C(sync_period_seconds)). A tick at t sees
    the new load when t >= C(metrics_delay_seconds); earlier ticks still recommend the old count. This is the
    aligned case; if the load changes just after a tick, everything happens up to one sync period later.
  - B(Rate limits), as C(calculateScaleUpLimitWithScalingRules) and C(calculateScaleDownLimitWithBehaviors) in
    kubernetes C(pkg/controller/podautoscaler/horizontal.go) compute them. For each policy, the count at the start of
    its period is the current count minus the pods added and plus the pods removed by scale events younger than
    C(periodSeconds) (an event exactly C(periodSeconds) old no longer counts). Scale-up limit of a Pods policy is
    start + value, of a Percent policy ceil(start * (1 + value/100)). Scale-down limit of a Pods policy is
    start - value, of a Percent policy start * (1 - value/100) truncated to an integer (Go's int32 conversion,
    which rounds down, so 10% of 55 removes 6 pods). C(selectPolicy) Max takes the policy allowing the largest
    change, Min the smallest, Disabled allows none. The result is then kept within C(minReplicas) and
    C(maxReplicas).
  - B(Stabilisation), as C(stabilizeRecommendationWithBehaviors). When the desired count is at or above the current
    count, the recommendation used is the lowest of the recommendations younger than the scale-up window (and
    the current one); otherwise it is the highest of those younger than the scale-down window.
  - B(Defaults.) Fields missing from C(spec.behavior) take the API server's defaults (scale-up stabilisation 0,
    Pods 4 and Percent 100 per 15 s, selectPolicy Max; scale-down Percent 100 per 15 s, selectPolicy Max, and the
    stabilisation window of the controller flag C(--horizontal-pod-autoscaler-downscale-stabilization), 300 s by
    default). Without any C(spec.behavior) the controller takes its older path, which is modelled too (a
    scale-up limit of max(2 x current, 4) per tick and the downscale stabilisation of the controller flag).
  - B(Suggestions.) For each missed target, the filter searches, with the same simulation, the smallest value of
    each existing policy that meets it (also with C(selectPolicy) Max where it was Min or Disabled, and for
    scale-up with a stabilisation window of 0 where it was longer) and gives each as a C(spec.behavior) snippet.
    Scale-up cannot be faster than the first tick that sees the load plus C(pod_start_seconds); when that
    already misses the target the filter says that no policy can meet it.
  - Targets are met when the time is strictly below them, as the spec writes them (C(< 60s)).
positional: _input
options:
  _input:
    description: One HorizontalPodAutoscaler, with C(kind), C(spec.minReplicas), C(spec.maxReplicas) and optionally
      C(spec.behavior).
    type: dict
    required: true
  pod_start_seconds:
    description: Time from pod creation to Ready. The default is the spec's cold-start target (1.2.1, C(< 30s)).
    type: int
    default: 30
  sync_period_seconds:
    description: The HPA controller's sync period, kube-controller-manager's
      C(--horizontal-pod-autoscaler-sync-period), 15 s by default.
    type: int
    default: 15
  metrics_delay_seconds:
    description: Time from a load change until the metrics the HPA reads show it. metrics-server's upstream
      manifests and Helm chart run it with C(--metric-resolution=15s) (the binary's own default is 60 s); custom
      and external metrics adapters add their own scrape and cache intervals.
    type: int
    default: 15
  downscale_stabilization_seconds:
    description: kube-controller-manager's C(--horizontal-pod-autoscaler-downscale-stabilization), used when the
      HPA sets no C(scaleDown.stabilizationWindowSeconds) or no C(behavior) at all.
    type: int
    default: 300
  scale_up_target_seconds:
    description: Target for the burst, from the load jump until all C(maxReplicas) pods are Ready (spec 1.2.1,
      C(scale_up < 60s)).
    type: int
    default: 60
  scale_down_target_seconds:
    description: Target for the drop, from the load drop until C(minReplicas), minus the scale-down stabilisation
      window (spec 1.2.1, C(scale_down < 300s after stabilisation)).
    type: int
    default: 300
seealso:
  - name: Horizontal Pod Autoscaling, configurable scaling behavior
    description: The behavior fields and their defaults.
    link: https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
"""

EXAMPLES = r"""
- name: Render the API chart
  ansible.builtin.command: helm template triptrip-api charts/triptrip-api
  register: __rendered
  changed_when: false

- name: Fail when the API HPA cannot meet the scaling targets
  ansible.builtin.assert:
    that: __timeline.misses | length == 0
    fail_msg: "{{ __timeline.misses + (__timeline.suggestions | map('to_json') | list) }}"
  vars:
    __hpa: "{{ __rendered.stdout | ansible.builtin.from_yaml_all | selectattr('kind', 'equalto',
               'HorizontalPodAutoscaler') | first }}"
    __timeline: "{{ __hpa | triptrip.platform.hpa_timeline(pod_start_seconds=30, metrics_delay_seconds=15) }}"
"""

RETURN = r"""
_value:
  description: The two simulated timelines, the targets they miss and the smallest changes that meet them.
  type: dict
  contains:
    min_replicas:
      description: C(spec.minReplicas) (1 when unset, as the API server defaults it).
      type: int
    max_replicas:
      description: C(spec.maxReplicas).
      type: int
    inputs:
      description: The options used, C(legacy) (true when the HPA has no C(behavior)) and C(behavior), the
        effective C(spec.behavior) with the defaults filled in (null when C(legacy)).
      type: dict
    scale_up:
      description: The burst. C(steps) are the replica counts from t=0 ([{t, replicas}], one entry per change),
        C(seconds_to_first_ready) the first new pods Ready, C(seconds_to_max_replicas) the tick that reaches
        C(maxReplicas), C(seconds_to_max_ready) that plus C(pod_start_seconds), C(fastest_possible_seconds) the
        floor no policy can beat, C(target_seconds) and C(meets). Times are null when never reached.
      type: dict
    scale_down:
      description: The drop. C(steps), C(stabilization_seconds) (the scale-down window in force),
        C(seconds_to_min_replicas), C(seconds_after_stabilization), C(target_seconds) and C(meets).
      type: dict
    misses:
      description: One sentence per missed target.
      type: list
      elements: str
    suggestions:
      description: Per missed target, each smallest change found, as C(target) (scale_up or scale_down),
        C(change) (in words), C(behavior) (a C(spec.behavior) snippet to paste), C(seconds) (the resulting time,
        measured as the target is) and C(target_seconds); or, when nothing meets it, C(change) and C(behavior)
        null and a C(note) saying why.
      type: list
      elements: dict
"""

# Kubernetes' defaults for missing behavior fields: pkg/apis/autoscaling/v2/defaults.go, documented at
# https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#default-behavior
# The scale-down window is not defaulted by the API server but by the controller, from its
# --horizontal-pod-autoscaler-downscale-stabilization flag (maybeInitScaleDownStabilizationWindow).
DEFAULT_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                 {"type": "Percent", "value": 100, "periodSeconds": 15}],
}
DEFAULT_SCALE_DOWN = {
    "stabilizationWindowSeconds": None,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}
# Without spec.behavior the controller uses normalizeDesiredReplicas: scaleUpLimitFactor and scaleUpLimitMinimum.
LEGACY_SCALE_UP_FACTOR = 2.0
LEGACY_SCALE_UP_MINIMUM = 4.0
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


def _int(value, path, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnsibleFilterError(f"{path}={value!r}: must be a whole number")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise AnsibleFilterError(f"{path}={value!r}: must be {bounds}")
    return value


def _rules(raw, path, defaults, downscale_window):
    """One direction's HPAScalingRules with the API server's defaults filled in, validated as the API server does."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise AnsibleFilterError(f"{path}={raw!r}: must be a mapping")
    rules = copy.deepcopy(defaults)
    if raw.get("stabilizationWindowSeconds") is not None:
        rules["stabilizationWindowSeconds"] = _int(raw["stabilizationWindowSeconds"],
                                                   f"{path}.stabilizationWindowSeconds", 0, 3600)
    if rules["stabilizationWindowSeconds"] is None:
        rules["stabilizationWindowSeconds"] = downscale_window
    if raw.get("selectPolicy") is not None:
        if raw["selectPolicy"] not in ("Max", "Min", "Disabled"):
            raise AnsibleFilterError(f"{path}.selectPolicy={raw['selectPolicy']!r}: must be Max, Min or Disabled")
        rules["selectPolicy"] = raw["selectPolicy"]
    if raw.get("policies") is not None:
        if not isinstance(raw["policies"], list) or not raw["policies"]:
            raise AnsibleFilterError(f"{path}.policies={raw['policies']!r}: must be a non-empty list")
        rules["policies"] = []
        for i, policy in enumerate(raw["policies"]):
            where = f"{path}.policies[{i}]"
            if not isinstance(policy, dict):
                raise AnsibleFilterError(f"{where}={policy!r}: must be a mapping with type, value and periodSeconds")
            if policy.get("type") not in ("Pods", "Percent"):
                raise AnsibleFilterError(f"{where}.type={policy.get('type')!r}: must be Pods or Percent")
            rules["policies"].append({"type": policy["type"],
                                      "value": _int(policy.get("value"), f"{where}.value", 1),
                                      "periodSeconds": _int(policy.get("periodSeconds"), f"{where}.periodSeconds",
                                                            1, 1800)})
    return rules


def _parse(hpa, downscale_window):
    if not isinstance(hpa, dict):
        raise AnsibleFilterError(
            f"hpa_timeline input must be a HorizontalPodAutoscaler mapping, got {type(hpa).__name__}")
    if hpa.get("kind") != "HorizontalPodAutoscaler":
        raise AnsibleFilterError(f"kind={hpa.get('kind')!r}: must be HorizontalPodAutoscaler")
    spec = hpa.get("spec")
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"spec={spec!r}: must be a mapping")
    # minReplicas 0 needs the HPAScaleToZero feature gate, and the controller then stops scaling at 0 replicas.
    min_r = _int(spec["minReplicas"], "spec.minReplicas", 1) if spec.get("minReplicas") is not None else 1
    if spec.get("maxReplicas") is None:
        raise AnsibleFilterError("spec.maxReplicas is missing")
    max_r = _int(spec["maxReplicas"], "spec.maxReplicas", 1)
    if min_r > max_r:
        raise AnsibleFilterError(f"spec.minReplicas={min_r} is greater than spec.maxReplicas={max_r}")
    behavior = spec.get("behavior")
    if behavior is None:
        return min_r, max_r, None
    if not isinstance(behavior, dict):
        raise AnsibleFilterError(f"spec.behavior={behavior!r}: must be a mapping")
    return min_r, max_r, {
        "scaleUp": _rules(behavior.get("scaleUp"), "spec.behavior.scaleUp", DEFAULT_SCALE_UP, downscale_window),
        "scaleDown": _rules(behavior.get("scaleDown"), "spec.behavior.scaleDown", DEFAULT_SCALE_DOWN,
                            downscale_window),
    }


def _changed_in_period(events, now, period):
    # getReplicasChangePerPeriod: events strictly after now - period.
    return sum(change for when, change in events if when > now - period)


def _scale_up_limit(current, up_events, down_events, rules, now):
    """calculateScaleUpLimitWithScalingRules."""
    if rules["selectPolicy"] == "Disabled":
        return current
    pick, result = (min, INT32_MAX) if rules["selectPolicy"] == "Min" else (max, INT32_MIN)
    for policy in rules["policies"]:
        start = (current - _changed_in_period(up_events, now, policy["periodSeconds"])
                 + _changed_in_period(down_events, now, policy["periodSeconds"]))
        if policy["type"] == "Pods":
            proposed = start + policy["value"]
        else:  # rounded up, so that a small Percent still adds a pod
            proposed = int(math.ceil(float(start) * (1 + float(policy["value"]) / 100)))
        result = pick(result, proposed)
    return result


def _scale_down_limit(current, up_events, down_events, rules, now):
    """calculateScaleDownLimitWithBehaviors: for scale-down the smallest change is the highest count."""
    if rules["selectPolicy"] == "Disabled":
        return current
    pick, result = (max, INT32_MIN) if rules["selectPolicy"] == "Min" else (min, INT32_MAX)
    for policy in rules["policies"]:
        start = (current - _changed_in_period(up_events, now, policy["periodSeconds"])
                 + _changed_in_period(down_events, now, policy["periodSeconds"]))
        if policy["type"] == "Pods":
            proposed = start - policy["value"]
        else:  # Go's int32(float64) truncates: the count is rounded down, never below what Percent allows
            proposed = int(float(start) * (1 - float(policy["value"]) / 100))
        result = pick(result, proposed)
    return result


def _next_with_behavior(now, current, desired, recs, up_events, down_events, behavior, min_r, max_r):
    """normalizeDesiredReplicasWithBehaviors: stabilise, then rate-limit, then keep within min and max."""
    up, down = behavior["scaleUp"], behavior["scaleDown"]
    if desired >= current:
        window, pick = up["stabilizationWindowSeconds"], min
    else:
        window, pick = down["stabilizationWindowSeconds"], max
    stabilized = desired
    for when, rec in recs:
        if when > now - window:
            stabilized = pick(stabilized, rec)
    if stabilized > current:
        limit = max(_scale_up_limit(current, up_events, down_events, up, now), current)
        return min(stabilized, max_r, limit)
    if stabilized < current:
        limit = min(_scale_down_limit(current, up_events, down_events, down, now), current)
        return max(stabilized, min_r, limit)
    return stabilized


def _next_legacy(now, current, desired, recs, downscale_window, min_r, max_r):
    """normalizeDesiredReplicas (no spec.behavior): the highest recent recommendation, at most doubling per tick."""
    stabilized = desired
    for when, rec in recs:
        if not when < now - downscale_window:  # stabilizeRecommendation keeps a sample exactly at the cutoff
            stabilized = max(stabilized, rec)
    limit = int(max(LEGACY_SCALE_UP_FACTOR * float(current), LEGACY_SCALE_UP_MINIMUM))
    if stabilized < min_r:
        return min_r
    return min(stabilized, max_r, limit)


def _simulate(start, goal, min_r, max_r, behavior, opts, stop_before=None):
    """Replica counts from a steady `start` when, from t=0, the load asks for `goal`. Returns (steps, t at goal)."""
    sync, delay = opts["sync_period_seconds"], opts["metrics_delay_seconds"]
    if behavior is None:
        windows = [opts["downscale_stabilization_seconds"]]
        periods = [sync]
    else:
        windows = [behavior[d]["stabilizationWindowSeconds"] for d in ("scaleUp", "scaleDown")]
        periods = [p["periodSeconds"] for d in ("scaleUp", "scaleDown") for p in behavior[d]["policies"]]
    memory = max(windows + periods) + sync
    # Before t=0 the workload was steady: every earlier tick recommended `start` and nothing was scaled.
    recs = [(-k * sync, start) for k in range(memory // sync + 1, 0, -1)]
    up_events, down_events = [], []
    steps = [{"t": 0, "replicas": start}]
    current = start
    # Every policy moves at least one pod per period, so this bounds a timeline that can reach the goal.
    horizon = delay + 2 * sync + max(windows) + (abs(goal - start) + 1) * (max(periods) + sync)
    now = 0
    while current != goal and now <= horizon and (stop_before is None or now < stop_before):
        desired = goal if now >= delay else start
        if behavior is None:
            new = _next_legacy(now, current, desired, recs, opts["downscale_stabilization_seconds"], min_r, max_r)
        else:
            new = _next_with_behavior(now, current, desired, recs, up_events, down_events, behavior, min_r, max_r)
        recs = [(when, rec) for when, rec in recs if when > now - memory] + [(now, desired)]
        if new > current:
            up_events.append((now, new - current))
        elif new < current:
            down_events.append((now, current - new))
        if new != current:
            steps.append({"t": now, "replicas": new})
            current = new
        if current == goal:
            return steps, now
        up_events = [e for e in up_events if e[0] > now - memory]
        down_events = [e for e in down_events if e[0] > now - memory]
        now += sync
    return steps, (0 if current == goal else None)


def _first_clear_tick(window, opts):
    """The first tick whose stabilised recommendation is the new load: the last tick that recommended the old
    count (the one before the first tick that sees the load) must have left the window."""
    sync, delay = opts["sync_period_seconds"], opts["metrics_delay_seconds"]
    first_seen = -(-delay // sync) * sync
    earliest = max(first_seen, first_seen - sync + window)
    return -(-earliest // sync) * sync


def _fastest_scale_up(behavior, opts):
    """The first tick that may scale up plus pod start: no policy can beat it."""
    window = behavior["scaleUp"]["stabilizationWindowSeconds"] if behavior else 0
    return _first_clear_tick(window, opts) + opts["pod_start_seconds"]


def _scale_up(min_r, max_r, behavior, opts, stop_before=None):
    if stop_before is not None:
        stop_before -= opts["pod_start_seconds"]
    return _simulate(min_r, max_r, min_r, max_r, behavior, opts, stop_before)


def _scale_down(min_r, max_r, behavior, opts, stop_before=None):
    return _simulate(max_r, min_r, min_r, max_r, behavior, opts, stop_before)


def _down_window(behavior, opts):
    return opts["downscale_stabilization_seconds"] if behavior is None else \
        behavior["scaleDown"]["stabilizationWindowSeconds"]


def _meets_up(min_r, max_r, behavior, opts):
    _timeline, reached = _scale_up(min_r, max_r, behavior, opts, opts["scale_up_target_seconds"])
    return reached is not None and reached + opts["pod_start_seconds"] < opts["scale_up_target_seconds"]


def _meets_down(min_r, max_r, behavior, opts):
    deadline = opts["scale_down_target_seconds"] + _down_window(behavior, opts)
    _timeline, reached = _scale_down(min_r, max_r, behavior, opts, deadline)
    return reached is not None and reached < deadline


def _suggest(direction, min_r, max_r, behavior, opts):
    """Smallest single changes of `direction` ('scaleUp' or 'scaleDown') that meet its target."""
    meets = _meets_up if direction == "scaleUp" else _meets_down
    rules = behavior[direction]
    bases = [("", rules)]
    if rules["selectPolicy"] != "Max":
        bases.append((f"selectPolicy {rules['selectPolicy']} -> Max", {**rules, "selectPolicy": "Max"}))
    if direction == "scaleUp" and rules["stabilizationWindowSeconds"] > 0:
        zero = f"stabilizationWindowSeconds {rules['stabilizationWindowSeconds']} -> 0"
        bases += [("; ".join(filter(None, [label, zero])), {**base, "stabilizationWindowSeconds": 0})
                  for label, base in list(bases)]
    found = []
    for label, base in bases:
        if label and meets(min_r, max_r, {**behavior, direction: base}, opts):
            found.append((label, base))
            continue  # a bigger change on top of one that already meets is no smallest change
        for i, policy in enumerate(base["policies"]):
            if policy["type"] == "Pods":
                ceiling = max_r - min_r
            elif direction == "scaleUp":
                ceiling = 100 * max_r
            else:
                ceiling = 100
            lo, hi = policy["value"] + 1, max(ceiling, policy["value"] + 1)

            def with_value(value, base=base, i=i):
                policies = [dict(p) for p in base["policies"]]
                policies[i]["value"] = value
                return {**base, "policies": policies}

            if not meets(min_r, max_r, {**behavior, direction: with_value(hi)}, opts):
                continue
            # Faster policies never give a later timeline (the count at every tick can only grow, or for scale-down
            # only shrink), so the predicate is monotone and a binary search finds the smallest value.
            while lo < hi:
                mid = (lo + hi) // 2
                if meets(min_r, max_r, {**behavior, direction: with_value(mid)}, opts):
                    hi = mid
                else:
                    lo = mid + 1
            change = (f"{policy['type']} policy (per {policy['periodSeconds']} s) value "
                      f"{policy['value']} -> {lo}")
            found.append(("; ".join(filter(None, [label, change])), with_value(lo)))
    suggestions = []
    for change, rules_found in found:
        trial = {**behavior, direction: rules_found}
        if direction == "scaleUp":
            _timeline, reached = _scale_up(min_r, max_r, trial, opts)
            seconds, target = reached + opts["pod_start_seconds"], opts["scale_up_target_seconds"]
        else:
            _timeline, reached = _scale_down(min_r, max_r, trial, opts)
            seconds, target = reached - _down_window(trial, opts), opts["scale_down_target_seconds"]
        suggestions.append({"target": "scale_up" if direction == "scaleUp" else "scale_down", "change": change,
                            "behavior": {direction: copy.deepcopy(rules_found)}, "seconds": seconds,
                            "target_seconds": target})
    return suggestions


def hpa_timeline(hpa, pod_start_seconds=30, sync_period_seconds=15, metrics_delay_seconds=15,
                 scale_up_target_seconds=60, scale_down_target_seconds=300, downscale_stabilization_seconds=300):
    opts = {
        "pod_start_seconds": _int(pod_start_seconds, "pod_start_seconds", 0),
        "sync_period_seconds": _int(sync_period_seconds, "sync_period_seconds", 1),
        "metrics_delay_seconds": _int(metrics_delay_seconds, "metrics_delay_seconds", 0),
        "downscale_stabilization_seconds": _int(downscale_stabilization_seconds,
                                                "downscale_stabilization_seconds", 0),
        "scale_up_target_seconds": _int(scale_up_target_seconds, "scale_up_target_seconds", 1),
        "scale_down_target_seconds": _int(scale_down_target_seconds, "scale_down_target_seconds", 1),
    }
    min_r, max_r, behavior = _parse(hpa, opts["downscale_stabilization_seconds"])
    pod_start = opts["pod_start_seconds"]

    up_steps, at_max = _scale_up(min_r, max_r, behavior, opts)
    first_up = next((s["t"] for s in up_steps[1:]), None)
    max_ready = None if at_max is None else (at_max + pod_start if max_r > min_r else 0)
    up_target = opts["scale_up_target_seconds"]
    fastest = _fastest_scale_up(behavior, opts) if max_r > min_r else 0
    scale_up = {
        "steps": up_steps,
        "seconds_to_first_ready": None if first_up is None else first_up + pod_start,
        "seconds_to_max_replicas": at_max,
        "seconds_to_max_ready": max_ready,
        "fastest_possible_seconds": fastest,
        "target_seconds": up_target,
        "meets": max_ready is not None and max_ready < up_target,
    }

    down_steps, at_min = _scale_down(min_r, max_r, behavior, opts)
    window = _down_window(behavior, opts)
    after = None if at_min is None else at_min - window
    down_target = opts["scale_down_target_seconds"]
    scale_down = {
        "steps": down_steps,
        "stabilization_seconds": window,
        "seconds_to_min_replicas": at_min,
        "seconds_after_stabilization": after,
        "target_seconds": down_target,
        "meets": after is not None and after < down_target,
    }

    misses, suggestions = [], []
    # Suggestions are behavior snippets, so an HPA without one is searched from the API server's defaults.
    base = behavior or {"scaleUp": _rules(None, "", DEFAULT_SCALE_UP, window),
                        "scaleDown": _rules(None, "", DEFAULT_SCALE_DOWN, window)}
    if not scale_up["meets"]:
        if max_ready is None:
            misses.append(f"scale-up from {min_r} to {max_r} never reaches {max_r} replicas "
                          f"(scaleUp selectPolicy {base['scaleUp']['selectPolicy']}); target < {up_target} s")
        else:
            misses.append(f"scale-up from {min_r} to {max_r} has all {max_r} pods Ready {max_ready} s after the load "
                          f"jump ({max_r} replicas at {at_max} s + {pod_start} s pod start); target < {up_target} s")
        floor = _fastest_scale_up({**base, "scaleUp": {**base["scaleUp"], "stabilizationWindowSeconds": 0}}, opts)
        found = _suggest("scaleUp", min_r, max_r, base, opts)
        suggestions.extend(found)
        if not found:
            suggestions.append({
                "target": "scale_up", "change": None, "behavior": None, "seconds": floor,
                "target_seconds": up_target,
                "note": f"cannot be met by policies alone: the first sync tick that sees the load is at "
                        f"{floor - pod_start} s ({metrics_delay_seconds} s metrics delay, {sync_period_seconds} s "
                        f"sync period) and pods take {pod_start} s to start, {floor} s in all; target < {up_target} s. "
                        f"Shorten pod start or the metrics delay, or raise minReplicas."})
    if not scale_down["meets"]:
        if at_min is None:
            misses.append(f"scale-down from {max_r} to {min_r} never reaches {min_r} replicas "
                          f"(scaleDown selectPolicy {base['scaleDown']['selectPolicy']}); target < {down_target} s "
                          f"after the {window} s stabilisation window")
        else:
            misses.append(f"scale-down from {max_r} to {min_r} takes {after} s after the {window} s stabilisation "
                          f"window ({at_min} s from the load drop); target < {down_target} s")
        found = _suggest("scaleDown", min_r, max_r, base, opts)
        suggestions.extend(found)
        if not found:
            floor = _first_clear_tick(window, opts) - window
            suggestions.append({
                "target": "scale_down", "change": None, "behavior": None, "seconds": floor,
                "target_seconds": down_target,
                "note": f"cannot be met by policies alone: the first sync tick past the {window} s window is "
                        f"{floor} s after it ({metrics_delay_seconds} s metrics delay, {sync_period_seconds} s sync "
                        f"period); target < {down_target} s."})

    return {
        "min_replicas": min_r,
        "max_replicas": max_r,
        "inputs": {**opts, "legacy": behavior is None, "behavior": copy.deepcopy(behavior)},
        "scale_up": scale_up,
        "scale_down": scale_down,
        "misses": misses,
        "suggestions": suggestions,
    }


class FilterModule:
    def filters(self):
        return {"hpa_timeline": hpa_timeline}
