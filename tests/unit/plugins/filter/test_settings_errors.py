"""settings_errors: every <name>_overrides against <name>_base. Unknown keys are refused with the closest known key
suggested, except under the plugin's named open paths; a value of another type than the default's is refused; the
shipped inventories' overrides pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter.settings_errors import ENTRIES, OPEN, OPTIONAL, settings_errors
from ansible_collections.triptrip.platform.plugins.lookup.addon_settings import role_settings

MERGED = ["platform_ecr_repositories", "platform_eks_addons", "platform_irsa_roles", "platform_node_groups",
          "platform_resource_quotas", "platform_workloads"]
INVENTORIES = ["production", "staging", "development", "dr", "local"]


@pytest.fixture(scope="module")
def defaults(root):
    """group_vars/all as the play sees it, where it matters here."""
    merged = {}
    for path in sorted((root / "group_vars" / "all").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def pairs(defaults, **overrides):
    return {name: {"base": defaults[f"{name}_base"], "overrides": overrides.get(name, {})} for name in MERGED}


def errors(defaults, **overrides):
    return settings_errors(pairs(defaults, **overrides), optional={"platform_ecr_repositories.*": defaults["platform_ecr_defaults"]})


def test_the_defaults_without_overrides_pass(defaults):
    assert errors(defaults) == []


@pytest.mark.parametrize("environment", INVENTORIES)
def test_every_shipped_inventory_passes(root, defaults, environment):
    inventory = yaml.safe_load((root / "inventories" / environment / "group_vars/all/main.yml").read_text())
    overrides = {name: inventory.get(f"{name}_overrides", {}) for name in MERGED}
    assert errors(defaults, **overrides) == []


# --- types ------------------------------------------------------------------------------------------------------


TRAFFIC = yaml.safe_load((Path(__file__).resolve().parents[4] / "roles/addon_istio/defaults/main.yml").read_text())["addon_istio_traffic"]


def own(root, name, **changes):
    """The errors of an add-on whose role holds its settings, its variables addon_<name>_<key> set to the defaults
    with these changes."""
    base = role_settings(root / "roles")[name]
    return settings_errors({f"platform_addons.{name}": {"base": base, "overrides": {**base, **changes}, "prefix": f"addon_{name}_"}})


@pytest.mark.parametrize("word, meant", [("false", "false"), ("no", "false"), ("yes", "true"), ("true", "true")])
def test_a_quoted_boolean_word_is_refused_naming_what_was_meant(root, word, meant):
    assert own(root, "keda", enabled=word) == [
        f'addon_keda_enabled="{word}" is a string, but addon_keda_enabled takes true or false (default true): write '
        f"{meant} without quotes (a quoted word is a string, and Jinja reads any non-empty string as true)"]


def test_the_real_boolean_passes(root):
    assert own(root, "keda", enabled=False) == []


def test_a_quoted_number_where_a_whole_number_belongs(defaults):
    got = errors(defaults, platform_node_groups={"compute": {"scaling": {"min_size": "1"}}})
    assert got == ['platform_node_groups_overrides.compute.scaling.min_size="1" is a string, but '
                   "platform_node_groups.compute.scaling.min_size takes a whole number (default 2): write 1 without quotes"]
    assert errors(defaults, platform_node_groups={"compute": {"scaling": {"min_size": 1}}}) == []


def test_a_float_where_a_whole_number_belongs(defaults):
    got = errors(defaults, platform_node_groups={"general": {"disk": {"size_gb": 100.5}}})
    assert len(got) == 1 and "size_gb=100.5 is a number, but platform_node_groups.general.disk.size_gb takes a whole number" in got[0]


def test_a_whole_number_where_a_float_belongs_passes(root):
    tracing = role_settings(root / "roles")["istio"]["tracing"]
    assert isinstance(tracing["sampling"], float)
    assert own(root, "istio", tracing={**tracing, "sampling": 50}) == []


def test_an_unquoted_version_is_a_number_where_a_string_belongs(root):
    got = own(root, "keda", version=2.21)
    assert len(got) == 1, got
    assert got[0].startswith('addon_keda_version=2.21 is a number, but addon_keda_version takes a string '
                             '(default "2.20.2"): YAML read the number 2.21: quote the text you meant')


@pytest.mark.parametrize("setting, override, message", [
    ("platform_resource_quotas", {"triptrip-web": "5 cores"},
     'platform_resource_quotas_overrides.triptrip-web="5 cores" is a string, but platform_resource_quotas.triptrip-web '
     "takes a mapping"),
    ("platform_node_groups", {"spot": {"instance_types": "m5.xlarge"}},
     'platform_node_groups_overrides.spot.instance_types="m5.xlarge" is a string, but platform_node_groups.spot.instance_types '
     "takes a list"),
    ("platform_eks_addons", {"coredns": {"configuration": ["replicaCount=3"]}},
     'platform_eks_addons_overrides.coredns.configuration=["replicaCount=3"] is a list, but '
     "platform_eks_addons.coredns.configuration takes a mapping"),
    ("platform_workloads", {"api": {"values": None}},
     "platform_workloads_overrides.api.values=null is null, but platform_workloads.api.values takes a mapping"),
    ("platform_node_groups", {"gpu": {"scaling": {"max_size": True}}},
     "platform_node_groups_overrides.gpu.scaling.max_size=true is true or false, but "
     "platform_node_groups.gpu.scaling.max_size takes a whole number"),
])
def test_a_value_of_another_type_than_the_default_is_refused(defaults, setting, override, message):
    got = errors(defaults, **{setting: override})
    assert len(got) == 1 and got[0].startswith(message), got


# --- unknown keys -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting, override, message", [
    ("platform_node_groups", {"general": {"disk": {"sizegb": 100}}},
     "platform_node_groups_overrides.general.disk.sizegb: unknown key, did you mean size_gb? "
     "(platform_node_groups.general.disk takes device_name, encrypted, iops, size_gb, throughput, type)"),
    ("platform_eks_addons", {"kube-proxy": {"verison": "v1.35.0-eksbuild.2"}},
     "platform_eks_addons_overrides.kube-proxy.verison: unknown key, did you mean version?"),
    ("platform_irsa_roles", {"keda": {"sqs_queues": ["q"]}},
     "platform_irsa_roles_overrides.keda.sqs_queues: unknown key, did you mean sqs_queue_names?"),
    ("platform_ecr_repositories", {"triptrip-api": {"scan_on_pus": True}},
     "platform_ecr_repositories_overrides.triptrip-api.scan_on_pus: unknown key, did you mean scan_on_push?"),
    ("platform_workloads", {"api": {"releas": "x"}},
     "platform_workloads_overrides.api.releas: unknown key, did you mean release?"),
])
def test_an_unknown_key_is_refused_with_the_closest_known_one(defaults, setting, override, message):
    got = errors(defaults, **{setting: override})
    assert len(got) == 1 and got[0].startswith(message), got


def test_an_unknown_nested_key_of_an_add_on_is_refused_with_the_closest_known_one(root):
    traffic = role_settings(root / "roles")["istio"]["traffic"]
    (got,) = own(root, "istio", traffic={**traffic, "rotues": []})
    assert got.startswith("addon_istio_traffic.rotues: unknown key, did you mean routes? (addon_istio_traffic takes "), got


def test_an_unknown_setting_is_refused_with_the_closest_known_one(root):
    (got,) = own(root, "keda", enabeld=False)
    assert got.startswith("addon_keda_enabeld: unknown setting, did you mean addon_keda_enabled? (roles/addon_keda/"
                          "defaults/main.yml sets addon_keda_<aws_trigger_authentication, chart, enabled, flows, "), got


def test_an_unknown_key_far_from_every_known_one_suggests_nothing(root, defaults):
    (got,) = errors(defaults, platform_workloads={"api": {"zzz": 1}})
    assert got.startswith("platform_workloads_overrides.api.zzz: unknown key (platform_workloads.api takes ") and "mean" not in got
    # The same for an add-on whose role holds its settings, as variables.
    base = role_settings(root / "roles")["vpa"]
    assert settings_errors({"platform_addons.vpa": {"base": base, "overrides": {**base, "zzz": 1}, "prefix": "addon_vpa_"}}) == [
        "addon_vpa_zzz: unknown setting (roles/addon_vpa/defaults/main.yml sets addon_vpa_<autoscalers, chart, components, "
        "enabled, namespace, priority_class, repository, values, version>)"]


@pytest.mark.parametrize("setting, override", [
    # open: chart values, Istio's and Argo CD's own shapes, resource names, flags, labels, an add-on's configuration
    ("platform_workloads", {"api": {"values": {"replicaCount": 3}}}),
    ("platform_eks_addons", {"coredns": {"configuration": {"autoScaling": {"enabled": True}}}}),
    ("platform_node_groups", {"general": {"labels": {"team": "platform"}}}),
    # entries: a new key shaped like the defaults' entries
    ("platform_node_groups", {"batch": {"instance_types": ["m5.xlarge"], "capacity_type": "SPOT", "ami_type": "AL2023_x86_64_STANDARD"}}),
    ("platform_irsa_roles", {"karpenter": {"namespace": "kube-system", "service_account": "karpenter", "policy": "keda"}}),
    ("platform_eks_addons", {"eks-pod-identity-agent": {"version": "v1.3.4-eksbuild.1", "configuration": {}}}),
    ("platform_ecr_repositories", {"triptrip-web": {"github_repository": "triptrip/triptrip-web", "keep_images": 50}}),
    ("platform_resource_quotas", {"tenant-a": {"requests.cpu": "1", "services": "5"}}),
    # optional keys the roles read
    ("platform_node_groups", {"general": {"disk": {"device_name": "/dev/xvdb"}, "update_config": {"max_unavailable": 2}}}),
    ("platform_irsa_roles", {"keda": {"enabled": False}}),
])
def test_open_paths_entries_and_optional_keys_pass(defaults, setting, override):
    assert errors(defaults, **{setting: override}) == []


def test_a_new_entry_is_held_to_the_union_of_the_defaults_entries(defaults):
    got = errors(defaults, platform_node_groups={"batch": {"instance_types": ["m5.xlarge"], "taint": []}})
    assert got == ["platform_node_groups_overrides.batch.taint: unknown key, did you mean taints? (platform_node_groups.batch "
                   "takes ami_type, capacity_type, disk, instance_types, labels, scaling, taints, update_config)"]
    got = errors(defaults, platform_node_groups={"batch": {"disk": {"size_gb": "100"}}})
    assert len(got) == 1 and got[0].startswith('platform_node_groups_overrides.batch.disk.size_gb="100" is a string'), got


def test_the_workloads_own_names_are_left_to_their_check(defaults):
    # The workloads' check refuses them in its own words (tests/integration/addons/test_zz_lifecycle.py).
    assert errors(defaults, platform_workloads={"web": {"enabled": True}}) == []
    # ... while the keys below a known add-on or workload are this check's.
    assert errors(defaults, platform_workloads={"api": {"enable": True}}) == [
        "platform_workloads_overrides.api.enable: unknown key, did you mean enabled? (platform_workloads.api takes chart, "
        "enabled, flows, namespace, release, values)"]


def test_overrides_that_are_not_a_mapping_are_refused(defaults):
    got = settings_errors({"platform_node_groups": {"base": defaults["platform_node_groups_base"], "overrides": ["general"]}})
    assert got == ['platform_node_groups_overrides=["general"]: must be a mapping merged over platform_node_groups_base']


@pytest.mark.parametrize("name, changes", [
    ("istio", {"values": {"anything": {"at": "all"}}, "mesh_config": {"discoverySelectors": []}}),  # open: chart values, Istio's shape
    ("istio", {"traffic": {**TRAFFIC, "connection_pool": {"tcp": {"tcpKeepalive": {"time": "7200s"}}}}}),
    ("argocd", {"sync_policy": {"managedNamespaceMetadata": {"labels": {}}}}),  # open: Argo CD's own shape
    ("argocd", {"repo_credentials": {"username": "ci", "password": "token"}}),  # optional keys of an empty default
])
def test_an_add_on_s_open_paths_and_optional_keys_pass(root, name, changes):
    assert own(root, name, **changes) == []
    assert own(root, "argocd", repo_credentials={"user": "ci"}) == [
        "addon_argocd_repo_credentials.user: unknown key, did you mean username? (addon_argocd_repo_credentials takes "
        "password, ssh_private_key, username)"]


def test_an_add_on_s_resources_take_any_resource_name(root):
    resources = role_settings(root / "roles")["keda"]["resources"]
    assert own(root, "keda", resources={**resources, "operator": {"requests": {"ephemeral-storage": "1Gi"}}}) == []


def test_the_schema_exceptions_are_few_and_each_reasoned(root):
    # The named lists stay small: every open path, entries path and optional key is a decision with a reason above it.
    source = (root / "plugins/filter/settings_errors.py").read_text()
    assert len(OPEN) <= 25 and len(ENTRIES) <= 8 and len(OPTIONAL) <= 8
    for pattern in [*OPEN, *ENTRIES, *OPTIONAL]:
        line = next(i for i, text in enumerate(source.splitlines()) if f'"{pattern}"' in text)
        above = source.splitlines()[line - 1].strip()
        assert above.startswith("#") or above.startswith('"'), f"{pattern} has no reason above it"
