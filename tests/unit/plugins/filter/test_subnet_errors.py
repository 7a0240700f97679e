"""subnet_errors: zones of the region and no overlapping subnets; each error names the path, the value and the rule;
every inventory's subnets pass."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter.subnet_errors import subnet_errors

TOKYO = [{"az": "ap-northeast-1a", "cidr": "10.0.0.0/19"}, {"az": "ap-northeast-1c", "cidr": "10.0.32.0/19"},
         {"az": "ap-northeast-1d", "cidr": "10.0.64.0/19"}]


def test_the_spec_subnets_are_valid():
    assert subnet_errors(TOKYO, "ap-northeast-1") == []


@pytest.mark.parametrize("env", ["development", "staging", "dr"])
def test_the_inventories_subnets_are_valid(root, env):
    settings = yaml.safe_load((root / "inventories" / env / "group_vars" / "all" / "main.yml").read_text())
    region = settings.get("platform_aws_region", "ap-northeast-1")
    assert subnet_errors(settings["platform_private_subnets"], region) == []


@pytest.mark.parametrize(("subnets", "region", "expected"), [
    ([{**TOKYO[0], "az": "us-east-1a"}, *TOKYO[1:]], "ap-northeast-1",
     ["platform_private_subnets[0].az='us-east-1a': must be an availability zone of platform_aws_region=ap-northeast-1, "
      "the region followed by one lower-case letter (such as ap-northeast-1a)"]),
    ([*TOKYO[:2], {**TOKYO[2], "az": "zone-a"}], "ap-northeast-1",
     ["platform_private_subnets[2].az='zone-a': must be an availability zone of platform_aws_region=ap-northeast-1, "
      "the region followed by one lower-case letter (such as ap-northeast-1a)"]),
    (TOKYO, "ap-northeast-3",
     [f"platform_private_subnets[{i}].az='ap-northeast-1{z}': must be an availability zone of "
      "platform_aws_region=ap-northeast-3, the region followed by one lower-case letter (such as ap-northeast-3a)"
      for i, z in enumerate("acd")]),
    ([TOKYO[0], {**TOKYO[1], "cidr": "10.0.0.0/20"}, TOKYO[2]], "ap-northeast-1",
     ["platform_private_subnets[1].cidr=10.0.0.0/20 overlaps platform_private_subnets[0].cidr=10.0.0.0/19: "
      "the subnets of a VPC must not overlap"]),
    ([TOKYO[0], TOKYO[1], {**TOKYO[2], "cidr": "10.0.0.0/16"}], "ap-northeast-1",
     ["platform_private_subnets[2].cidr=10.0.0.0/16 overlaps platform_private_subnets[0].cidr=10.0.0.0/19: "
      "the subnets of a VPC must not overlap",
      "platform_private_subnets[2].cidr=10.0.0.0/16 overlaps platform_private_subnets[1].cidr=10.0.32.0/19: "
      "the subnets of a VPC must not overlap"]),
])
def test_each_rule_names_the_path_value_and_rule(subnets, region, expected):
    assert subnet_errors(subnets, region) == expected


def test_a_zone_of_a_longer_region_name_is_not_taken_for_one_of_the_region():
    # us-east-1 followed by one letter only: us-east-10a is no zone of us-east-1.
    assert subnet_errors([{"az": "us-east-10a", "cidr": "10.0.0.0/19"}], "us-east-1") == [
        "platform_private_subnets[0].az='us-east-10a': must be an availability zone of platform_aws_region=us-east-1, "
        "the region followed by one lower-case letter (such as us-east-1a)"]


def test_malformed_cidrs_are_left_to_the_form_check():
    assert subnet_errors([{"az": "ap-northeast-1a", "cidr": "not-a-cidr"}, {"az": "ap-northeast-1c", "cidr": None},
                          TOKYO[0]], "ap-northeast-1") == []


def test_not_a_list_is_an_error():
    assert subnet_errors("10.0.0.0/19", "ap-northeast-1") == [
        "platform_private_subnets='10.0.0.0/19': must be a list of {az, cidr}"]
