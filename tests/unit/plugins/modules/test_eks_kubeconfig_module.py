"""triptrip.platform.eks_kubeconfig: one DescribeCluster, then the kubeconfig and the token helper written beside it
(0600, 0700, folders 0700), atomically and only when they differ; nothing written for a missing cluster or in check
mode; throttling retried."""

from __future__ import annotations

import base64
import json
import os

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_kubeconfig

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n").decode()
CLUSTER = {"name": "triptrip-production", "arn": "arn:aws:eks:ap-northeast-1:123456789012:cluster/triptrip-production",
           "endpoint": "https://ABC.gr7.ap-northeast-1.eks.amazonaws.com", "version": "1.35", "status": "ACTIVE",
           "certificateAuthority": {"data": CA}, "tags": {"CostCenter": "platform"}}
HELPER = "#!/usr/bin/env python3\nprint('token')\n"


def described(stubber, times=1):
    for _attempt in range(times):
        stubber.add_response("describe_cluster", {"cluster": CLUSTER}, {"name": "triptrip-production"})


def args(tmp_path, **more):
    return {"name": "triptrip-production", "path": str(tmp_path / "state" / "kubeconfig"), **more}


def mode(path):
    return os.stat(path).st_mode & 0o777


def test_the_kubeconfig_and_helper_are_written_private_then_left_alone(run_module, eks, tmp_path):
    client, stubber = eks
    described(stubber, 2)
    result, failed = run_module(eks_kubeconfig, args(tmp_path, token_helper=HELPER, role_arn="arn:aws:iam::1:role/d",
                                                     exec_environment={"AWS_PROFILE": "ops"}), client, EKS_RETRY)
    assert not failed, result
    state = tmp_path / "state"
    assert result["changed"] is True and result["exists"] is True
    assert result["written"] == [str(state / "bin" / "triptrip-eks-token"), str(state / "kubeconfig")]
    assert result["cluster"]["certificate_authority"]["data"] == CA  # eks_cluster_info's shape
    config = json.loads((state / "kubeconfig").read_text())
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == str(state / "bin" / "triptrip-eks-token")
    assert exec_["args"][:3] == ["--cache-dir", str(state / "eks-tokens"), "--"]
    assert exec_["args"][-2:] == ["--role-arn", "arn:aws:iam::1:role/d"]
    assert exec_["env"] == [{"name": "AWS_PROFILE", "value": "ops"}]
    assert config["clusters"][0]["cluster"]["server"] == CLUSTER["endpoint"]
    assert (state / "bin" / "triptrip-eks-token").read_text() == HELPER
    assert (mode(state), mode(state / "bin"), mode(state / "kubeconfig"), mode(state / "bin" / "triptrip-eks-token")) == (
        0o700, 0o700, 0o600, 0o700)
    assert not list(state.rglob(".triptrip-*"))  # no temporary file left
    again, failed = run_module(eks_kubeconfig, args(tmp_path, token_helper=HELPER, role_arn="arn:aws:iam::1:role/d",
                                                    exec_environment={"AWS_PROFILE": "ops"}), client, EKS_RETRY)
    assert not failed and again["changed"] is False and again["written"] == []


def test_a_changed_setting_or_a_loosened_mode_is_written_again_with_a_diff(run_module, eks, tmp_path):
    client, stubber = eks
    described(stubber, 3)
    run_module(eks_kubeconfig, args(tmp_path), client, EKS_RETRY)
    path = tmp_path / "state" / "kubeconfig"
    result, failed = run_module(eks_kubeconfig, {**args(tmp_path), "proxy_url": "http://127.0.0.1:3128",
                                                 "_ansible_diff": True}, client, EKS_RETRY)
    assert not failed, result
    assert result["changed"] is True and result["written"] == [str(path)]
    assert result["diff"]["before"].startswith(f"{path}: ") and "mode 0o600" in result["diff"]["after"]
    assert json.loads(path.read_text())["clusters"][0]["cluster"]["proxy-url"] == "http://127.0.0.1:3128"
    os.chmod(path, 0o644)
    result, failed = run_module(eks_kubeconfig, {**args(tmp_path), "proxy_url": "http://127.0.0.1:3128"}, client, EKS_RETRY)
    assert not failed and result["changed"] is True and mode(path) == 0o600


def test_check_mode_and_a_missing_cluster_write_nothing(run_module, eks, tmp_path):
    client, stubber = eks
    described(stubber)
    result, failed = run_module(eks_kubeconfig, {**args(tmp_path), "_ansible_check_mode": True}, client, EKS_RETRY)
    assert not failed and result["changed"] is True and result["written"] == [str(tmp_path / "state" / "kubeconfig")]
    assert not (tmp_path / "state").exists()
    stubber.add_client_error("describe_cluster", service_error_code="ResourceNotFoundException", http_status_code=404,
                             expected_params={"name": "triptrip-production"})
    result, failed = run_module(eks_kubeconfig, args(tmp_path), client, EKS_RETRY)
    assert not failed and result == {"changed": False, "exists": False, "written": []}
    assert not (tmp_path / "state").exists()


def test_throttling_is_retried_and_a_relative_path_is_refused(run_module, eks, tmp_path, no_backoff_wait):
    client, stubber = eks
    for _attempt in range(2):
        stubber.add_client_error("describe_cluster", service_error_code="ThrottlingException", http_status_code=400)
    described(stubber)
    result, failed = run_module(eks_kubeconfig, args(tmp_path), client, EKS_RETRY)
    assert not failed and result["exists"] is True
    result, failed = run_module(eks_kubeconfig, {**args(tmp_path), "path": "state/kubeconfig"}, client, EKS_RETRY)
    assert failed and "state/kubeconfig" in result["msg"] and "absolute" in result["msg"]
