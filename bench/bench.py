#!/usr/bin/env python3
"""The platform's performance benchmark (issue #9): our Kubernetes layer against its floor, the AWS layer's no-op
against moto with its API calls counted on the wire, and how the baseline's cost grows with tenant namespaces.

    bench/run [--runs 5] [--sizes 10,100,500] [--growth-runs 3] [--only noop,converge,aws,growth]

On its own local platform (ports from 31000, TRIPTRIP_BENCH_PORT_BASE moves them; state in a temporary folder,
always stopped at the end). Results: bench/results/latest.json and latest.md (the Markdown table
bench/JOURNAL.md carries). Measures, each the median of --runs, taken interleaved (ours, floor, ours, floor, ...):
- noop: the Kubernetes layer of site.yml (its cluster, add-on and workload plays), timed inside a whole site.yml
  run from the start of its first Kubernetes play to the end (callback bench/callback_plugins/bench_plays.py; the
  process start, the preflight and the AWS layer come before it), on a converged platform; and, for reference,
  bench/k8s_layer.yml (the same plays alone, given the VPC id and IRSA role ARNs site.yml's AWS play publishes,
  with its own process start and preflight). Against the floor: `kubectl apply --server-side` of exactly the
  objects our roles send and `helm upgrade --install` of the same releases with the same values and the same
  --wait/--atomic/--timeout, in the same order. The objects and releases come from playbooks/render.yml on the
  same inventory, so both send the same things.
- converge: the layer in site.yml and the floor on an empty control plane (etcd wiped and restarted; moto, and so
  the AWS layer, kept; the kwok nodes recreated before the clock starts, for both). Helm's waits are in both.
- aws: playbooks/aws.yml no-op through a counting proxy in front of moto: its time, its API calls by operation
  (server side), the write calls among them (there must be none), and the AWS resources there are to check.
- growth: N tenant namespaces (each with its quota, limit range, NetworkPolicies and RoleBindings, from the
  inventory's lists) added to the local inventory; the baseline play (playbooks/cluster.yml, where every tenant
  object lives) no-op against `kubectl apply --server-side` of its render, at each size. The add-on and workload
  part does not change with N and is measured by `noop`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from faultproxy import ThrottlingProxy  # noqa: E402 - an empty plan: it forwards and counts every request
from localplatform import COMPONENT_PORTS, changed_tasks, listening  # noqa: E402

# Ours without the kwok nodes, in the no-op and the converge alike: they stand in for EKS's managed node groups (the
# AWS layer's on a real account), which no floor creates; they are made (not timed) before each converge.
OURS = ["--skip-tags", "local_nodes"]
KUBE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
HOST = "triptrip-local"
# The name of site.yml's first play of the Kubernetes layer (playbooks/cluster.yml).
K8S_FIRST_PLAY = "Build the cluster baseline"
READ = re.compile(r"^(Describe|List|Get|Lookup|Search)")
RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
                   r"failed=(?P<failed>\d+)")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def is_write(operation: str) -> bool:
    """A call that may change AWS state: anything but Describe/List/Get/... (EKS REST: any method but GET)."""
    if " " in operation:  # "GET /clusters/x": the REST protocols (EKS)
        return not operation.startswith("GET ")
    return not READ.match(operation)


class Platform:
    """A local platform of the bench's own (scripts/localenv on other ports and another state folder)."""

    def __init__(self, base: int, state: Path):
        self.ports = {key: base + offset for key, offset in COMPONENT_PORTS.items()}
        self.state = state
        self.env = {**os.environ, **{k: str(v) for k, v in self.ports.items()},
                    "PATH": f"{ROOT / '.tools' / 'bin'}:{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
                    "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "TRIPTRIP_LOCAL_STATE": str(state),
                    "KUBECONFIG": str(state / "kubeconfig")}
        self.env.pop("ANSIBLE_CALLBACKS_ENABLED", None)

    def vpc_id(self) -> str:
        """The id of the local platform's VPC in moto (what addons.yml reads for the load balancer controller)."""
        ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{self.ports['TRIPTRIP_MOTO_PORT']}",
                           region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [HOST]}])["Vpcs"]
        return vpcs[0]["VpcId"] if vpcs else "vpc-00000000000000000"

    def aws_layer_facts(self) -> list[str]:
        """`-e` for the Kubernetes layer: what site.yml's AWS play publishes for it in the same run (the VPC id and
        the IRSA role ARNs, aws_network_out_vpc_id and aws_irsa_role_arns), read from moto. bench/k8s_layer.yml alone
        would read them from AWS (playbooks/tasks/addons_aws_facts.yml, 2 calls), which site.yml does not do."""
        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{self.ports['TRIPTRIP_MOTO_PORT']}",
                           region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        roles = {role["RoleName"]: role["Arn"] for page in iam.get_paginator("list_roles").paginate()
                 for role in page["Roles"]}
        keys = yaml.safe_load((ROOT / "group_vars" / "all" / "iam.yml").read_text())["platform_irsa_roles_base"]
        arns = {key: roles[f"{HOST}-{key}"] for key in keys if f"{HOST}-{key}" in roles}
        return ["-e", json.dumps({"aws_network_out_vpc_id": self.vpc_id(), "aws_irsa_role_arns": arns})]

    def localenv(self, *args: str) -> None:
        res = subprocess.run([str(ROOT / "scripts" / "localenv"), *args], env=self.env, capture_output=True,
                             text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"scripts/localenv {' '.join(args)} failed:\n{res.stderr[-3000:]}")

    def up(self) -> None:
        busy = [p for p in self.ports.values() if listening(p)]
        if busy:
            raise SystemExit(f"ports {busy} are taken; move the bench with TRIPTRIP_BENCH_PORT_BASE")
        self.localenv("up")

    def down(self) -> None:
        self.localenv("down")

    def empty_cluster(self) -> None:
        """An empty Kubernetes control plane (etcd's data wiped), with moto and its state left as they are."""
        self.localenv("down", "--only", ",".join(KUBE))
        shutil.rmtree(self.state / "etcd", ignore_errors=True)
        self.localenv("up", "--only", ",".join(KUBE))

    def playbook(self, playbook: str, *args: str, env: dict | None = None, check: bool = True,
                 checkout: Path = ROOT) -> dict:
        start = time.monotonic()
        # The checkout's own ansible.cfg: its collections path is what makes triptrip.platform that checkout's roles.
        res = subprocess.run(["ansible-playbook", playbook, "-i", "inventories/local", *args], cwd=checkout,
                             env={**self.env, "ANSIBLE_CONFIG": str(checkout / "ansible.cfg"), **(env or {})},
                             capture_output=True, text=True, check=False)
        seconds = time.monotonic() - start
        out = res.stdout + res.stderr
        recap = {m["host"]: {k: int(m[k]) for k in ("changed", "unreachable", "failed")}
                 for m in map(RECAP.match, out.splitlines()) if m}
        if check and (res.returncode != 0 or not recap):
            raise SystemExit(f"ansible-playbook {playbook} {' '.join(args)} failed ({res.returncode}):\n{out[-5000:]}")
        changed = recap.get(HOST, {}).get("changed", -1)
        return {"seconds": seconds, "changed": changed, "changed_tasks": sorted(changed_tasks(out)) if changed else []}

    def site_layer(self, *args: str) -> dict:
        """site.yml, timed from the start of its first Kubernetes play (playbooks/cluster.yml's) to the end of the run
        (callback bench_plays): the Kubernetes layer as site.yml runs it, after the preflight and the AWS layer (whose
        facts it uses) and without the process start."""
        plays = self.state.parent / "plays.jsonl"
        plays.unlink(missing_ok=True)
        run = self.playbook("site.yml", *args, env={
            "TRIPTRIP_BENCH_PLAYS": str(plays), "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "bench" / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks,ansible.posix.profile_roles,bench_plays"})
        marks = [json.loads(line) for line in plays.read_text().splitlines()]
        start = next(m["t"] for m in marks if m["play"] == K8S_FIRST_PLAY)
        end = next(m["t"] for m in marks if m["play"] is None)
        return {**run, "site_seconds": run["seconds"], "seconds": end - start}

    def run(self, *argv: str, stdin: str | None = None) -> None:
        res = subprocess.run(list(argv), env=self.env, input=stdin, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:6])} failed:\n{res.stdout[-2000:]}{res.stderr[-3000:]}")


