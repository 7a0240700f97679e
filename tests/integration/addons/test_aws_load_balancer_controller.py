"""AWS Load Balancer Controller on the converged local platform (spec 2.1.2, 7.1.2): the release at the pinned
version in kube-system for this cluster, region and VPC, two replicas on the IRSA service account, the IngressClass
`alb` from the chart, and the internet-facing ALB Ingress that sends api.triptrip.com to the Istio ingress gateway
(ip targets, health-checked on the gateway's status port), with the NetworkPolicy that lets the ALB in."""

from __future__ import annotations

import json

NS = "kube-system"
CLUSTER = "triptrip-local"
REGION = "ap-northeast-1"
LABELS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}


def test_the_controller_knows_its_cluster_region_and_vpc(addons):
    values = addons.values("aws-load-balancer-controller", NS)
    assert values["clusterName"] == CLUSTER
    assert values["region"] == REGION
    assert values["vpcId"].startswith("vpc-") and values["vpcId"] != "vpc-missing"
    deployment = addons.get("deployment", "aws-load-balancer-controller", NS)
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--cluster-name={CLUSTER}" in args
    assert f"--aws-vpc-id={values['vpcId']}" in args
    assert "--default-target-type=ip" in args


def test_two_replicas_run_on_the_pod_identity_service_account(addons):
    values = addons.values("aws-load-balancer-controller", NS)
    assert values["replicaCount"] == 2
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    ways = addons.credentials(NS, "aws-load-balancer-controller")
    assert ways["irsa"] == "" and ways["pod_identity"].endswith(f":role/{CLUSTER}-aws-load-balancer-controller"), ways
    deployment = addons.get("deployment", "aws-load-balancer-controller", NS)
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "aws-load-balancer-controller"
    assert deployment["status"].get("readyReplicas") == 2


def test_the_chart_creates_the_alb_ingress_class_which_is_not_the_default(addons):
    values = addons.values("aws-load-balancer-controller", NS)
    assert values["createIngressClassResource"] is True and values["ingressClass"] == "alb"
    ingress_class = addons.get("ingressclass", "alb")
    assert ingress_class["spec"]["controller"] == "ingress.k8s.aws/alb"
    assert "ingressclass.kubernetes.io/is-default-class" not in ingress_class["metadata"].get("annotations", {})


def test_the_public_ingress_sends_the_api_host_to_the_istio_gateway_through_an_internet_facing_alb(addons):
    ingress = addons.get("ingress", "triptrip-public", "istio-system")
    assert LABELS.items() <= ingress["metadata"]["labels"].items()
    annotations = {k: v for k, v in ingress["metadata"]["annotations"].items() if k.startswith("alb.ingress")}
    assert annotations == {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/healthcheck-protocol": "HTTP",
        "alb.ingress.kubernetes.io/healthcheck-path": "/healthz/ready",
        "alb.ingress.kubernetes.io/healthcheck-port": "15021",
        "alb.ingress.kubernetes.io/success-codes": "200",
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}]',
    }
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"] == [{"host": "api.triptrip.com", "http": {"paths": [{
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "istio-ingressgateway", "port": {"number": 80}}}}]}}]


def test_the_alb_may_reach_the_gateway_pods_on_traffic_and_status_ports(addons):
    for name, port in (("alb-to-gateway", 80), ("alb-health-check", 15021)):
        policy = addons.get("networkpolicy", f"flow-aws-load-balancer-controller-{name}-in", "istio-system")["spec"]
        assert policy["podSelector"] == {"matchLabels": {"app": "istio-ingressgateway"}}
        assert policy["ingress"] == [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}],
                                      "ports": [{"protocol": "TCP", "port": port}]}]


def test_a_misspelt_field_of_the_ingress_is_rejected(addons):
    manifest = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": "triptrip-public", "namespace": "istio-system"},
                "spec": {"ingressClasName": "alb"}}
    res = addons.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=pytest", "-f", "-",
                         stdin=json.dumps(manifest))
    assert res.returncode != 0
    assert ".spec.ingressClasName: field not declared in schema" in res.stderr
