"""Under EKS Pod Identity no EKS add-on may name a role: an add-on's serviceAccountRoleArn makes EKS annotate its
service account, IRSA then comes first in the SDKs' credential chain, and the role (trusting pods.eks.amazonaws.com
only) cannot be assumed that way. Every play that hands the eks_addons role its role ARNs must condition them on
platform_aws_identity."""

from __future__ import annotations

import re

import yaml

KEY = "eks_addons_irsa_role_arns"


def unconditioned(text: str) -> list[str]:
    """The values given to eks_addons_irsa_role_arns in a playbook or task file that do not depend on the mode."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == KEY and "platform_aws_identity" not in str(value):
                    found.append(str(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for document in yaml.safe_load_all(text):
        walk(document)
    return found


def test_every_play_conditions_the_addon_roles_on_the_identity_mode(root):
    files = sorted(root.glob("playbooks/**/*.yml")) + [root / "site.yml"]
    given = [f for f in files if re.search(rf"^\s+{KEY}:", f.read_text(), re.M)]
    assert len(given) >= 3, given  # aws.yml, upgrade.yml, the control plane rollback
    assert {str(f.relative_to(root)): unconditioned(f.read_text()) for f in given} == {
        str(f.relative_to(root)): [] for f in given}


def test_the_check_bites_on_a_role_map_given_as_is():
    bad = f"- include_role:\n    name: triptrip.platform.eks_addons\n  vars:\n    {KEY}: \"{{{{ aws_irsa_role_arns }}}}\"\n"
    assert unconditioned(bad) == ["{{ aws_irsa_role_arns }}"]
    good = bad.replace("aws_irsa_role_arns }}", "aws_irsa_role_arns if platform_aws_identity == 'irsa' else {} }}")
    assert unconditioned(good) == []
