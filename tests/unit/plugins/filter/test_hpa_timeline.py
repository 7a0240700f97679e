"""hpa_timeline: the HPA controller's rate limits and stabilisation, replayed for a burst and a drop."""

from __future__ import annotations

import copy

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.filter.hpa_timeline import FilterModule, hpa_timeline

# The API HPA of Doc-IA-002 4.1.1 (metrics left out: the filter does not read them).
SPEC_HPA = yaml.safe_load("""
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: triptrip-api-hpa
  namespace: triptrip-api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: triptrip-api}
  minReplicas: 5
  maxReplicas: 100
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - {type: Percent, value: 10, periodSeconds: 60}
        - {type: Pods, value: 5, periodSeconds: 60}
      selectPolicy: Min
    scaleUp:
      stabilizationWindowSeconds: 0
      policies:
        - {type: Percent, value: 100, periodSeconds: 15}
        - {type: Pods, value: 10, periodSeconds: 15}
      selectPolicy: Max
""")


def hpa(change=None, min_replicas=5, max_replicas=100):
    obj = copy.deepcopy(SPEC_HPA)
    obj["spec"].update(minReplicas=min_replicas, maxReplicas=max_replicas)
    if change:
        change(obj["spec"])
    return obj


def steps(result, direction):
    return [(s["t"], s["replicas"]) for s in result[direction]["steps"]]


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"hpa_timeline": hpa_timeline}


def test_spec_hpa_scale_up_doubles_each_tick_and_misses_60_s():
    # By hand, with ticks every 15 s and the load visible from t=15 (metrics delay 15 s). Each tick the period
    # (15 s) holds no earlier event (the one 15 s old has just left it), so the start count is the current one:
    #   t=15: Percent ceil(5*2)=10,  Pods 5+10=15  -> Max 15
    #   t=30: Percent 30,            Pods 25       -> 30
    #   t=45: Percent 60,            Pods 40       -> 60
    #   t=60: Percent 120,           Pods 70       -> 120, capped at maxReplicas 100
    # First new pods Ready at 15+30=45 s; all 100 Ready at 60+30=90 s, not < 60 s.
    result = hpa_timeline(SPEC_HPA)
    assert steps(result, "scale_up") == [(0, 5), (15, 15), (30, 30), (45, 60), (60, 100)]
    up = result["scale_up"]
    assert (up["seconds_to_first_ready"], up["seconds_to_max_replicas"], up["seconds_to_max_ready"]) == (45, 60, 90)
    assert up["fastest_possible_seconds"] == 45
    assert up["meets"] is False
    assert ("scale-up from 5 to 100 has all 100 pods Ready 90 s after the load jump (100 replicas at 60 s + 30 s "
            "pod start); target < 60 s") in result["misses"]


def test_spec_hpa_scale_down_takes_1560_s_after_stabilisation():
    # By hand. The tick at t=0 still sees the load (metrics delay 15 s) and recommends 100; from t=15 the
    # recommendation is 5, but the highest within the 300 s window stays 100 until t=300, when the t=0 sample
    # leaves it. Then every 60 s (a 60 s period; the event exactly 60 s old no longer counts) selectPolicy Min
    # keeps the larger of Percent int(n*0.9) and Pods n-5:
    #   100 -> max(90, 95)=95 (300), 90 (360), 85 (420), 80, 75, 70, 65, 60, 55 (780),
    #   55 -> max(int 49.5=49, 50)=50 (840), 50 -> max(45, 45)=45 (900), 45 -> max(40, 40)=40 (960),
    #   then Percent keeps more: 40->36 (1020), 32, 28, 25, 22, 19, 17, 15, 13, 11, 9, 8, 7, 6,
    #   6 -> int 5.4=5 (1860). 1860 s from the drop, 1560 s after the 300 s window: target 300 s missed.
    result = hpa_timeline(SPEC_HPA)
    expected = [(0, 100)] + [(300 + 60 * i, n) for i, n in enumerate(
        [95, 90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40, 36, 32, 28, 25, 22, 19, 17, 15, 13, 11, 9, 8, 7, 6, 5])]
    assert steps(result, "scale_down") == expected
    down = result["scale_down"]
    assert down["stabilization_seconds"] == 300
    assert (down["seconds_to_min_replicas"], down["seconds_after_stabilization"]) == (1860, 1560)
    assert down["meets"] is False
    assert ("scale-down from 100 to 5 takes 1560 s after the 300 s stabilisation window (1860 s from the load "
            "drop); target < 300 s") in result["misses"]


