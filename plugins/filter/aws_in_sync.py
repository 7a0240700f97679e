# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Whether an AWS resource, as a batched read found it, already is what a converge module would make of it."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

DOCUMENTATION = r"""
---
name: aws_in_sync
short_description: Whether a resource read in a batch already matches the parameters of its converge module
version_added: 0.9.0
description:
  - The AWS layer reads its resources in a few batched calls, then runs each amazon.aws module only for the
    resources that differ. This filter is that decision. It takes the resource as the batched read returned it
    and the parameters the task would pass to the module, and returns C(true) only when the module would change
    nothing; otherwise (missing resource, any difference, any parameter it does not know how to compare) C(false),
    so the module runs and decides as always. A wrong C(false) costs a few API calls; a wrong C(true) would hide
    drift, so every comparison errs towards C(false).
  - Policy documents are compared with amazon.aws's own C(compare_policies), tags with C(compare_aws_tags), the
    way M(amazon.aws.iam_role), M(amazon.aws.iam_policy) and the EC2 modules do.
positional: _input, kind, params
options:
  _input:
    description:
      - The resource as read, or C(none) when it was not found.
      - C(iam_role), C(iam_policy) - one role of P(triptrip.platform.iam_roles_info#module)'s C(roles).
      - C(vpc) - one VPC of M(amazon.aws.ec2_vpc_net_info).
      - C(subnet) - one subnet of M(amazon.aws.ec2_vpc_subnet_info).
      - C(security_group) - one group of M(amazon.aws.ec2_security_group_info).
      - C(launch_template) - one template of M(amazon.aws.ec2_launch_template_info) (with its versions).
      - C(kms_key) - the C(key) of P(triptrip.platform.kms_key_alias_info#module).
      - C(internet_gateway) - the C(internet_gateways) of M(amazon.aws.ec2_vpc_igw_info) filtered by
        C(attachment.vpc-id); the module looks its gateway up the same way, and exactly one must be attached.
      - C(nat_gateway) - the C(result) of M(amazon.aws.ec2_vpc_nat_gateway_info) for the VPC; the filter takes
        the subnet's gateways as the module does (C(available) or C(pending)); exactly one, C(available), must be.
      - C(route_table) - the C(route_tables) of M(amazon.aws.ec2_vpc_route_table_info) for the VPC; the filter
        looks the table up by its tags as the module's C(lookup=tag) does; exactly one must match.
    type: raw
    required: true
  kind:
    description: The module the parameters are for.
    type: str
    required: true
    choices: [iam_role, iam_policy, vpc, subnet, security_group, launch_template, kms_key, internet_gateway,
              nat_gateway, route_table]
  params:
    description:
      - The module's parameters as the task passes them (only the ones the comparison knows are allowed; any
        other parameter makes the answer C(false)).
      - C(iam_role) - M(amazon.aws.iam_role)'s C(assume_role_policy_document), C(managed_policies) (ARNs),
        C(purge_policies), C(tags), C(purge_tags), C(description), C(max_session_duration), C(path),
        C(create_instance_profile=false).
      - C(iam_policy) - M(amazon.aws.iam_policy)'s C(policy_name), C(policy_json).
      - C(vpc) - M(amazon.aws.ec2_vpc_net)'s C(name), C(cidr_block), C(dns_hostnames), C(dns_support), C(tags),
        C(purge_tags).
      - C(subnet) - M(amazon.aws.ec2_vpc_subnet)'s C(cidr), C(az), C(map_public), C(tags), C(purge_tags).
      - C(security_group) - M(amazon.aws.ec2_security_group)'s C(name), C(description), C(tags),
        C(purge_tags), C(rules=[]) with C(purge_rules=false).
      - C(launch_template) - M(amazon.aws.ec2_launch_template)'s C(version_description), C(metadata_options),
        C(block_device_mappings), C(tag_specifications).
      - C(kms_key) - M(amazon.aws.kms_key)'s C(alias), C(description), C(enable_key_rotation), C(key_spec),
        C(key_usage), C(tags), C(purge_tags), C(enabled) (no C(policy) or C(grants)).
      - C(internet_gateway) - M(amazon.aws.ec2_vpc_igw)'s C(vpc_id), C(tags), C(purge_tags).
      - C(nat_gateway) - M(amazon.aws.ec2_vpc_nat_gateway)'s C(subnet_id), C(if_exist_do_not_create=true),
        C(tags), C(purge_tags), C(wait), C(wait_timeout) (no C(allocation_id) or C(eip_address)).
      - C(route_table) - M(amazon.aws.ec2_vpc_route_table)'s C(vpc_id), C(lookup=tag), C(tags), C(purge_tags),
        C(subnets) (subnet ids), C(purge_subnets), C(routes) (C(dest) with C(gateway_id) or C(nat_gateway_id)),
        C(purge_routes).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Create the node role (only when the batched read found it different)
  amazon.aws.iam_role:
    name: "{{ role_name }}"
    assume_role_policy_document: "{{ trust }}"
    managed_policies: "{{ policies }}"
    purge_policies: true
    tags: "{{ tags }}"
    create_instance_profile: false
  when: >-
    not (current.roles[role_name] | default(none) | triptrip.platform.aws_in_sync('iam_role',
    {'assume_role_policy_document': trust, 'managed_policies': policies, 'purge_policies': true, 'tags': tags,
     'create_instance_profile': false}))
"""

