"""network_errors and adopted_network_errors: the egress rules bite on what a first run on AWS would fail on."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.filter.adopted_network_errors import adopted_network_errors
from ansible_collections.triptrip.platform.plugins.filter.network_errors import network_errors

PRIVATE = [{"az": "ap-northeast-1a", "cidr": "10.0.0.0/19"}, {"az": "ap-northeast-1c", "cidr": "10.0.32.0/19"},
           {"az": "ap-northeast-1d", "cidr": "10.0.64.0/19"}]
PUBLIC = [{"az": "ap-northeast-1a", "cidr": "10.0.96.0/24"}, {"az": "ap-northeast-1c", "cidr": "10.0.97.0/24"},
          {"az": "ap-northeast-1d", "cidr": "10.0.98.0/24"}]
SERVICES = ["ecr.api", "ecr.dkr", "sts"]


def settings(**extra):
    return {"nat_gateways": 3, "public_subnets": PUBLIC, "private_subnets": PRIVATE, "vpc_cidr": "10.0.0.0/16",
            "region": "ap-northeast-1", "endpoint_services": SERVICES, "adopted": False, "internet_facing": [], **extra}


def test_the_shared_defaults_are_valid_in_both_modes():
    assert network_errors("nat", settings()) == []
    assert network_errors("endpoints", settings()) == []


def test_unknown_mode_is_named():
    assert network_errors("proxy", settings()) == ["platform_network_egress='proxy' must be nat or endpoints"]


def test_nat_count_outside_one_to_zones_is_refused():
    for count in (0, 4, True, "3"):
        (error,) = network_errors("nat", settings(nat_gateways=count))
        assert error.startswith(f"platform_network_nat_gateways={count!r} must be a whole number from 1 to") and "(3)" in error
    assert network_errors("nat", settings(nat_gateways=1)) == []


def test_public_subnets_must_cover_the_private_zones_inside_the_vpc_without_overlap():
    errors = network_errors("nat", settings(public_subnets=PUBLIC[:2], nat_gateways=2))
    assert any("zones ['ap-northeast-1a', 'ap-northeast-1c'] must be the zones" in e for e in errors)
    errors = network_errors("nat", settings(public_subnets=[*PUBLIC[:2], {"az": "ap-northeast-1d", "cidr": "10.0.64.0/24"}]))
    assert any("platform_public_subnets[2].cidr=10.0.64.0/24 overlaps platform_private_subnets[2]" in e for e in errors)
    errors = network_errors("nat", settings(public_subnets=[*PUBLIC[:2], {"az": "ap-northeast-1d", "cidr": "10.9.0.0/24"}]))
    assert any("is not inside platform_vpc_cidr=10.0.0.0/16" in e for e in errors)


def test_endpoints_mode_refuses_an_internet_facing_load_balancer():
    (error,) = network_errors("endpoints", settings(internet_facing=["ingress triptrip-public"]))
    assert error.startswith("ingress triptrip-public is internet-facing, but platform_network_egress=endpoints")
    assert network_errors("nat", settings(internet_facing=["ingress triptrip-public"])) == []


def test_endpoints_mode_checks_service_names_and_skips_public_subnets():
    (error,) = network_errors("endpoints", settings(endpoint_services=["ecr.api", "ECR DKR"], public_subnets=[]))
    assert "['ECR DKR'] must be service name suffixes" in error
    assert network_errors("endpoints", settings(public_subnets=[], nat_gateways=0)) == []


def test_an_adopted_vpc_is_not_checked_for_public_subnets_here():
    assert network_errors("nat", settings(adopted=True, public_subnets=[], nat_gateways=0)) == []


# adopted_network_errors: the shapes are amazon.aws's info modules' (snake_case, tags as a dict).
def subnet(sid, az, elb=False):
    return {"subnet_id": sid, "availability_zone": az, "tags": {"kubernetes.io/role/elb": "1"} if elb else {}}


def table(tid, subnets, target=None, main=False):
    routes = [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "state": "active"}]
    if target:
        routes.append({"destination_cidr_block": "0.0.0.0/0", "state": "active", **target})
    associations = [{"subnet_id": s, "main": False} for s in subnets] + ([{"main": True}] if main else [])
    return {"id": tid, "route_table_id": tid, "routes": routes, "associations": associations}


NODES = ["subnet-a", "subnet-c"]
SUBNETS = [subnet("subnet-a", "ap-northeast-1a"), subnet("subnet-c", "ap-northeast-1c"),
           subnet("subnet-pa", "ap-northeast-1a", elb=True), subnet("subnet-pc", "ap-northeast-1c", elb=True)]


def check(tables, endpoints=(), need_public=False):
    return adopted_network_errors(SUBNETS, tables, list(endpoints), NODES, SERVICES, "ap-northeast-1", need_public)


def test_node_subnets_routed_to_a_nat_gateway_or_transit_gateway_pass():
    assert check([table("rtb-1", NODES, {"nat_gateway_id": "nat-1"})]) == []
    assert check([table("rtb-1", [], {"transit_gateway_id": "tgw-1"}, main=True)]) == []


def test_a_node_subnet_without_egress_is_named_with_what_it_lacks():
    errors = check([table("rtb-1", ["subnet-a"], {"nat_gateway_id": "nat-1"}), table("rtb-2", ["subnet-c"])])
    (error,) = errors
    assert "subnet subnet-c has no egress" in error and "rtb-2" in error
    assert "interface endpoints with private DNS for ecr.api, ecr.dkr, sts" in error and "S3 gateway endpoint" in error


def test_the_endpoint_set_replaces_egress_only_when_complete():
    tables = [table("rtb-1", NODES)]
    s3 = {"service_name": "com.amazonaws.ap-northeast-1.s3", "vpc_endpoint_type": "Gateway", "route_table_ids": ["rtb-1"],
          "state": "available"}
    interface = [{"service_name": f"com.amazonaws.ap-northeast-1.{s}", "vpc_endpoint_type": "Interface",
                  "private_dns_enabled": True, "state": "available"} for s in SERVICES]
    assert check(tables, [s3, *interface]) == []
    errors = check(tables, [s3, *interface[:2]])
    assert len(errors) == 2 and all("private DNS for sts" in e for e in errors)
    no_dns = [{**e, "private_dns_enabled": False} for e in interface]
    assert len(check(tables, [s3, *no_dns])) == 2


def test_an_internet_facing_alb_needs_public_subnets_routed_to_an_igw_in_two_zones():
    nat = table("rtb-1", NODES, {"nat_gateway_id": "nat-1"})
    public = table("rtb-p", ["subnet-pa", "subnet-pc"], {"gateway_id": "igw-1"})
    assert check([nat, public], need_public=True) == []
    (error,) = check([nat, table("rtb-p", ["subnet-pa", "subnet-pc"])], need_public=True)
    assert "in 0 zone(s)" in error and "subnet-pa" in error
    (error,) = check([nat, table("rtb-p", ["subnet-pa"], {"gateway_id": "igw-1"}), table("rtb-q", ["subnet-pc"])],
                     need_public=True)
    assert "in 1 zone(s) ['ap-northeast-1a']" in error
    assert check([nat], need_public=False) == []


def test_the_adopted_subnets_must_lie_in_platform_vpc_cidr():
    """The NetworkPolicies reach the control plane and the endpoints by platform_vpc_cidr: a wrong one for an adopted
    VPC would block them, so it is refused before any change."""
    subnets = [dict(s, cidr_block=c) for s, c in zip(SUBNETS, ["10.20.0.0/19", "10.20.32.0/19", "10.20.96.0/24",
                                                               "10.20.97.0/24"])]
    routed = [table("rtb-1", NODES, {"nat_gateway_id": "nat-1"})]
    assert adopted_network_errors(subnets, routed, [], NODES, SERVICES, "ap-northeast-1", False, "10.20.0.0/16") == []
    (error,) = adopted_network_errors(subnets, routed, [], NODES, SERVICES, "ap-northeast-1", False, "10.0.0.0/16")
    assert error.startswith("platform_vpc_cidr=10.0.0.0/16 does not hold the adopted subnets")
    assert "subnet-a (10.20.0.0/19)" in error and "subnet-c (10.20.32.0/19)" in error