def test_spec_hpa_suggestions_are_the_smallest_policy_values():
    # Scale-up must reach 100 at the first tick (t=15, Ready at 45 s < 60 s): Pods 5+95, or Percent
    # ceil(5*(1+p/100)) >= 100 -> p = 1881. Scale-down needs 5 steps (300..540 s, 240 s < 300 s) under Max:
    # Pods 19 (100-5*19=5) or Percent 43 (100, 57, 32, 18, 10, 5; 42 leaves 6).
    got = {(s["target"], s["change"]): s["seconds"] for s in hpa_timeline(SPEC_HPA)["suggestions"]}
    assert got == {
        ("scale_up", "Percent policy (per 15 s) value 100 -> 1881"): 45,
        ("scale_up", "Pods policy (per 15 s) value 10 -> 95"): 45,
        ("scale_down", "selectPolicy Min -> Max; Percent policy (per 60 s) value 10 -> 43"): 240,
        ("scale_down", "selectPolicy Min -> Max; Pods policy (per 60 s) value 5 -> 19"): 240,
    }


def apply_snippet(obj, snippet):
    merged = copy.deepcopy(obj)
    merged["spec"].setdefault("behavior", {}).update(copy.deepcopy(snippet))
    return merged


def one_less(snippet, suggestion_change):
    """The snippet with the changed policy value lowered by one."""
    lowered = copy.deepcopy(snippet)
    rules = next(iter(lowered.values()))
    kind, new = suggestion_change.split(" policy")[0].split("; ")[-1], int(suggestion_change.rsplit("-> ", 1)[1])
    policy = next(p for p in rules["policies"] if p["type"] == kind and p["value"] == new)
    policy["value"] -= 1
    return lowered


@pytest.mark.parametrize("obj", [
    SPEC_HPA,
    hpa(lambda s: s["behavior"]["scaleDown"].update(selectPolicy="Disabled")),
    hpa(lambda s: s["behavior"]["scaleUp"].update(stabilizationWindowSeconds=60)),
    hpa(lambda s: s.pop("behavior"), min_replicas=2, max_replicas=40),
], ids=["spec", "scale-down-disabled", "scale-up-window", "no-behavior"])
def test_every_suggestion_meets_its_target_when_fed_back_and_is_the_smallest(obj):
    result = hpa_timeline(obj)
    assert result["misses"]
    assert result["suggestions"]
    for suggestion in result["suggestions"]:
        assert suggestion["behavior"], suggestion
        again = hpa_timeline(apply_snippet(obj, suggestion["behavior"]))[suggestion["target"]]
        assert again["meets"] is True, suggestion
        measured = again["seconds_to_max_ready"] if suggestion["target"] == "scale_up" else \
            again["seconds_after_stabilization"]
        assert measured == suggestion["seconds"] < suggestion["target_seconds"]
        if "policy" in suggestion["change"]:
            lowered = one_less(suggestion["behavior"], suggestion["change"])
            assert hpa_timeline(apply_snippet(obj, lowered))[suggestion["target"]]["meets"] is False, suggestion