RETURN = r"""
_value:
  description: C(true) when the module would change nothing, C(false) otherwise.
  type: bool
"""

# amazon.aws.ec2_launch_template's suboption defaults: the module sends them, so the stored data has them.
METADATA_DEFAULTS = {"http_endpoint": "enabled", "http_put_response_hop_limit": 1, "http_tokens": "optional",
                     "http_protocol_ipv6": "disabled", "instance_metadata_tags": "disabled"}

KNOWN = {
    "iam_role": {"assume_role_policy_document", "managed_policies", "purge_policies", "tags", "purge_tags",
                 "description", "max_session_duration", "path", "create_instance_profile"},
    "iam_policy": {"policy_name", "policy_json"},
    "vpc": {"name", "cidr_block", "dns_hostnames", "dns_support", "tags", "purge_tags"},
    "subnet": {"cidr", "az", "map_public", "tags", "purge_tags"},
    "security_group": {"name", "description", "tags", "purge_tags", "rules", "purge_rules", "purge_rules_egress"},
    "launch_template": {"version_description", "metadata_options", "block_device_mappings", "tag_specifications"},
    "kms_key": {"alias", "description", "enable_key_rotation", "key_spec", "key_usage", "tags", "purge_tags",
                "enabled"},
    "internet_gateway": {"vpc_id", "tags", "purge_tags"},
    "nat_gateway": {"subnet_id", "if_exist_do_not_create", "tags", "purge_tags", "wait", "wait_timeout"},
    "route_table": {"vpc_id", "lookup", "tags", "purge_tags", "subnets", "purge_subnets", "routes", "purge_routes"},
}


def _document(value):
    return json.loads(value) if isinstance(value, str) else value


def _tags_match(current, params, name=None):
    """Tags as the EC2/IAM modules compare them: purge_tags defaults to true; tags=None leaves them alone."""
    wanted = params.get("tags")
    if wanted is None:
        return True
    wanted = {str(k): str(v) for k, v in wanted.items()}
    if name is not None:
        wanted.setdefault("Name", name)
    add, remove = compare_aws_tags(current or {}, wanted, purge_tags=params.get("purge_tags", True))
    return not add and not remove


def _iam_role(current, params):
    if params.get("create_instance_profile", True):
        return False  # instance profiles are not part of the read
    policies = params.get("managed_policies")
    if policies is not None:
        if any(not str(p).startswith("arn:") for p in policies):
            return False  # names are resolved to ARNs by the module (ListPolicies)
        attached = set(current["managed_policy_arns"])
        if set(policies) - attached or (params.get("purge_policies", True) and attached - set(policies)):
            return False
    trust = params.get("assume_role_policy_document")
    if trust is not None and compare_policies(current["assume_role_policy_document"], _document(trust)):
        return False
    for key in ("description", "max_session_duration", "path"):
        if params.get(key) is not None and params[key] != current[key]:
            return False
    return _tags_match(current["tags"], params)


def _iam_policy(current, params):
    found = current["inline_policies"].get(params["policy_name"])
    return found is not None and not compare_policies(found, _document(params["policy_json"]))


def _vpc(current, params):
    return (current.get("cidr_block") == params["cidr_block"]
            and current.get("enable_dns_hostnames") == params.get("dns_hostnames", True)
            and current.get("enable_dns_support") == params.get("dns_support", True)
            and not current.get("ipv6_cidr_block_association_set")
            and _tags_match(current.get("tags"), params, name=params["name"]))


