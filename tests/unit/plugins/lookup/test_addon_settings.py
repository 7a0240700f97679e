"""triptrip.platform.addon_settings and the checks of an add-on whose role holds its settings (issue #25 item 2):
which add-ons do is read from the roles, each setting is one variable addon_<name>_<key>, and preflight holds those
variables to the role's defaults (settings_errors) and to the add-on rules (addon_errors), naming the variable.
The lookup itself runs end to end in tests/unit/test_input_preflight.py (validate.yml on broken inventories)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib.machinery import SourceFileLoader

import yaml

from ansible_collections.triptrip.platform.plugins.filter.addon_errors import addon_errors
from ansible_collections.triptrip.platform.plugins.filter.settings_errors import settings_errors
from ansible.template import is_trusted_as_template

from ansible_collections.triptrip.platform.plugins.lookup.addon_settings import host_names, role_settings, role_wiring, trusted

PREFIX = "addon_metrics_server_"


def entry(base, overrides):
    return {"platform_addons.metrics_server": {"base": base, "overrides": overrides, "prefix": PREFIX}}


def test_every_add_on_has_its_settings_in_exactly_one_place(root):
    own = role_settings(root / "roles")
    assert own["metrics_server"]["replicas"] == 2 and own["metrics_server"]["enabled"] is True
    roles = sorted(p.name[len("addon_"):] for p in (root / "roles").glob("addon_*"))
    assert sorted(own) == roles
    shared = yaml.safe_load((root / "group_vars/all/addons.yml").read_text())
    assert "platform_addons_base" not in shared and "platform_addons_overrides" not in shared
    assert not list((root / "group_vars/all").glob("addon_*.yml")) and not (root / "playbooks/addons").exists()


def test_only_a_role_whose_defaults_set_enabled_holds_its_settings(tmp_path):
    for role, text in {"addon_a": "addon_a_enabled: true\naddon_a_replicas: 2\n", "addon_b": "addon_b_state: present\n",
                       "k8s_c": "k8s_c_enabled: true\n"}.items():
        (tmp_path / role / "defaults").mkdir(parents=True)
        (tmp_path / role / "defaults" / "main.yml").write_text(text)
    assert role_settings(tmp_path) == {"a": {"enabled": True, "replicas": 2}}


def test_no_add_on_name_is_the_start_of_another_s_variables(root):
    # addon_<a>_* would take addon_<a>_<b>_* for its own settings (and refuse them as unknown).
    names = [p.name for p in (root / "roles").glob("addon_*")]
    assert not [(a, b) for a in names for b in names if a != b and b.startswith(a + "_")]


def test_the_host_s_variables_are_every_prefixed_one_but_the_published_result():
    variables = {"addon_x_enabled": True, "addon_x_replicsa": 3, "addon_x_out": {}, "addon_xy_enabled": True,
                 "__addon_x_values": {}, "platform_x": 1}
    assert host_names("x", variables) == ["addon_x_enabled", "addon_x_replicsa"]


def test_what_the_platform_gives_a_role_is_not_taken_for_a_misspelt_setting(root):
    # A play that imports the role (addons.yml run alone) sees its vars/main.yml before preflight runs.
    wiring = role_wiring("external_secrets", root / "roles")
    assert wiring == {"addon_external_secrets_role_arn", "addon_external_secrets_region"}
    variables = {"addon_external_secrets_enabled": True, "addon_external_secrets_role_arn": "", "addon_external_secrets_regoin": "x"}
    assert host_names("external_secrets", variables, wiring) == ["addon_external_secrets_enabled", "addon_external_secrets_regoin"]
    assert not set(wiring) & {f"addon_external_secrets_{key}" for key in role_settings(root / "roles")["external_secrets"]}


def test_a_role_s_defaults_are_rendered_like_the_play_renders_them(root):
    # Argo CD's destination namespaces default to a template of the platform's list: the check must hold an inventory's
    # list to the list that template renders to, not to the string of its text (core leaves untrusted text unrendered).
    raw = role_settings(root / "roles")["argocd"]["project"]["destination_namespaces"]
    assert raw == "{{ platform_workload_namespaces }}" and not is_trusted_as_template(raw)
    marked = trusted({"project": {"destination_namespaces": raw, "source_repos": ["https://x"]}, "replicas": {"server": 2}})
    assert is_trusted_as_template(marked["project"]["destination_namespaces"])
    assert is_trusted_as_template(marked["project"]["source_repos"][0]) and marked["replicas"] == {"server": 2}


def test_the_defaults_pass_and_a_quoted_number_is_refused_naming_the_variable(root):
    base = role_settings(root / "roles")["metrics_server"]
    assert settings_errors(entry(base, dict(base))) == []
    assert settings_errors(entry(base, {**base, "replicas": "3"})) == [
        'addon_metrics_server_replicas="3" is a string, but addon_metrics_server_replicas takes a whole number '
        '(default 2): write 3 without quotes']
    assert settings_errors(entry(base, {**base, "enabled": "false"}))[0].startswith(
        'addon_metrics_server_enabled="false" is a string, but addon_metrics_server_enabled takes true or false')


def test_a_misspelt_variable_and_a_misspelt_nested_key_are_refused_with_the_closest_known_one(root):
    base = role_settings(root / "roles")["metrics_server"]
    (typo,) = settings_errors(entry(base, {**base, "replicsa": 3}))
    assert typo.startswith("addon_metrics_server_replicsa: unknown setting, did you mean addon_metrics_server_replicas? "
                           "(roles/addon_metrics_server/defaults/main.yml sets addon_metrics_server_<chart, enabled,")
    (nested,) = settings_errors(entry(base, {**base, "resources": {"requests": {"cpu": "1"}, "limtis": {}}}))
    assert nested == ("addon_metrics_server_resources.limtis: unknown key, did you mean limits? "
                      "(addon_metrics_server_resources takes limits, requests)")


def test_chart_values_stay_open(root):
    base = role_settings(root / "roles")["metrics_server"]
    assert settings_errors(entry(base, {**base, "values": {"args": ["--kubelet-insecure-tls"], "any": {"x": 1}}})) == []


def test_a_dict_setting_keeps_its_open_keys_open_and_its_others_closed(root):
    # The ALB Ingress's annotations are keyed by annotation name; the ingress's own keys are the default's.
    base = role_settings(root / "roles")["aws_load_balancer_controller"]
    own = {"platform_addons.aws_load_balancer_controller": {"base": base, "overrides": {}, "prefix": "addon_aws_load_balancer_controller_"}}
    annotated = {**base["ingress"], "annotations": {"alb.ingress.kubernetes.io/x": "y"}}
    own["platform_addons.aws_load_balancer_controller"]["overrides"] = {"ingress": annotated}
    assert settings_errors(own) == []
    own["platform_addons.aws_load_balancer_controller"]["overrides"] = {"ingress": {**annotated, "shceme": "internal"}}
    assert settings_errors(own) == ["addon_aws_load_balancer_controller_ingress.shceme: unknown key, did you mean scheme? "
                                    "(addon_aws_load_balancer_controller_ingress takes annotations, certificate_arn, "
                                    "gateway_port, gateway_service, healthcheck_path, healthcheck_port, hosts, name, "
                                    "namespace, scheme, target_type)"]


def test_cluster_autoscaler_takes_any_of_its_flags(root):
    # Its flags are the command line's (the chart's extraArgs): a flag the defaults do not list is still a flag.
    base = role_settings(root / "roles")["cluster_autoscaler"]
    flags = {**base["flags"], "scale-down-delay-after-add": "5m", "new-flag": True}
    own = {"platform_addons.cluster_autoscaler": {"base": base, "overrides": {"flags": flags}, "prefix": "addon_cluster_autoscaler_"}}
    assert settings_errors(own) == []
    own["platform_addons.cluster_autoscaler"]["overrides"] = {"flags": flags, "image_tga": "v1.35.0"}
    assert settings_errors(own)[0].startswith("addon_cluster_autoscaler_image_tga: unknown setting, did you mean "
                                              "addon_cluster_autoscaler_image_tag?")


def test_the_add_on_rules_name_the_variables():
    addon = {"enabled": True, "chart": "metrics-server", "version": "latest", "repository": "https://example.org/charts",
             "namespace": "kube-system", "values": {}}
    assert addon_errors({"metrics_server": addon}) == [
        "addon_metrics_server_version='latest': must be a chart version such as 1.30.0"]
    assert addon_errors({"metrics_server": {**addon, "version": "3.13.0"}}) == []


def test_the_old_way_of_setting_them_is_refused_with_the_new_one():
    errors = addon_errors({"metrics_server": {}}, overrides={"metrics_server": {"replicas": 3}})[:1]
    assert errors == ["platform_addons_overrides.metrics_server: metrics_server's settings are variables of their own: "
                      "set addon_metrics_server_<setting> instead (roles/addon_metrics_server/defaults/main.yml lists them)"]


def _localenv(root):
    loader = SourceFileLoader("triptrip_localenv", str(root / "scripts/localenv"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("triptrip_localenv", loader))
    loader.exec_module(module)
    return module


def test_the_local_chart_mirror_packages_every_add_on_s_pinned_chart(root):
    # scripts/localenv packages the test doubles at the pinned versions: an add-on whose pin it did not read would be
    # missing from the mirror, and the local platform's first install of it would fail (helm: path not found).
    pins = _localenv(root).pinned_charts()
    own = role_settings(root / "roles")
    for name, settings in own.items():
        for chart in [settings["chart"], *settings.get("extra_charts", [])]:
            assert pins.get(chart) == str(settings["version"]), (name, chart)
    assert len(pins) == len(own) + len(own["istio"]["extra_charts"])


FALLBACK_PLAY = """\
- name: Read the add-ons' settings in a play that imports no add-on role
  hosts: localhost
  gather_facts: false
  vars:
    # What the roles' defaults are templates of.
    platform_workload_namespaces: [triptrip-api, triptrip-web]
    platform_secrets_prefix: triptrip/test/
    platform_aws_region: ap-northeast-1
    platform_cluster_name: triptrip-test
    platform_node_groups: {}
    addon_jaeger_namespace: tracing
    addon_keda_enabled: false
  tasks:
    - name: The settings, with the roles' defaults under the play's variables
      ansible.builtin.copy:
        content: "{{ lookup('triptrip.platform.addon_settings') | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


