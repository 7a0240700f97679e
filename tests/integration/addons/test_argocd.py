"""Argo CD on the converged local platform (spec 7.2.1): the release at the pinned version in `argocd` with the
ApplicationSet controller running, the AppProject `triptrip` bounded to the manifests repository, this cluster's
workload namespaces and the service charts' kinds, no ApplicationSet (each cluster's Argo CD owns its own workloads),
and field-by-field checking by the API server. The workloads' Applications: tests/integration/test_workload_owner.py
and addons/test_zz_owner.py."""

from __future__ import annotations

import json

NS = "argocd"
REPO = "https://github.com/triptrip/k8s-manifests.git"
IN_CLUSTER = "https://kubernetes.default.svc"
LABELS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}
WORKLOAD_NAMESPACES = ["triptrip-api", "triptrip-web", "triptrip-workers", "triptrip-ml", "triptrip-cache",
                       "triptrip-db", "triptrip-batch"]


def test_the_applicationset_controller_runs_and_the_components_are_highly_available(addons):
    values = addons.values("argocd", NS)
    assert values["applicationSet"]["replicas"] == 2
    replicas = (values["server"]["replicas"], values["repoServer"]["replicas"], values["controller"]["replicas"])
    assert replicas == (2, 2, 1)
    assert values["crds"] == {"install": True, "keep": True}
    assert values["dex"] == {"enabled": False}
    for name, replicas in [("argocd-applicationset-controller", 2), ("argocd-server", 2), ("argocd-repo-server", 2),
                           ("argocd-application-controller", 1)]:
        deployment = addons.get("deployment", name, NS)
        assert deployment["status"].get("readyReplicas") == replicas, name
        assert deployment["spec"]["template"]["spec"]["priorityClassName"] == "triptrip-platform-critical", name


def test_the_namespace_enforces_restricted_pod_security(addons):
    labels = addons.get("namespace", NS)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_project_allows_the_manifests_repository_the_workload_namespaces_and_the_chart_kinds(addons):
    project = addons.get("appproject", "triptrip", NS)
    assert LABELS.items() <= project["metadata"]["labels"].items()
    spec = project["spec"]
    assert spec["sourceRepos"] == [REPO]
    assert sorted((d["server"], d["namespace"]) for d in spec["destinations"]) == sorted(
        (IN_CLUSTER, namespace) for namespace in WORKLOAD_NAMESPACES)
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    kinds = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    assert {("apps", "Deployment"), ("autoscaling", "HorizontalPodAutoscaler"),
            ("external-secrets.io", "ExternalSecret"), ("networking.istio.io", "VirtualService"),
            ("networking.istio.io", "DestinationRule")} <= kinds
    assert ("rbac.authorization.k8s.io", "ClusterRole") not in kinds


def test_no_applicationset_fans_the_services_out_to_other_clusters(addons):
    """Spec 7.2.1's ApplicationSet sent every service to every environment's cluster: a second owner of each, and
    clusters whose private endpoints another VPC cannot reach. None is made."""
    res = addons.kubectl("get", "applicationsets.argoproj.io", "-A", "-o", "name")
    assert res.returncode == 0 and res.stdout.strip() == "", res.stdout + res.stderr


def test_only_the_repo_server_and_the_applicationset_controller_may_leave_the_vpc_on_443(addons):
    policies = json.loads(addons.kubectl("get", "networkpolicy", "-n", NS, "-o", "json").stdout)["items"]
    outside = {p["metadata"]["name"]: p["spec"]["podSelector"] for p in policies
               if any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0"
                      for rule in p["spec"].get("egress", []) for peer in rule.get("to", []))}
    assert outside == {
        "flow-argocd-repo-server-git-out": {"matchLabels": {"app.kubernetes.io/name": "argocd-repo-server"}},
        "flow-argocd-appset-git-out": {"matchLabels": {"app.kubernetes.io/name": "argocd-applicationset-controller"}}}
    for name in outside:
        [rule] = next(p for p in policies if p["metadata"]["name"] == name)["spec"]["egress"]
        assert rule["ports"] == [{"protocol": "TCP", "port": 443}]


def test_a_misspelt_field_of_the_application_is_rejected(addons):
    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                "metadata": {"name": "triptrip-api", "namespace": NS},
                "spec": {"project": "triptrip", "destination": {"server": IN_CLUSTER, "namespace": "triptrip-api"},
                         "syncPolicy": {"automated": {"prune": True, "selfHael": True}}}}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=pytest", "-f", "-",
                         stdin=json.dumps(manifest))
    assert res.returncode != 0
    assert ".spec.syncPolicy.automated.selfHael: field not declared in schema" in res.stderr