def test_select_policy_max_takes_the_largest_change_and_min_the_smallest_when_scaling_up():
    # From 5: Percent 100 allows 10, Pods 10 allows 15. From 20: Percent 40, Pods 30.
    fastest = hpa_timeline(SPEC_HPA)
    slowest = hpa_timeline(hpa(lambda s: s["behavior"]["scaleUp"].update(selectPolicy="Min")))
    assert steps(fastest, "scale_up")[:3] == [(0, 5), (15, 15), (30, 30)]
    assert steps(slowest, "scale_up") == [(0, 5), (15, 10), (30, 20), (45, 30), (60, 40), (75, 50), (90, 60),
                                          (105, 70), (120, 80), (135, 90), (150, 100)]


def test_select_policy_max_takes_the_largest_change_and_min_the_smallest_when_scaling_down():
    # From 100: Percent 10 keeps int(90.0)=90, Pods 5 keeps 95. Max removes more (90), Min less (95).
    # Max goes on 90 -> int(81.0)=81 (Pods 85) -> int(72.9)=72: Percent truncates, it does not round.
    fastest = hpa_timeline(hpa(lambda s: s["behavior"]["scaleDown"].update(selectPolicy="Max")))
    slowest = hpa_timeline(SPEC_HPA)
    assert steps(fastest, "scale_down")[:4] == [(0, 100), (300, 90), (360, 81), (420, 72)]
    assert steps(slowest, "scale_down")[:4] == [(0, 100), (300, 95), (360, 90), (420, 85)]


def test_percent_scale_up_rounds_up():
    # ceil(5 * 1.5) = 8 (7.5 rounded up), then ceil(12) capped at 10.
    result = hpa_timeline(hpa(lambda s: s["behavior"].update(
        scaleUp={"policies": [{"type": "Percent", "value": 50, "periodSeconds": 15}]}), max_replicas=10))
    assert steps(result, "scale_up") == [(0, 5), (15, 8), (30, 10)]


def test_a_larger_pods_policy_shortens_the_scale_up():
    # Pods 50: t=15 max(10, 55)=55, t=30 max(110, 105) capped at 100. Ready at 60 s: the spec asks for < 60 s.
    # Pods 95: 100 at the first tick, Ready at 45 s.
    def pods(value):
        return hpa(lambda s: s["behavior"]["scaleUp"]["policies"][1].update(value=value))

    fifty, ninety_five = hpa_timeline(pods(50)), hpa_timeline(pods(95))
    assert steps(fifty, "scale_up") == [(0, 5), (15, 55), (30, 100)]
    assert (fifty["scale_up"]["seconds_to_max_ready"], fifty["scale_up"]["meets"]) == (60, False)
    assert steps(ninety_five, "scale_up") == [(0, 5), (15, 100)]
    assert (ninety_five["scale_up"]["seconds_to_max_ready"], ninety_five["scale_up"]["meets"]) == (45, True)
    assert not [m for m in ninety_five["misses"] if m.startswith("scale-up")]


def test_a_longer_policy_period_counts_the_pods_already_added():
    # Pods 10 per 30 s alone, sync 15 s: t=15 +10 (15); t=30 the t=15 event is 15 s old and counts, start 5,
    # limit 15: nothing; t=45 that event is exactly 30 s old and no longer counts: +10 (25); t=60 nothing; t=75 35.
    result = hpa_timeline(hpa(lambda s: s["behavior"].update(
        scaleUp={"policies": [{"type": "Pods", "value": 10, "periodSeconds": 30}]}), max_replicas=35))
    assert steps(result, "scale_up") == [(0, 5), (15, 15), (45, 25), (75, 35)]


def test_missing_behavior_fields_take_the_api_server_defaults():
    # Only scaleUp.policies is set: scaleUp keeps stabilisation 0 and Max; scaleDown is the default Percent 100
    # per 15 s with the controller's 300 s window, so 100 -> 5 in one step once the t=0 sample leaves it.
    obj = hpa(lambda s: s.update(behavior={
        "scaleUp": {"policies": [{"type": "Pods", "value": 10, "periodSeconds": 15}]}}))
    result = hpa_timeline(obj)
    assert result["inputs"]["legacy"] is False
    assert result["inputs"]["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 10, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
    }
    assert steps(result, "scale_up")[:3] == [(0, 5), (15, 15), (30, 25)]
    assert steps(result, "scale_down") == [(0, 100), (300, 5)]
    assert result["scale_down"]["seconds_after_stabilization"] == 0