def test_a_play_without_the_roles_gets_their_defaults_under_its_own_variables(root, tool_env, tmp_path):
    """Only playbooks/addons.yml imports the add-on roles; every other play (preflight, aws.yml's log groups,
    workloads.yml's Argo CD) reads the add-ons through this lookup, which fills in the roles' defaults, rendered
    with the play's variables and with one another's (Istio's tracing service names Jaeger's)."""
    (tmp_path / "play.yml").write_text(FALLBACK_PLAY)
    (tmp_path / "hosts.ini").write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    run = subprocess.run(["ansible-playbook", str(tmp_path / "play.yml"), "-i", str(tmp_path / "hosts.ini"),
                          "-e", json.dumps({"addon_argocd_replicas": {"server": 5}, "result_file": str(tmp_path / "out.json")})],
                         cwd=root, env=tool_env,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    addons = json.loads((tmp_path / "out.json").read_text())
    defaults = role_settings(root / "roles")
    assert sorted(addons) == sorted(defaults)
    assert addons["metrics_server"] == defaults["metrics_server"]  # untouched: the role's defaults
    assert addons["keda"]["enabled"] is False and addons["argocd"]["replicas"] == {"server": 5}  # the play's win
    assert addons["istio"]["tracing"]["service"] == f"{defaults['jaeger']['service']}.tracing.svc.cluster.local"
    assert addons["argocd"]["project"]["destination_namespaces"] == ["triptrip-api", "triptrip-web"]
    assert addons["fluent_bit"]["cloudwatch"]["log_group"] == "/aws/eks/triptrip-test/containers"
    assert addons["nvidia_device_plugin"]["enabled"] is False