def _subnet(current, params):
    return (current.get("cidr_block") == params["cidr"]
            and current.get("availability_zone") == params["az"]
            and bool(current.get("map_public_ip_on_launch")) == bool(params.get("map_public", False))
            and not current.get("assign_ipv6_address_on_creation")
            and _tags_match(current.get("tags"), params))


def _ingress(permissions):
    """Ingress permissions as (protocol, from, to, IPv4 CIDR, description) rows; None when any is of another kind
    (IPv6, a prefix list, another group), which this comparison leaves to the module."""
    rows = set()
    for permission in permissions or []:
        if permission.get("ipv6_ranges") or permission.get("prefix_list_ids") or permission.get("user_id_group_pairs"):
            return None
        for cidr in permission.get("ip_ranges") or []:
            rows.add((str(permission.get("ip_protocol")), permission.get("from_port"), permission.get("to_port"),
                      cidr.get("cidr_ip"), cidr.get("description")))
    return rows


def _wanted_ingress(rules):
    """The module's `rules` (proto tcp, ports, cidr_ip, rule_desc) as _ingress rows; None for any other shape."""
    rows = set()
    for rule in rules:
        if set(rule) - {"proto", "ports", "cidr_ip", "rule_desc"} or rule.get("proto") != "tcp":
            return None
        cidrs = rule["cidr_ip"] if isinstance(rule["cidr_ip"], list) else [rule["cidr_ip"]]
        for port in rule["ports"]:
            rows.update(("tcp", int(port), int(port), cidr, rule.get("rule_desc")) for cidr in cidrs)
    return rows


def _security_group(current, params):
    rules = params.get("rules")
    if rules not in (None, []) or params.get("purge_rules", True):
        # Compared only as the module would leave it: ingress purged to exactly these TCP CIDR rules, egress untouched.
        if rules is None or not params.get("purge_rules", True) or params.get("purge_rules_egress", True):
            return False
        wanted = _wanted_ingress(rules)
        if wanted is None or _ingress(current.get("ip_permissions")) != wanted:
            return False
    return (current.get("group_name") == params["name"]
            and current.get("description") == params["description"]
            and _tags_match(current.get("tags"), params))


