"""aws_in_sync: true only when the converge module would change nothing; any difference, a missing resource or a
parameter it cannot compare gives false (so the module runs)."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.filter.aws_in_sync import aws_in_sync

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
ROLE = {"arn": "arn:aws:iam::123456789012:role/t-cluster", "path": "/", "description": "IRSA role",
        "max_session_duration": 3600, "assume_role_policy_document": TRUST,
        "managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
        "inline_policies": {"keda": {"Version": "2012-10-17",
                                     "Statement": [{"Effect": "Allow", "Action": "sqs:GetQueueAttributes",
                                                    "Resource": "*"}]}},
        "permissions_boundary_arn": "", "tags": {"team": "platform", "env": "prod"}}
ROLE_PARAMS = {"assume_role_policy_document": TRUST, "managed_policies": ROLE["managed_policy_arns"],
               "purge_policies": True, "tags": {"team": "platform", "env": "prod"}, "create_instance_profile": False,
               "description": "IRSA role"}


def test_a_role_as_wanted_is_in_sync():
    assert aws_in_sync(ROLE, "iam_role", ROLE_PARAMS) is True
    # The same trust as a JSON string, its statement's action order changed: the same policy for IAM.
    reordered = json.loads(json.dumps(TRUST))
    reordered["Statement"][0]["Action"].reverse()
    assert aws_in_sync(ROLE, "iam_role", {**ROLE_PARAMS, "assume_role_policy_document": json.dumps(reordered)})


@pytest.mark.parametrize("change", [
    {"assume_role_policy_document": {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "x"}}]}},
    {"managed_policies": []},  # purge would detach the one attached
    {"managed_policies": [*ROLE["managed_policy_arns"], "arn:aws:iam::aws:policy/Other"]},
    {"managed_policies": ["AmazonEKSClusterPolicy"]},  # a name: the module resolves it with ListPolicies
    {"tags": {"team": "platform"}},  # purge_tags (default true) would remove env
    {"tags": {"team": "platform", "env": "dev"}},
    {"description": "another"},
    {"max_session_duration": 7200},
    {"create_instance_profile": True},  # profiles are not part of the read
    {"boundary": "arn:aws:iam::123456789012:policy/b"},  # a parameter it does not compare
])
def test_any_difference_or_unknown_parameter_is_out_of_sync(change):
    assert aws_in_sync(ROLE, "iam_role", {**ROLE_PARAMS, **change}) is False


def test_extra_tags_stay_in_sync_without_purge_and_a_policy_kept_without_purge():
    params = {**ROLE_PARAMS, "tags": {"team": "platform"}, "purge_tags": False, "managed_policies": [],
              "purge_policies": False}
    assert aws_in_sync(ROLE, "iam_role", params) is True


@pytest.mark.parametrize("current", [None, {}])
def test_a_missing_resource_is_out_of_sync(current):
    assert aws_in_sync(current, "iam_role", ROLE_PARAMS) is False


def test_inline_policies():
    doc = ROLE["inline_policies"]["keda"]
    assert aws_in_sync(ROLE, "iam_policy", {"policy_name": "keda", "policy_json": json.dumps(doc)}) is True
    changed = {**doc, "Statement": [{**doc["Statement"][0], "Resource": "arn:aws:sqs:*:*:q"}]}
    assert aws_in_sync(ROLE, "iam_policy", {"policy_name": "keda", "policy_json": changed}) is False
    assert aws_in_sync(ROLE, "iam_policy", {"policy_name": "other", "policy_json": doc}) is False


VPC = {"id": "vpc-1", "cidr_block": "10.0.0.0/16", "enable_dns_hostnames": True, "enable_dns_support": True,
       "tags": {"Name": "t", "team": "platform"}}
VPC_PARAMS = {"name": "t", "cidr_block": "10.0.0.0/16", "dns_hostnames": True, "dns_support": True,
              "tags": {"team": "platform"}}


def test_vpc():
    assert aws_in_sync(VPC, "vpc", VPC_PARAMS) is True
    assert aws_in_sync({**VPC, "enable_dns_hostnames": False}, "vpc", VPC_PARAMS) is False
    assert aws_in_sync({**VPC, "tags": {"Name": "t", "team": "x"}}, "vpc", VPC_PARAMS) is False
    assert aws_in_sync({**VPC, "tags": {"Name": "t", "team": "platform", "extra": "1"}}, "vpc", VPC_PARAMS) is False
    assert aws_in_sync(VPC, "vpc", {**VPC_PARAMS, "cidr_block": "10.1.0.0/16"}) is False


SUBNET = {"subnet_id": "subnet-1", "cidr_block": "10.0.0.0/19", "availability_zone": "ap-northeast-1a",
          "map_public_ip_on_launch": False, "assign_ipv6_address_on_creation": False,
          "tags": {"Name": "t-private-ap-northeast-1a", "kubernetes.io/role/internal-elb": "1"}}
SUBNET_PARAMS = {"cidr": "10.0.0.0/19", "az": "ap-northeast-1a", "map_public": False,
                 "tags": {"Name": "t-private-ap-northeast-1a", "kubernetes.io/role/internal-elb": "1"}}


def test_subnet():
    assert aws_in_sync(SUBNET, "subnet", SUBNET_PARAMS) is True
    assert aws_in_sync({**SUBNET, "map_public_ip_on_launch": True}, "subnet", SUBNET_PARAMS) is False
    assert aws_in_sync({**SUBNET, "availability_zone": "ap-northeast-1c"}, "subnet", SUBNET_PARAMS) is False
    assert aws_in_sync({**SUBNET, "tags": {"Name": "t-private-ap-northeast-1a"}}, "subnet", SUBNET_PARAMS) is False


GROUP = {"group_id": "sg-1", "group_name": "t-cluster", "description": "Additional", "tags": {"Name": "t-cluster"}}
GROUP_PARAMS = {"name": "t-cluster", "description": "Additional", "rules": [], "purge_rules": False,
                "tags": {"Name": "t-cluster"}}


def test_security_group():
    assert aws_in_sync(GROUP, "security_group", GROUP_PARAMS) is True
    assert aws_in_sync({**GROUP, "tags": {}}, "security_group", GROUP_PARAMS) is False
    assert aws_in_sync(GROUP, "security_group", {**GROUP_PARAMS, "purge_rules": True}) is False  # rules not read
    assert aws_in_sync(GROUP, "security_group", {**GROUP_PARAMS, "rules": [{"proto": "tcp"}]}) is False


API_RULES = [{"proto": "tcp", "ports": [443], "cidr_ip": ["10.0.0.0/16", "10.8.0.0/16"], "rule_desc": "API"}]
API_PARAMS = {**GROUP_PARAMS, "rules": API_RULES, "purge_rules": True, "purge_rules_egress": False}
API_INGRESS = [{"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [
    {"cidr_ip": "10.0.0.0/16", "description": "API"}, {"cidr_ip": "10.8.0.0/16", "description": "API"}]}]


def test_security_group_with_the_api_rule_is_in_sync_only_with_exactly_that_ingress():
    assert aws_in_sync({**GROUP, "ip_permissions": API_INGRESS}, "security_group", API_PARAMS) is True
    # a CIDR missing, one too many, another description, another port: the module has to run
    one = [{**API_INGRESS[0], "ip_ranges": API_INGRESS[0]["ip_ranges"][:1]}]
    assert aws_in_sync({**GROUP, "ip_permissions": one}, "security_group", API_PARAMS) is False
    extra = [*API_INGRESS, {"ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                            "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}]
    assert aws_in_sync({**GROUP, "ip_permissions": extra}, "security_group", API_PARAMS) is False
    renamed = [{**API_INGRESS[0], "ip_ranges": [{**r, "description": "x"} for r in API_INGRESS[0]["ip_ranges"]]}]
    assert aws_in_sync({**GROUP, "ip_permissions": renamed}, "security_group", API_PARAMS) is False
    assert aws_in_sync({**GROUP, "ip_permissions": []}, "security_group", API_PARAMS) is False
    # a rule of a shape not compared (another group as source), or egress the module would purge: not in sync
    pairs = [{**API_INGRESS[0], "user_id_group_pairs": [{"group_id": "sg-2"}]}]
    assert aws_in_sync({**GROUP, "ip_permissions": pairs}, "security_group", API_PARAMS) is False
    assert aws_in_sync({**GROUP, "ip_permissions": API_INGRESS}, "security_group",
                       {**API_PARAMS, "purge_rules_egress": True}) is False


def test_an_unknown_kind_is_an_error():
    with pytest.raises(AnsibleFilterError, match="kind='rds'"):
        aws_in_sync(VPC, "rds", {})


KEY = {"key_id": "k-1", "key_arn": "arn:aws:kms:ap-northeast-1:123456789012:key/k-1", "key_state": "Enabled",
       "description": "EKS secrets", "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT",
       "enable_key_rotation": True, "tags": {"team": "platform"}}
KEY_PARAMS = {"alias": "t-eks-secrets", "description": "EKS secrets", "enable_key_rotation": True,
              "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "tags": {"team": "platform"},
              "purge_tags": True}


@pytest.mark.parametrize(("current", "params", "expected"), [
    (KEY, KEY_PARAMS, True),
    ({**KEY, "key_state": "PendingDeletion"}, KEY_PARAMS, False),  # kms_key would cancel the deletion
    ({**KEY, "key_state": "Disabled"}, KEY_PARAMS, False),
    ({**KEY, "enable_key_rotation": False}, KEY_PARAMS, False),
    ({**KEY, "enable_key_rotation": None}, KEY_PARAMS, False),  # rotation could not be read
    ({**KEY, "description": "old"}, KEY_PARAMS, False),
    ({**KEY, "tags": {}}, KEY_PARAMS, False),
    (KEY, {**KEY_PARAMS, "policy": "{}"}, False),  # a managed key policy is not part of the read
])
def test_kms_key(current, params, expected):
    assert aws_in_sync(current, "kms_key", params) is expected


# amazon.aws.ec2_launch_template_info's shape (read from moto): data snake_cased, tag lists with key/value, and
# the metadata defaults the module sends.
TAGS = [{"key": "Project", "value": "triptrip"}, {"key": "Name", "value": "t-general"}]
TEMPLATE = {"launch_template_name": "t-general", "default_version_number": 2, "latest_version_number": 2,
            "versions": [{"version_number": 1, "version_description": "triptrip-platform", "launch_template_data": {}},
                         {"version_number": 2, "version_description": "triptrip-platform", "launch_template_data": {
                             "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {
                                 "delete_on_termination": True, "encrypted": True, "iops": 3000, "throughput": 125,
                                 "volume_size": 100, "volume_type": "gp3"}}],
                             "metadata_options": {"http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
                                                  "http_put_response_hop_limit": 1, "http_tokens": "required",
                                                  "instance_metadata_tags": "disabled"},
                             "tag_specifications": [{"resource_type": "instance", "tags": TAGS},
                                                    {"resource_type": "volume", "tags": TAGS[::-1]}]}}]}
TEMPLATE_PARAMS = {
    "version_description": "triptrip-platform",
    "metadata_options": {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1},
    "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {"volume_size": 100, "volume_type": "gp3",
                                                                   "iops": 3000, "throughput": 125, "encrypted": True,
                                                                   "delete_on_termination": True}}],
    "tag_specifications": [{"resource_type": "instance", "tags": {"Project": "triptrip", "Name": "t-general"}},
                           {"resource_type": "volume", "tags": {"Project": "triptrip", "Name": "t-general"}}]}


def _with_latest(**data):
    latest = {**TEMPLATE["versions"][1], "launch_template_data": {**TEMPLATE["versions"][1]["launch_template_data"],
                                                                  **data}}
    return {**TEMPLATE, "versions": [TEMPLATE["versions"][0], latest]}


def test_launch_template_in_sync_only_when_its_latest_version_is_the_wanted_data():
    assert aws_in_sync(TEMPLATE, "launch_template", TEMPLATE_PARAMS) is True
    hop2 = {**TEMPLATE["versions"][1]["launch_template_data"]["metadata_options"], "http_put_response_hop_limit": 2}
    assert aws_in_sync(_with_latest(metadata_options=hop2), "launch_template", TEMPLATE_PARAMS) is False
    disk = [{"device_name": "/dev/xvda", "ebs": {"delete_on_termination": True, "encrypted": True, "iops": 3000,
                                                 "throughput": 125, "volume_size": 200, "volume_type": "gp3"}}]
    assert aws_in_sync(_with_latest(block_device_mappings=disk), "launch_template", TEMPLATE_PARAMS) is False
    other_tags = [{"resource_type": "instance", "tags": TAGS[:1]}, {"resource_type": "volume", "tags": TAGS}]
    assert aws_in_sync(_with_latest(tag_specifications=other_tags), "launch_template", TEMPLATE_PARAMS) is False
    assert aws_in_sync({**TEMPLATE, "default_version_number": 1}, "launch_template", TEMPLATE_PARAMS) is False
    assert aws_in_sync({**TEMPLATE, "latest_version_number": 3}, "launch_template", TEMPLATE_PARAMS) is False
    assert aws_in_sync(TEMPLATE, "launch_template", {**TEMPLATE_PARAMS, "version_description": "x"}) is False
    assert aws_in_sync(TEMPLATE, "launch_template", {**TEMPLATE_PARAMS, "image_id": "ami-1"}) is False


# The egress of the nat mode, in the shapes of ec2_vpc_igw_info, ec2_vpc_nat_gateway_info, ec2_vpc_route_table_info.
IGW = {"internet_gateway_id": "igw-1", "attachments": [{"state": "available", "vpc_id": "vpc-1"}],
       "tags": {"Name": "t", "team": "platform"}}
IGW_PARAMS = {"vpc_id": "vpc-1", "tags": {"Name": "t", "team": "platform"}}


def test_internet_gateway():
    assert aws_in_sync([IGW], "internet_gateway", IGW_PARAMS) is True
    assert aws_in_sync([IGW, {**IGW, "internet_gateway_id": "igw-2"}], "internet_gateway", IGW_PARAMS) is False
    assert aws_in_sync([{**IGW, "attachments": [{"state": "detaching", "vpc_id": "vpc-1"}]}], "internet_gateway",
                       IGW_PARAMS) is False
    assert aws_in_sync([{**IGW, "attachments": [{"state": "available", "vpc_id": "vpc-2"}]}], "internet_gateway",
                       IGW_PARAMS) is False
    assert aws_in_sync([{**IGW, "tags": {"Name": "t"}}], "internet_gateway", IGW_PARAMS) is False
    assert aws_in_sync([], "internet_gateway", IGW_PARAMS) is False


NAT = {"nat_gateway_id": "nat-1", "subnet_id": "subnet-p1", "state": "available", "connectivity_type": "public",
       "tags": {"Name": "t-nat-a"}}
NAT_PARAMS = {"subnet_id": "subnet-p1", "if_exist_do_not_create": True, "wait": True, "wait_timeout": 600,
              "tags": {"Name": "t-nat-a"}}


def test_nat_gateway():
    other_subnet = {**NAT, "nat_gateway_id": "nat-2", "subnet_id": "subnet-p2"}
    assert aws_in_sync([NAT, other_subnet, {**NAT, "nat_gateway_id": "nat-0", "state": "deleted"}], "nat_gateway",
                       NAT_PARAMS) is True
    assert aws_in_sync([other_subnet], "nat_gateway", NAT_PARAMS) is False  # none in the subnet
    assert aws_in_sync([{**NAT, "state": "pending"}], "nat_gateway", NAT_PARAMS) is False
    assert aws_in_sync([NAT, {**NAT, "nat_gateway_id": "nat-3"}], "nat_gateway", NAT_PARAMS) is False
    assert aws_in_sync([{**NAT, "connectivity_type": "private"}], "nat_gateway", NAT_PARAMS) is False
    assert aws_in_sync([{**NAT, "tags": {"Name": "t-nat-a", "extra": "1"}}], "nat_gateway", NAT_PARAMS) is False
    assert aws_in_sync([NAT], "nat_gateway", {**NAT_PARAMS, "if_exist_do_not_create": False}) is False
    assert aws_in_sync([NAT], "nat_gateway", {**NAT_PARAMS, "allocation_id": "eipalloc-1"}) is False


TABLE = {"id": "rtb-1", "route_table_id": "rtb-1", "vpc_id": "vpc-1", "tags": {"Name": "t-private-a", "team": "p"},
         "associations": [{"main": False, "subnet_id": "subnet-1"}],
         "routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"},
                    {"destination_cidr_block": "0.0.0.0/0", "gateway_id": None, "nat_gateway_id": "nat-1",
                     "origin": "CreateRoute"},
                    {"destination_cidr_block": None, "destination_prefix_list_id": "pl-1", "gateway_id": "vpce-1",
                     "origin": "CreateRoute"}]}
MAIN = {"id": "rtb-0", "vpc_id": "vpc-1", "tags": {}, "associations": [{"main": True, "subnet_id": None}],
        "routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"}]}
TABLE_PARAMS = {"vpc_id": "vpc-1", "lookup": "tag", "tags": {"Name": "t-private-a", "team": "p"},
                "subnets": ["subnet-1"], "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}]}


def test_route_table():
    assert aws_in_sync([MAIN, TABLE], "route_table", TABLE_PARAMS) is True
    extra_route = {**TABLE, "routes": TABLE["routes"] + [{"destination_cidr_block": "192.168.0.0/16",
                                                          "gateway_id": "igw-1", "origin": "CreateRoute"}]}
    assert aws_in_sync([extra_route], "route_table", TABLE_PARAMS) is False
    assert aws_in_sync([extra_route], "route_table", {**TABLE_PARAMS, "purge_routes": False}) is True
    assert aws_in_sync([TABLE], "route_table", {**TABLE_PARAMS, "routes": [{"dest": "0.0.0.0/0",
                                                                            "nat_gateway_id": "nat-2"}]}) is False
    assert aws_in_sync([TABLE], "route_table", {**TABLE_PARAMS, "routes": [{"dest": "0.0.0.0/0",
                                                                            "gateway_id": "igw-1"}]}) is False
    assert aws_in_sync([TABLE], "route_table", {**TABLE_PARAMS, "routes": []}) is False  # the NAT route is purged
    assert aws_in_sync([TABLE], "route_table", {**TABLE_PARAMS, "subnets": ["subnet-1", "subnet-2"]}) is False
    assert aws_in_sync([{**TABLE, "associations": TABLE["associations"] + [{"main": False, "subnet_id": "subnet-9"}]}],
                       "route_table", TABLE_PARAMS) is False
    assert aws_in_sync([TABLE], "route_table", {**TABLE_PARAMS, "subnets": ["10.0.0.0/19"]}) is False
    assert aws_in_sync([TABLE, {**TABLE, "id": "rtb-2"}], "route_table", TABLE_PARAMS) is False  # not unique
    assert aws_in_sync([{**TABLE, "tags": {"Name": "t-private-a"}}], "route_table", TABLE_PARAMS) is False
    assert aws_in_sync([{**TABLE, "tags": {**TABLE["tags"], "x": "1"}}], "route_table", TABLE_PARAMS) is False
    assert aws_in_sync([TABLE], "route_table", {**TABLE_PARAMS, "lookup": "id"}) is False
    assert aws_in_sync([MAIN], "route_table", TABLE_PARAMS) is False