def test_empty_behavior_takes_the_default_policies_and_no_behavior_the_controllers_older_path():
    # behavior {}: Pods 4 and Percent 100 per 15 s, Max: 1 -> max(2, 5)=5 -> 10.
    # No behavior: the controller's older limit max(2 x current, 4): 1 -> 4 -> 8 -> 10. Its downscale
    # stabilisation keeps a sample exactly at the window's edge, so the drop waits one tick longer (315 s).
    defaults = hpa_timeline(hpa(lambda s: s.update(behavior={}), min_replicas=1, max_replicas=10))
    legacy = hpa_timeline(hpa(lambda s: s.pop("behavior"), min_replicas=1, max_replicas=10))
    assert steps(defaults, "scale_up") == [(0, 1), (15, 5), (30, 10)]
    assert steps(legacy, "scale_up") == [(0, 1), (15, 4), (30, 8), (45, 10)]
    assert steps(defaults, "scale_down") == [(0, 10), (300, 1)]
    assert steps(legacy, "scale_down") == [(0, 10), (315, 1)]
    assert (legacy["inputs"]["legacy"], legacy["inputs"]["behavior"]) == (True, None)
    assert legacy["scale_down"]["stabilization_seconds"] == 300


def test_a_scale_up_window_delays_the_burst_until_the_low_samples_leave_it():
    # Window 60 s: the t=0 sample (5) counts while 0 > t-60, so the first scale-up is at t=60, then as before.
    result = hpa_timeline(hpa(lambda s: s["behavior"]["scaleUp"].update(stabilizationWindowSeconds=60)))
    assert steps(result, "scale_up") == [(0, 5), (60, 15), (75, 30), (90, 60), (105, 100)]
    assert (result["scale_up"]["seconds_to_max_ready"], result["scale_up"]["fastest_possible_seconds"]) == (135, 90)


def test_a_shorter_scale_down_window_starts_the_drop_earlier():
    result = hpa_timeline(hpa(lambda s: s["behavior"]["scaleDown"].update(stabilizationWindowSeconds=120)))
    assert steps(result, "scale_down")[:3] == [(0, 100), (120, 95), (180, 90)]
    assert result["scale_down"]["seconds_to_min_replicas"] == 1680
    assert result["scale_down"]["seconds_after_stabilization"] == 1560


def test_a_later_metric_moves_the_first_tick():
    # The load shows at 20 s: the tick at 15 s does not see it, the one at 30 s does.
    result = hpa_timeline(SPEC_HPA, metrics_delay_seconds=20)
    assert steps(result, "scale_up")[:2] == [(0, 5), (30, 15)]
    assert result["scale_up"]["fastest_possible_seconds"] == 60


def test_disabled_scale_down_never_reaches_min_and_says_so():
    result = hpa_timeline(hpa(lambda s: s["behavior"]["scaleDown"].update(selectPolicy="Disabled")))
    assert steps(result, "scale_down") == [(0, 100)]
    assert (result["scale_down"]["seconds_to_min_replicas"], result["scale_down"]["meets"]) == (None, False)
    assert ("scale-down from 100 to 5 never reaches 5 replicas (scaleDown selectPolicy Disabled); target < 300 s "
            "after the 300 s stabilisation window") in result["misses"]
    changes = [s["change"] for s in result["suggestions"] if s["target"] == "scale_down"]
    assert changes and all(c.startswith("selectPolicy Disabled -> Max") for c in changes)


