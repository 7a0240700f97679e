"""eks_kubeconfig and eks_kubeconfig_errors: the generated kubeconfig reaches the cluster with an EKS token, and a
kubeconfig of another cluster is told apart by its server and its CA."""

from __future__ import annotations

import base64

import yaml
from ansible_collections.triptrip.platform.plugins.filter.eks_kubeconfig import eks_kubeconfig
from ansible_collections.triptrip.platform.plugins.filter.eks_kubeconfig_errors import eks_kubeconfig_errors

CA = b"-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"
OTHER_CA = b"-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n"
CLUSTER = {"name": "triptrip-production", "arn": "arn:aws:eks:ap-northeast-1:123456789012:cluster/triptrip-production",
           "endpoint": "https://ABC.gr7.ap-northeast-1.eks.amazonaws.com",
           "certificate_authority": {"data": base64.b64encode(CA).decode()}}


def test_the_kubeconfig_runs_aws_eks_get_token_for_the_cluster():
    config = eks_kubeconfig(CLUSTER, "ap-northeast-1", environment={"AWS_PROFILE": "ops", "AWS_MAX_ATTEMPTS": 10})
    assert config["current-context"] == CLUSTER["arn"]
    assert config["clusters"] == [{"name": CLUSTER["arn"], "cluster": {
        "server": CLUSTER["endpoint"], "certificate-authority-data": CLUSTER["certificate_authority"]["data"]}}]
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["--region", "ap-northeast-1", "eks", "get-token", "--cluster-name", "triptrip-production",
                             "--output", "json"]
    assert exec_["env"] == [{"name": "AWS_MAX_ATTEMPTS", "value": "10"}, {"name": "AWS_PROFILE", "value": "ops"}]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert set(config["users"][0]["user"]) == {"exec"}  # no token, no key: a fresh token per client
    assert eks_kubeconfig_errors(yaml.safe_dump(config), CLUSTER) == []


def test_role_and_proxy_reach_the_kubeconfig():
    config = eks_kubeconfig(CLUSTER, "ap-northeast-1", role_arn="arn:aws:iam::123456789012:role/deployer",
                            proxy_url="socks5://127.0.0.1:1080")
    assert config["users"][0]["user"]["exec"]["args"][-2:] == ["--role-arn", "arn:aws:iam::123456789012:role/deployer"]
    assert config["clusters"][0]["cluster"]["proxy-url"] == "socks5://127.0.0.1:1080"
    assert "env" not in config["users"][0]["user"]["exec"]


def test_a_kubeconfig_of_another_cluster_is_refused_naming_both(tmp_path):
    other = eks_kubeconfig({**CLUSTER, "endpoint": "https://127.0.0.1:6443",
                            "certificate_authority": {"data": base64.b64encode(OTHER_CA).decode()}}, "ap-northeast-1")
    errors = eks_kubeconfig_errors(yaml.safe_dump(other), CLUSTER)
    assert errors == [
        f"context '{CLUSTER['arn']}' points at https://127.0.0.1:6443, but cluster triptrip-production is at "
        f"{CLUSTER['endpoint']}",
        f"context '{CLUSTER['arn']}' trusts another CA than cluster triptrip-production's"]


def test_the_context_chosen_and_a_ca_file_are_read(tmp_path):
    (tmp_path / "ca.crt").write_bytes(CA)
    config = {"clusters": [{"name": "eks", "cluster": {"server": CLUSTER["endpoint"] + "/",
                                                       "certificate-authority": "ca.crt"}},
                           {"name": "kind", "cluster": {"server": "https://127.0.0.1:6443"}}],
              "contexts": [{"name": "prod", "context": {"cluster": "eks", "user": "u"}},
                           {"name": "kind", "context": {"cluster": "kind", "user": "u"}}],
              "current-context": "kind"}
    text = yaml.safe_dump(config)
    assert eks_kubeconfig_errors(text, CLUSTER, "prod", base_dir=str(tmp_path)) == []
    assert len(eks_kubeconfig_errors(text, CLUSTER, base_dir=str(tmp_path))) == 2  # the current context: kind
    assert eks_kubeconfig_errors(text, CLUSTER, "missing") == ["the kubeconfig has no context 'missing'"]
    assert eks_kubeconfig_errors(text, CLUSTER, "prod", base_dir=str(tmp_path / "elsewhere"))[0].endswith(
        "trusts another CA than cluster triptrip-production's")
    assert eks_kubeconfig_errors("- a\n- b\n", CLUSTER) == ["the kubeconfig is not a mapping"]
    assert eks_kubeconfig_errors("{", CLUSTER)[0].startswith("the kubeconfig is not YAML")