def tenants_file(folder: Path, count: int) -> Path:
    """Extra vars that add `count` tenant namespaces to the local inventory, each with its own quota."""
    base = yaml.safe_load((ROOT / "group_vars" / "all" / "namespaces.yml").read_text())
    names = [f"tenant-{i:03d}" for i in range(1, count + 1)]
    path = folder / f"tenants-{count}.yml"
    # Small, so that 500 of them still fit the node groups at their maximum (the preflight policy checks it).
    quota = {"requests.cpu": "10m", "limits.cpu": "20m", "requests.memory": "16Mi", "limits.memory": "32Mi", "pods": "2"}
    path.write_text(yaml.safe_dump({
        "platform_workload_namespaces": base["platform_workload_namespaces"] + names,
        "platform_resource_quotas_overrides": {name: quota for name in names},
    }))
    return path


class Floor:
    """What a hand-written deploy would send, from playbooks/render.yml: each object file with
    `kubectl apply --server-side` (our field manager, so it owns the same fields) and each release with
    `helm upgrade --install`, in the order our roles send them (the files' write order)."""

    def __init__(self, platform: Platform, folder: Path, extra: list[str], plays: str):
        self.platform = platform
        out = folder / f"render-{plays}-{len(extra) and Path(extra[-1]).stem}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        tags = [] if plays == "all" else ["--tags", plays]
        # The render has no AWS and puts a placeholder VPC id in the AWS Load Balancer Controller's values; the
        # floor must send what our run sends, or each of our no-ops would upgrade that release back.
        vpc = ["-e", f"aws_network_out_vpc_id={platform.vpc_id()}"]
        platform.playbook("playbooks/render.yml", "-e", f"platform_render_dir={out}", *vpc, *tags, *extra)
        files = sorted((out / HOST).glob("*.yaml"), key=lambda p: p.stat().st_mtime_ns)
        self.steps: list[tuple[str, Path]] = []
        for path in files:
            if path.name.endswith(".release.yaml"):
                self.steps.append(("helm", path))
            elif not path.name.endswith(".manifest.yaml"):  # a release's manifests are helm's to send
                self.steps.append(("kubectl", path))
        self.objects = sum(1 for kind, p in self.steps if kind == "kubectl"
                           for d in yaml.safe_load_all(p.read_text()) if d)
        self.releases = sum(1 for kind, _path in self.steps if kind == "helm")

    def apply(self) -> float:
        # The floor reaches the cluster as ours does once a run has written the cluster's kubeconfig: each kubectl
        # and helm gets its token from `aws eks get-token`, as on EKS (the admin certificate before that).
        generated = self.platform.state / f"{HOST}.kubeconfig"
        if generated.exists():
            self.platform.env["KUBECONFIG"] = str(generated)
        start = time.monotonic()
        for kind, path in self.steps:
            if kind == "kubectl":
                self.platform.run("kubectl", "apply", "--server-side", "--field-manager=triptrip-platform",
                                  "-f", str(path))
            else:
                release = yaml.safe_load(path.read_text())
                chart, helm = release["chart"], release.get("helm", {})
                argv = ["helm", "upgrade", "--install", release["release"], chart["ref"], "--namespace",
                        release["namespace"], "--values", "-", "--history-max", str(helm.get("history_max", 10)),
                        "--timeout", f"{helm.get('timeout', 600)}s"]
                argv += ["--version", str(chart["version"])] if chart.get("version") else []
                argv += ["--repo", chart["repo_url"]] if chart.get("repo_url") else []
                argv += ["--wait", "--atomic"] if helm.get("wait", True) else []
                self.platform.run(*argv, stdin=json.dumps(release.get("values") or {}))
        return time.monotonic() - start


