"""plugins/filter/unhealthy_objects.py: what playbooks/upgrade.yml's health check calls unhealthy."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.filter.unhealthy_objects import unhealthy_objects


def node(name, ready="True", unschedulable=False):
    return {"kind": "Node", "metadata": {"name": name}, "spec": {"unschedulable": unschedulable},
            "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "KubeletNotReady"}]}}


def deployment(replicas, available, updated=None, generation=2, observed=2):
    return {"kind": "Deployment", "metadata": {"name": "api", "namespace": "triptrip-api", "generation": generation},
            "spec": {"replicas": replicas},
            "status": {"availableReplicas": available, "updatedReplicas": available if updated is None else updated,
                       "observedGeneration": observed}}


def test_healthy_objects_give_nothing():
    daemonset = {"kind": "DaemonSet", "metadata": {"name": "fb", "namespace": "logging", "generation": 1},
                 "status": {"desiredNumberScheduled": 4, "numberAvailable": 4, "updatedNumberScheduled": 4,
                            "observedGeneration": 1}}
    statefulset = {"kind": "StatefulSet", "metadata": {"name": "redis", "namespace": "cache", "generation": 1},
                   "spec": {"replicas": 6}, "status": {"readyReplicas": 6, "updatedReplicas": 6, "observedGeneration": 1}}
    assert unhealthy_objects([node("a"), deployment(3, 3), daemonset, statefulset, deployment(0, 0)]) == []


@pytest.mark.parametrize(("obj", "line"), [
    (node("a", ready="False"), "Node a not Ready (KubeletNotReady)"),
    (node("a", unschedulable=True), "Node a cordoned"),
    (deployment(3, 2), "Deployment triptrip-api/api 2/3 available, 2/3 updated"),
    (deployment(3, 3, updated=1), "Deployment triptrip-api/api 3/3 available, 1/3 updated"),
    (deployment(3, 3, generation=3), "Deployment triptrip-api/api not yet observed by its controller"),
])
def test_each_problem_is_named(obj, line):
    assert unhealthy_objects([obj]) == [line]


def test_a_looped_k8s_info_result_is_read_whole():
    registered = {"results": [{"resources": [node("a")]}, {"resources": [deployment(2, 0)]}]}
    assert unhealthy_objects(registered) == ["Deployment triptrip-api/api 0/2 available, 0/2 updated"]


def test_an_unknown_kind_or_shape_fails():
    with pytest.raises(AnsibleFilterError, match="cannot judge the health of a Service"):
        unhealthy_objects([{"kind": "Service", "metadata": {}}])
    with pytest.raises(AnsibleFilterError, match="expected objects"):
        unhealthy_objects("nodes")