def test_a_target_beyond_any_policy_is_reported_as_such():
    # 15 s to the first tick that sees the load + 50 s pod start = 65 s, not < 60 s, whatever the policies.
    result = hpa_timeline(SPEC_HPA, pod_start_seconds=50)
    up = [s for s in result["suggestions"] if s["target"] == "scale_up"]
    assert len(up) == 1
    assert (up[0]["change"], up[0]["behavior"], up[0]["seconds"]) == (None, None, 65)
    assert up[0]["note"].startswith("cannot be met by policies alone: the first sync tick that sees the load is at "
                                    "15 s")


def test_a_scale_down_target_beyond_any_policy_is_reported_as_such():
    # Load visible at 100 s: the last tick recommending 100 is at 90 s, it leaves the 300 s window at 390 s,
    # 90 s after the window, not < 60 s.
    result = hpa_timeline(SPEC_HPA, metrics_delay_seconds=100, scale_down_target_seconds=60)
    down = [s for s in result["suggestions"] if s["target"] == "scale_down"]
    assert [(s["change"], s["behavior"], s["seconds"]) for s in down] == [(None, None, 90)]
    assert down[0]["note"].startswith("cannot be met by policies alone: the first sync tick past the 300 s window is "
                                      "90 s after it")


def test_a_hpa_that_meets_both_targets_has_no_misses():
    obj = hpa(lambda s: s["behavior"].update(
        scaleUp={"policies": [{"type": "Pods", "value": 95, "periodSeconds": 15}]},
        scaleDown={"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                   "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}))
    result = hpa_timeline(obj)
    assert (result["scale_up"]["meets"], result["scale_down"]["meets"]) == (True, True)
    assert (result["misses"], result["suggestions"]) == ([], [])


def test_equal_min_and_max_need_no_scaling():
    result = hpa_timeline(hpa(min_replicas=5, max_replicas=5))
    assert (steps(result, "scale_up"), steps(result, "scale_down")) == ([(0, 5)], [(0, 5)])
    assert (result["scale_up"]["seconds_to_max_ready"], result["misses"]) == (0, [])


@pytest.mark.parametrize(("obj", "options", "message"), [
    ("hpa", {}, "hpa_timeline input must be a HorizontalPodAutoscaler mapping, got str"),
    ({**SPEC_HPA, "kind": "Deployment"}, {}, "kind='Deployment': must be HorizontalPodAutoscaler"),
    (hpa(min_replicas=10, max_replicas=5), {}, "spec.minReplicas=10 is greater than spec.maxReplicas=5"),
    (hpa(min_replicas=0), {}, "spec.minReplicas=0: must be at least 1"),
    (hpa(lambda s: s.pop("maxReplicas")), {}, "spec.maxReplicas is missing"),
    (hpa(lambda s: s["behavior"]["scaleUp"]["policies"][1].update(type="Replicas")), {},
     "spec.behavior.scaleUp.policies[1].type='Replicas': must be Pods or Percent"),
    (hpa(lambda s: s["behavior"]["scaleDown"]["policies"][0].update(value="10")), {},
     "spec.behavior.scaleDown.policies[0].value='10': must be a whole number"),
    (hpa(lambda s: s["behavior"]["scaleDown"]["policies"][0].update(periodSeconds=3600)), {},
     "spec.behavior.scaleDown.policies[0].periodSeconds=3600: must be between 1 and 1800"),
    (hpa(lambda s: s["behavior"]["scaleDown"].update(selectPolicy="Fastest")), {},
     "spec.behavior.scaleDown.selectPolicy='Fastest': must be Max, Min or Disabled"),
    (hpa(lambda s: s["behavior"]["scaleUp"].update(policies=[])), {},
     "spec.behavior.scaleUp.policies=[]: must be a non-empty list"),
    (SPEC_HPA, {"sync_period_seconds": 0}, "sync_period_seconds=0: must be at least 1"),
])
def test_bad_input_names_the_field(obj, options, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        hpa_timeline(obj, **options)
