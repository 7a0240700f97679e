"""A pod's resources as Kubernetes counts them, computed here independently of plugins/module_utils/capacity.py, so
the tests can check the quotas and the capacity report against it."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.filter.k8s_quantity import k8s_quantity


def effective(pod: dict, kind: str, resource: str) -> float:
    """A pod's request or limit (kind) of a resource in base units, as the quota and the scheduler count it: the app
    containers and the native sidecars (init containers with restartPolicy Always) summed, or the largest init
    container with the sidecars started before it, whichever is more."""
    spec = pod["spec"]

    def amount(container: dict) -> float:
        return k8s_quantity(container.get("resources", {}).get(kind, {}).get(resource, 0))

    sidecars = peak = 0.0
    for container in spec.get("initContainers", []):
        if container.get("restartPolicy") == "Always":
            sidecars += amount(container)
        else:
            peak = max(peak, amount(container) + sidecars)
    return max(sum(amount(c) for c in spec["containers"]) + sidecars, peak)


def sidecar_of(pod: dict) -> dict | None:
    """The pod's injected istio-proxy (an init container: Istio injects native sidecars here), or None; never two.
    The gateways' own istio-proxy app containers are the gateways themselves, not injected."""
    found = [c for c in pod["spec"].get("initContainers", []) if c["name"] == "istio-proxy"]
    assert len(found) <= 1, found
    return found[0] if found else None


def meshed(namespace: dict, revision: str = "default") -> bool:
    """Whether istiod injects in this namespace: istio-injection=enabled, or istio.io/rev=<revision> without any
    istio-injection label (which decides where both are set)."""
    labels = namespace["metadata"].get("labels", {})
    if "istio-injection" in labels:
        return labels["istio-injection"] == "enabled"
    return labels.get("istio.io/rev") == revision