def aws_resources(platform: Platform) -> dict[str, int]:
    """The AWS resources in moto that the AWS layer manages, read straight from moto (not through the proxy)."""
    kw = {"endpoint_url": f"http://127.0.0.1:{platform.ports['TRIPTRIP_MOTO_PORT']}", "region_name": "ap-northeast-1",
          "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    ec2, iam, kms = boto3.client("ec2", **kw), boto3.client("iam", **kw), boto3.client("kms", **kw)
    eks, logs = boto3.client("eks", **kw), boto3.client("logs", **kw)
    clusters = eks.list_clusters()["clusters"]
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")]
    found = {
        "vpcs": len(ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"]),
        "subnets": len([s for s in ec2.describe_subnets()["Subnets"] if not s.get("DefaultForAz")]),
        "route tables": len([r for r in ec2.describe_route_tables()["RouteTables"]
                             if not any(a.get("Main") for a in r.get("Associations", []))]),
        "internet gateways": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "NAT gateways": len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]),
        "VPC endpoints": len([e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"]),
        "security groups": len([g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]),
        "launch templates": len(ec2.describe_launch_templates()["LaunchTemplates"]),
        "IAM roles": len(roles),
        "IAM policies (ours)": len(iam.list_policies(Scope="Local")["Policies"]),
        "OIDC providers": len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]),
        "KMS aliases (ours)": len([a for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")]),
        "EKS clusters": len(clusters),
        "EKS node groups": sum(len(eks.list_nodegroups(clusterName=c)["nodegroups"]) for c in clusters),
        "KMS keys (ours)": len([k for k in kms.list_keys()["Keys"]
                                if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"]),
        "IAM inline policies": sum(len(iam.list_role_policies(RoleName=r)["PolicyNames"]) for r in roles),
        "log groups": len(logs.describe_log_groups(logGroupNamePrefix="/aws/eks/")["logGroups"]),
    }
    # The EKS add-ons, access entries and pod identity associations: answered by the patch layer
    # (localenv/moto_server.py); counted only where the server answers, so a plain moto counts none.
    for name, lister in (("EKS add-ons", "list_addons"), ("EKS access entries", "list_access_entries"),
                         ("EKS pod identity associations", "list_pod_identity_associations")):
        try:
            found[name] = sum(len(next(v for k, v in getattr(eks, lister)(clusterName=c).items() if k != "ResponseMetadata"))
                              for c in clusters)
        except Exception:  # noqa: BLE001
            found[name] = 0  # moto answers with an error for an API it does not have
    # Not resources of their own, but what the roles also check: the managed policies attached to our roles.
    found["managed policy attachments"] = sum(len(iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"])
                                              for r in roles)
    return found


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each main measure (median)")
    parser.add_argument("--growth-runs", type=int, default=3, help="runs at each growth size (median)")
    parser.add_argument("--sizes", default="10,100,500", help="tenant namespace counts of the growth measure")
    parser.add_argument("--only", default="noop,converge,aws,growth", help="which measures")
    parser.add_argument("--compare", default="", help="other checkouts, comma-separated (e.g. git worktrees of "
                        "earlier commits), whose k8s layer and AWS no-op run interleaved with ours on the same platform: "
                        "the before/after of each change")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for latest.json/latest.md")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    others = [Path(p).resolve() for p in args.compare.split(",") if p]
    base = int(os.environ.get("TRIPTRIP_BENCH_PORT_BASE", "31000"))
    work = Path(tempfile.mkdtemp(prefix="triptrip-bench-"))
    platform = Platform(base, work / "state")
    result: dict = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
                   f"{host.system()} {host.machine()}",
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True, check=False).stdout.strip(),
        "runs": args.runs, "measures": {},
    }
    try:
        log(f"starting a local platform on ports {base}+ in {work}")
        platform.up()
        log("first converge of site.yml (not timed)")
        first = platform.playbook("site.yml")
        result["site_first_converge_s"] = round(first["seconds"], 1)
        if wanted & {"noop", "converge"}:
            ours_k8s = [*OURS, *platform.aws_layer_facts()]
            floor = Floor(platform, work, [], "all")
            log(f"floor: {floor.objects} objects in {len(floor.steps) - floor.releases} files, {floor.releases} releases")
            result["floor_objects"], result["floor_releases"] = floor.objects, floor.releases
        if "noop" in wanted:
            ours, alone, theirs, changed = [], [], [], []
            compared: dict[str, list[float]] = {str(other): [] for other in others}
            for i in range(args.runs):
                run = platform.site_layer(*OURS)
                ours.append(run["seconds"])
                changed.append(run["changed"])
                single = platform.playbook("bench/k8s_layer.yml", *ours_k8s)
                alone.append(single["seconds"])
                changed.append(single["changed"])
                theirs.append(floor.apply())
                for other in others:
                    compared[str(other)].append(platform.playbook("bench/k8s_layer.yml", *ours_k8s, checkout=other)["seconds"])
                log(f"noop {i + 1}/{args.runs}: ours {ours[-1]:.1f}s in site.yml (its changed={run['changed']} "
                    f"{run['changed_tasks']}), alone {alone[-1]:.1f}s (changed={single['changed']} "
                    f"{single['changed_tasks']}), floor {theirs[-1]:.1f}s"
                    + "".join(f", {k} {v[-1]:.1f}s" for k, v in compared.items()))
            result["measures"]["noop"] = {"ours": ours, "alone": alone, "floor": theirs, "ours_changed": changed,
                                          "ratio": round(median(ours) / median(theirs), 2),
                                          "alone_ratio": round(median(alone) / median(theirs), 2)}
            if compared:
                result["measures"]["noop"]["compare"] = compared
        if "converge" in wanted:
            ours, theirs = [], []
            for i in range(args.runs):
                for side in ("ours", "floor"):
                    platform.empty_cluster()
                    platform.playbook("bench/k8s_layer.yml", "--tags", "local_nodes")
                    if side == "ours":
                        ours.append(platform.site_layer("--skip-tags", "local_nodes")["seconds"])
                    else:
                        theirs.append(floor.apply())
                log(f"converge {i + 1}/{args.runs}: ours {ours[-1]:.1f}s, floor {theirs[-1]:.1f}s")
            result["measures"]["converge"] = {"ours": ours, "floor": theirs,
                                              "ratio": round(median(ours) / median(theirs), 2)}
            platform.playbook("site.yml")  # back to a converged platform with this run's releases
        if "aws" in wanted:
            seconds, calls = [], []
            compared = {str(other): {"seconds": [], "calls": []} for other in others}
            proxy_port = platform.ports["TRIPTRIP_MOTO_PORT"] + 501

            def aws_noop(checkout: Path) -> tuple[float, Counter]:
                proxy = ThrottlingProxy(platform.ports["TRIPTRIP_MOTO_PORT"], proxy_port)
                try:
                    run = platform.playbook("playbooks/aws.yml", env={"TRIPTRIP_MOTO_PORT": str(proxy_port)},
                                            checkout=checkout)
                finally:
                    proxy.close()
                if run["changed"]:
                    log(f"aws no-op of {checkout} changed {run['changed_tasks']}")
                return run["seconds"], Counter(r.operation for r in proxy.log)

            for i in range(args.runs):
                took, counted = aws_noop(ROOT)
                seconds.append(took)
                calls.append(counted)
                for other in others:
                    took, counted = aws_noop(other)
                    compared[str(other)]["seconds"].append(took)
                    compared[str(other)]["calls"].append(sum(counted.values()))
                log(f"aws {i + 1}/{args.runs}: {seconds[-1]:.1f}s, {sum(calls[-1].values())} calls"
                    + "".join(f"; {k} {v['seconds'][-1]:.1f}s, {v['calls'][-1]} calls" for k, v in compared.items()))
            last = calls[-1]
            resources = aws_resources(platform)
            result["measures"]["aws"] = {
                "seconds": seconds, "calls": sum(last.values()), "by_operation": dict(last.most_common()),
                "writes": {op: n for op, n in last.items() if is_write(op)},
                "resources": resources,
                "resource_count": sum(n for kind, n in resources.items() if kind != "managed policy attachments")}
            if compared:
                result["measures"]["aws"]["compare"] = compared
        if "growth" in wanted:
            growth = {}
            for size in [0] + [int(s) for s in args.sizes.split(",")]:
                extra = ["-e", f"@{tenants_file(work, size)}"]
                log(f"growth {size}: converge (not timed)")
                platform.playbook("playbooks/cluster.yml", *OURS, *extra)
                floor = Floor(platform, work, extra, "cluster")
                ours, theirs = [], []
                for _attempt in range(args.growth_runs):
                    run = platform.playbook("playbooks/cluster.yml", *OURS, *extra)
                    ours.append(run["seconds"])
                    theirs.append(floor.apply())
                growth[size] = {"objects": floor.objects, "ours": ours, "floor": theirs}
                log(f"growth {size}: {floor.objects} objects, ours {median(ours)}s, floor {median(theirs)}s "
                    f"(changed={run['changed']})")
            zero = growth[0]
            for size, row in growth.items():
                if size:
                    row["ours_per_namespace_s"] = round((median(row["ours"]) - median(zero["ours"])) / size, 3)
                    row["floor_per_namespace_s"] = round((median(row["floor"]) - median(zero["floor"])) / size, 3)
            result["measures"]["growth"] = growth
    finally:
        log("stopping the bench's platform")
        platform.down()
        shutil.rmtree(work, ignore_errors=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "latest.md").write_text("\n".join(markdown(result)) + "\n")
    print("\n".join(markdown(result)))
    return 0


def markdown(result: dict) -> list[str]:
    m = result["measures"]
    lines = [f"Benchmark of {result['date']}, commit {result['commit']}, on {result['machine']}; medians of "
             f"{result['runs']} interleaved runs (bench/run).", "",
             "| measure | ours | floor | ratio | target |", "|---|---|---|---|---|"]
    if "noop" in m:
        lines.append(f"| Kubernetes layer of site.yml, no-op rerun | {median(m['noop']['ours'])} s | "
                     f"{median(m['noop']['floor'])} s | {m['noop']['ratio']} | at most 2 |")
        if "alone" in m["noop"]:
            lines.append(f"| the same plays alone (bench/k8s_layer.yml: with process start and preflight) | "
                         f"{median(m['noop']['alone'])} s | | {m['noop']['alone_ratio']} | for reference |")
    for checkout, seconds in m.get("noop", {}).get("compare", {}).items():
        lines.append(f"| the same no-op, from {checkout} | {median(seconds)} s | | "
                     f"{round(median(seconds) / median(m['noop']['floor']), 2)} | before/after |")
    if "converge" in m:
        lines.append(f"| Kubernetes layer of site.yml, first converge | {median(m['converge']['ours'])} s | "
                     f"{median(m['converge']['floor'])} s | {m['converge']['ratio']} | at most 1.5 |")
    if "aws" in m:
        a = m["aws"]
        lines.append(f"| AWS layer, no-op rerun against moto | {median(a['seconds'])} s, {a['calls']} API calls, "
                     f"{sum(a['writes'].values())} writes | {a['resource_count']} resources to check | "
                     f"{round(a['calls'] / max(a['resource_count'], 1), 2)} calls per resource | "
                     f"no write; calls at most the resources |")
    for checkout, c in m.get("aws", {}).get("compare", {}).items():
        lines.append(f"| the same AWS no-op, from {checkout} | {median(c['seconds'])} s, {c['calls'][-1]} API calls "
                     f"| | | before/after |")
    if "floor_objects" in result:
        lines += ["", f"The floor sends {result['floor_objects']} objects with `kubectl apply --server-side` and "
                  f"{result['floor_releases']} releases with `helm upgrade --install`."]
    if "aws" in m:
        a = m["aws"]
        lines += ["", "AWS resources counted in moto: " + ", ".join(f"{kind} {n}" for kind, n in a["resources"].items())
                  + ". The no-op's API calls by operation: "
                  + ", ".join(f"{op} {n}" for op, n in a["by_operation"].items()) + "."]
    if "growth" in m:
        lines += ["", "| tenant namespaces | objects | baseline no-op, ours | floor | ours per namespace | floor per namespace |",
                  "|---|---|---|---|---|---|"]
        for size, row in m["growth"].items():
            lines.append(f"| {size} | {row['objects']} | {median(row['ours'])} s | {median(row['floor'])} s | "
                         f"{row.get('ours_per_namespace_s', '-')} s | {row.get('floor_per_namespace_s', '-')} s |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