def _camel(value):
    """snake_case keys to the EC2 API's CamelCase (what the module sends), dropping None values."""
    if isinstance(value, dict):
        return {"".join(p.capitalize() for p in str(k).split("_")): _camel(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _tag_pairs(tags):
    """A tag list ({Key, Value} or, after snake_casing, {key, value}) as sorted pairs."""
    pairs = []
    for tag in tags:
        lower = {str(k).lower(): v for k, v in tag.items()} if isinstance(tag, dict) else {}
        pairs.append((lower.get("key"), str(lower.get("value"))))
    return sorted(pairs, key=str)


def _same(current, wanted):
    """API data equal up to number/string spelling of scalars and the order of tag lists."""
    if isinstance(wanted, dict):
        return (isinstance(current, dict) and set(current) == set(wanted)
                and all(_same(current[k], wanted[k]) for k in wanted))
    if isinstance(wanted, list):
        if not isinstance(current, list) or len(current) != len(wanted):
            return False
        if all(isinstance(w, dict) and {k.lower() for k in w} == {"key", "value"} for w in wanted):
            return _tag_pairs(current) == _tag_pairs(wanted)
        return all(_same(c, w) for c, w in zip(current, wanted))
    if isinstance(wanted, bool) or isinstance(current, bool):
        return current is wanted
    return str(current) == str(wanted)


def _launch_template(current, params):
    versions = current.get("versions") or []
    latest = current.get("latest_version_number")
    newest = [v for v in versions if v.get("version_number") == latest]
    if not newest or current.get("default_version_number") != latest:
        return False
    newest = newest[0]
    if (newest.get("version_description") or "") != (params.get("version_description") or ""):
        return False
    wanted = {}
    if params.get("metadata_options") is not None:
        wanted["MetadataOptions"] = _camel({**METADATA_DEFAULTS, **params["metadata_options"]})
    if params.get("block_device_mappings") is not None:
        wanted["BlockDeviceMappings"] = _camel(params["block_device_mappings"])
    if params.get("tag_specifications"):
        wanted["TagSpecifications"] = [
            {"ResourceType": spec.get("resource_type", "instance"),
             "Tags": [{"Key": str(k), "Value": str(v)} for k, v in spec["tags"].items()]}
            for spec in params["tag_specifications"]]
    # The info module returns the data in snake_case, tag lists kept as they are: so is the wanted data here.
    return _same(newest.get("launch_template_data"), camel_dict_to_snake_dict(wanted, ignore_list=["Tags"]))


def _kms_key(current, params):
    # kms_key never changes the spec or usage of an existing key; a different one is an input error, and its
    # module run (not skipped) is where the user sees it.
    for key in ("key_spec", "key_usage"):
        if params.get(key) is not None and params[key] != current.get(key):
            return False
    if current.get("key_state") != ("Enabled" if params.get("enabled", True) else "Disabled"):
        return False
    if params.get("description") is not None and params["description"] != current.get("description"):
        return False
    if params.get("enable_key_rotation") is not None and params["enable_key_rotation"] is not current.get(
            "enable_key_rotation"):
        return False
    return _tags_match(current.get("tags"), params)


def _internet_gateway(current, params):
    # ec2_vpc_igw finds the gateway by attachment.vpc-id and fails on more than one.
    if len(current) != 1 or len(current[0].get("attachments") or []) != 1:
        return False
    attachment = current[0]["attachments"][0]
    return (attachment.get("vpc_id") == params["vpc_id"] and attachment.get("state") == "available"
            and _tags_match(current[0].get("tags"), params))


def _nat_gateway(current, params):
    if params.get("if_exist_do_not_create") is not True:
        return False  # without it the module makes another gateway
    # ec2_vpc_nat_gateway takes the subnet's available or pending gateways and converges the first one's tags.
    found = [g for g in current if g.get("subnet_id") == params["subnet_id"] and g.get("state") in ("available", "pending")]
    return (len(found) == 1 and found[0]["state"] == "available"
            and found[0].get("connectivity_type", "public") == "public"
            and _tags_match(found[0].get("tags"), params))


def _routes_match(routes, wanted, purge):
    """The table's routes against the module's routes: each wanted one present, and (purge) no other."""
    rest = [r for r in routes if r.get("destination_cidr_block") and r.get("gateway_id") != "local"]
    for spec in wanted:
        if set(spec) - {"dest", "gateway_id", "nat_gateway_id"} or len(spec) != 2:
            return False  # another target, or none: not compared
        target = "gateway_id" if "gateway_id" in spec else "nat_gateway_id"
        match = [r for r in rest if r["destination_cidr_block"] == spec["dest"] and r.get(target) == spec[target]]
        if not match:
            return False
        rest.remove(match[0])
    # Routes without a CIDR (an S3 gateway endpoint's prefix list) are never purged by the module.
    return not (purge and rest)


def _route_table(current, params):
    if params.get("lookup") != "tag" or not params.get("tags"):
        return False
    wanted = {str(k): str(v) for k, v in params["tags"].items()}
    # ec2_vpc_route_table's lookup=tag: the VPC's tables carrying every given tag; more than one fails the module.
    found = [t for t in current if all((t.get("tags") or {}).get(k) == v for k, v in wanted.items())]
    if len(found) != 1 or found[0].get("vpc_id") != params["vpc_id"]:
        return False
    table = found[0]
    subnets = params.get("subnets")
    if subnets is not None:
        if any(not str(s).startswith("subnet-") for s in subnets):
            return False  # CIDRs and Name tags are resolved by the module
        associated = {a.get("subnet_id") for a in table.get("associations") or [] if not a.get("main")}
        if set(subnets) - associated or (params.get("purge_subnets", True) and associated - set(subnets)):
            return False
    if params.get("routes") is not None and not _routes_match(table.get("routes") or [], params["routes"],
                                                              params.get("purge_routes", True)):
        return False
    return _tags_match(table.get("tags"), params)


COMPARE = {"iam_role": _iam_role, "iam_policy": _iam_policy, "vpc": _vpc, "subnet": _subnet,
           "security_group": _security_group, "launch_template": _launch_template,
           "kms_key": _kms_key, "internet_gateway": _internet_gateway, "nat_gateway": _nat_gateway,
           "route_table": _route_table}


def aws_in_sync(current, kind, params):
    if kind not in COMPARE:
        raise AnsibleFilterError(f"aws_in_sync: kind={kind!r} is not one of {sorted(COMPARE)}")
    if not current or not isinstance(params, dict) or set(params) - KNOWN[kind]:
        return False
    return bool(COMPARE[kind](current, params))


class FilterModule:
    def filters(self):
        return {"aws_in_sync": aws_in_sync}
