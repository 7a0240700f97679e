"""k8s_sync.in_sync: an object is in sync only when its values are live and our field manager's managedFields
hold exactly its fields; every doubt (another manager, a field we no longer set, an unknown list) is "no"."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.k8s_sync import in_sync, owns_exactly, subset

POLICY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "allow-dns", "namespace": "triptrip-web",
                       "labels": {"app.kubernetes.io/managed-by": "triptrip-platform"}},
          "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}}
# What the API server returns for it after our apply (as read from kube-apiserver 1.35).
LIVE = {**copy.deepcopy(POLICY), "metadata": {
    **copy.deepcopy(POLICY["metadata"]), "uid": "u", "resourceVersion": "399", "generation": 1,
    "managedFields": [{"apiVersion": "networking.k8s.io/v1", "fieldsType": "FieldsV1", "manager": "triptrip-platform",
                       "operation": "Apply", "fieldsV1": {
                           "f:metadata": {"f:labels": {"f:app.kubernetes.io/managed-by": {}}},
                           "f:spec": {"f:egress": {}, "f:podSelector": {}, "f:policyTypes": {}}}}]}}


def live(**changes):
    obj = copy.deepcopy(LIVE)
    for path, value in changes.items():
        node = obj
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return obj


def test_the_object_as_applied_is_in_sync():
    assert in_sync(POLICY, LIVE, "triptrip-platform") is True


def test_missing_object_or_other_manager_is_out_of_sync():
    assert in_sync(POLICY, None, "triptrip-platform") is False
    assert in_sync(POLICY, LIVE, "someone-else") is False


def test_a_changed_or_removed_value_is_out_of_sync():
    assert in_sync(POLICY, live(spec__policyTypes=["Ingress"]), "triptrip-platform") is False
    assert in_sync(POLICY, live(metadata__labels={}), "triptrip-platform") is False
    assert in_sync(POLICY, live(spec__egress=[{"ports": [{"port": 53, "protocol": "TCP"}]}]), "triptrip-platform") is False


def test_a_field_we_set_before_and_no_longer_want_is_out_of_sync():
    # The live object still has a label we owned; the definition dropped it: the apply would remove it.
    fields = copy.deepcopy(LIVE["metadata"]["managedFields"])
    fields[0]["fieldsV1"]["f:metadata"]["f:labels"]["f:tier"] = {}
    obj = live(metadata__managedFields=fields)
    obj["metadata"]["labels"]["tier"] = "web"
    assert in_sync(POLICY, obj, "triptrip-platform") is False


def test_a_field_we_want_but_do_not_own_yet_is_out_of_sync():
    fields = copy.deepcopy(LIVE["metadata"]["managedFields"])
    del fields[0]["fieldsV1"]["f:spec"]["f:policyTypes"]
    assert in_sync(POLICY, live(metadata__managedFields=fields), "triptrip-platform") is False


def test_fields_of_other_managers_and_server_defaults_do_not_matter():
    obj = live()
    obj["metadata"]["labels"]["added-by-hand"] = "yes"
    obj["metadata"]["managedFields"].append({"manager": "kubectl-label", "operation": "Update",
                                             "fieldsV1": {"f:metadata": {"f:labels": {"f:added-by-hand": {}}}}})
    obj["status"] = {"anything": True}
    assert in_sync(POLICY, obj, "triptrip-platform") is True


def test_another_api_version_of_our_entry_is_out_of_sync():
    fields = copy.deepcopy(LIVE["metadata"]["managedFields"])
    fields[0]["apiVersion"] = "networking.k8s.io/v1beta1"
    assert in_sync(POLICY, live(metadata__managedFields=fields), "triptrip-platform") is False


def test_associative_lists_match_by_their_keys_and_sets_by_value():
    wanted = {"spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}],
                       "finalizers": ["a", "b"]}}
    fields = {"f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:name": {}, "f:image": {}},
                                          'k:{"name":"side"}': {".": {}, "f:name": {}, "f:image": {}}},
                         "f:finalizers": {'v:"a"': {}, 'v:"b"': {}}}}
    assert owns_exactly(wanted, fields) is True
    fewer = {"spec": {"containers": wanted["spec"]["containers"][:1], "finalizers": ["a", "b"]}}
    assert owns_exactly(fewer, fields) is False  # we owned "side": the apply would remove it
    assert owns_exactly({"spec": {**wanted["spec"], "finalizers": ["a"]}}, fields) is False
    unknown = {"f:spec": {"f:containers": {"i:0": {}}, "f:finalizers": {'v:"a"': {}, 'v:"b"': {}}}}
    assert owns_exactly(wanted, unknown) is False


@pytest.mark.parametrize(("wanted", "live_value", "expected"), [
    ({"a": 1}, {"a": 1, "b": 2}, True),
    ({"a": [1, 2]}, {"a": [1, 2, 3]}, False),  # a list must be as long
    ({"a": True}, {"a": 1}, False),  # no bool/int mixing
    ({"cpu": "1000m"}, {"cpu": "1"}, False),  # not normalised: the apply decides
    ({"a": {"b": {}}}, {"a": {"b": {"c": 1}}}, True),
])
def test_subset(wanted, live_value, expected):
    assert subset(wanted, live_value) is expected


# A flow's policy as kube-apiserver 1.35 stores it: podSelector (structType=atomic) and egress (listType=atomic)
# are single leaves of managedFields, owned and replaced whole.
FLOW = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "flow-api-to-redis-out", "namespace": "triptrip-api"},
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "api"}}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "redis"}}}],
                             "ports": [{"protocol": "TCP", "port": 6379}]}]}}
FLOW_FIELDS = {"f:spec": {"f:egress": {}, "f:podSelector": {}, "f:policyTypes": {}}}


def applied(definition, fields, **spec):
    obj = copy.deepcopy(definition)
    obj["spec"].update(copy.deepcopy(spec))
    obj["metadata"]["managedFields"] = [{"apiVersion": definition["apiVersion"], "manager": "triptrip-platform",
                                         "operation": "Apply", "fieldsV1": copy.deepcopy(fields)}]
    return obj


def test_atomic_structs_and_lists_are_owned_whole_and_in_sync_when_equal():
    assert in_sync(FLOW, applied(FLOW, FLOW_FIELDS), "triptrip-platform") is True


def test_a_key_we_dropped_from_an_atomic_struct_or_list_element_is_out_of_sync():
    # The live selector still has a label the definition no longer sets: the apply would replace the selector.
    wider = {"matchLabels": {"app.kubernetes.io/name": "api", "tier": "front"}}
    assert in_sync(FLOW, applied(FLOW, FLOW_FIELDS, podSelector=wider), "triptrip-platform") is False
    rule = copy.deepcopy(FLOW["spec"]["egress"])
    rule[0]["ports"][0]["endPort"] = 6380
    assert in_sync(FLOW, applied(FLOW, FLOW_FIELDS, egress=rule), "triptrip-platform") is False


PRIORITY = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "triptrip-batch"},
            "value": 1000, "globalDefault": False}


def test_a_false_the_server_omits_is_in_sync_only_when_we_own_it():
    # kube-apiserver leaves globalDefault: false out of what it returns (omitempty).
    live_obj = {k: copy.deepcopy(v) for k, v in PRIORITY.items() if k != "globalDefault"}
    owned = {"f:value": {}, "f:globalDefault": {}}
    live_obj["metadata"]["managedFields"] = [{"apiVersion": "scheduling.k8s.io/v1", "manager": "triptrip-platform",
                                              "operation": "Apply", "fieldsV1": owned}]
    definition = PRIORITY
    assert in_sync(definition, live_obj, "triptrip-platform") is True
    del owned["f:globalDefault"]  # nobody applied it: the apply would take it over
    assert in_sync(definition, live_obj, "triptrip-platform") is False
    owned["f:globalDefault"] = {}
    assert in_sync({**definition, "globalDefault": True}, live_obj, "triptrip-platform") is False
    assert subset({"a": 0}, {}) is False  # only false: a zero or an empty string absent is not assumed
