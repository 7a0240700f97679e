# Copyright: TripTrip Platform Team
# Apache License 2.0 (see galaxy.yml)
"""The configuration schemas moto patch 18 answers for the managed add-on builds the local environment offers
(moto_server.ADDON_VERSIONS), by add-on: what DescribeAddonConfiguration gives and CreateAddon/UpdateAddon hold
configurationValues to.

EKS's own schemas are large JSON Schemas, one per build, closed at the top (additionalProperties false). These are
ours, written from the field names the Amazon EKS User Guide documents for each add-on's configuration, reduced to
the fields this platform sets (group_vars/all/eks.yml), the ones the add-ons are commonly given, and the shapes a
wrong key or type would break; every object we describe field by field is closed, as EKS's are. A field EKS offers
that is missing here is refused locally: add it when the platform needs it.
"""

from __future__ import annotations

import json

SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer"}
# EKS's add-on schemas take most switches as the strings "true" and "false" (what the add-on's env vars hold).
SWITCH = {"type": "string", "enum": ["true", "false"]}
# Labels, annotations, env vars, tags: names the user chooses, string values.
STRINGS = {"type": "object", "additionalProperties": STRING}
# A count, or a percentage as "50%" (a PodDisruptionBudget's minAvailable).
COUNT_OR_PERCENT = {"type": ["integer", "string"]}


def closed(**properties):
    """An object of these properties only."""
    return {"type": "object", "additionalProperties": False, "properties": properties}


def open_object(description):
    """A Kubernetes object passed through to the add-on's manifests as it is (affinity, a toleration)."""
    return {"type": "object", "description": description}


QUANTITIES = closed(cpu=STRING, memory=STRING)
RESOURCES = closed(limits=QUANTITIES, requests=QUANTITIES)
TOLERATIONS = {"type": "array", "items": open_object("A Kubernetes toleration")}
AFFINITY = open_object("A Kubernetes affinity")
POD_PLACEMENT = {"affinity": AFFINITY, "nodeSelector": STRINGS, "tolerations": TOLERATIONS}
POD_METADATA = {"podAnnotations": STRINGS, "podLabels": STRINGS}

VPC_CNI = closed(
    env=STRINGS,
    enableNetworkPolicy=SWITCH,
    enableWindowsIpam=SWITCH,
    enableWindowsPrefixDelegation=SWITCH,
    init=closed(env=STRINGS, resources=RESOURCES),
    nodeAgent=closed(enablePolicyEventLogs=SWITCH, enableCloudWatchLogs=SWITCH, healthProbeBindAddr=STRING,
                     metricsBindAddr=STRING, resources=RESOURCES),
    livenessProbeTimeoutSeconds={"type": "integer", "minimum": 1},
    readinessProbeTimeoutSeconds={"type": "integer", "minimum": 1},
    resources=RESOURCES,
    affinity=AFFINITY,
    tolerations=TOLERATIONS,
    **POD_METADATA,
)

COREDNS = closed(
    replicaCount={"type": "integer", "minimum": 1},
    resources=RESOURCES,
    corefile=STRING,
    podDisruptionBudget=closed(enabled=BOOLEAN, minAvailable=COUNT_OR_PERCENT, maxUnavailable=COUNT_OR_PERCENT),
    autoScaling=closed(enabled=BOOLEAN, minReplicas={"type": "integer", "minimum": 1},
                       maxReplicas={"type": "integer", "minimum": 1}),
    topologySpreadConstraints={"type": "array", "items": open_object("A Kubernetes topology spread constraint")},
    priorityClassName=STRING,
    **POD_PLACEMENT,
    **POD_METADATA,
)

KUBE_PROXY = closed(
    mode={"type": "string", "enum": ["iptables", "ipvs"]},
    ipvs=closed(scheduler=STRING),
    resources=RESOURCES,
    **POD_METADATA,
)

EBS_SIDECAR = closed(resources=RESOURCES)
AWS_EBS_CSI_DRIVER = closed(
    controller=closed(extraVolumeTags=STRINGS, replicaCount={"type": "integer", "minimum": 1}, resources=RESOURCES,
                      loggingFormat={"type": "string", "enum": ["text", "json"]}, **POD_PLACEMENT, **POD_METADATA),
    node=closed(tolerateAllTaints=BOOLEAN, volumeAttachLimit={"type": "integer", "minimum": 1}, resources=RESOURCES,
                loggingFormat={"type": "string", "enum": ["text", "json"]}, **POD_PLACEMENT, **POD_METADATA),
    defaultStorageClass=closed(enabled=BOOLEAN),
    sidecars=closed(provisioner=EBS_SIDECAR, attacher=EBS_SIDECAR, snapshotter=EBS_SIDECAR, resizer=EBS_SIDECAR,
                    livenessProbe=EBS_SIDECAR, nodeDriverRegistrar=EBS_SIDECAR),
)

# The node monitoring agent's DaemonSet and, on NVIDIA nodes, its DCGM exporter (issue #27's node health).
NODE_MONITORING_AGENT = closed(
    nodeAgent=closed(resources=RESOURCES, **POD_PLACEMENT, **POD_METADATA),
    dcgmAgent=closed(resources=RESOURCES, **POD_PLACEMENT, **POD_METADATA),
)

# The EKS Pod Identity agent's DaemonSet (issue #27's pod identity): its extra arguments and the pod's placement.
POD_IDENTITY_AGENT = closed(agent=closed(additionalArgs=STRINGS), resources=RESOURCES, **POD_PLACEMENT, **POD_METADATA)

ADDON_SCHEMAS = {
    "vpc-cni": VPC_CNI,
    "coredns": COREDNS,
    "kube-proxy": KUBE_PROXY,
    "aws-ebs-csi-driver": AWS_EBS_CSI_DRIVER,
    "eks-node-monitoring-agent": NODE_MONITORING_AGENT,
    "eks-pod-identity-agent": POD_IDENTITY_AGENT,
}


def configuration_schema(name):
    """The add-on's schema as DescribeAddonConfiguration gives it: a JSON string, or None for an add-on we have none
    for."""
    schema = ADDON_SCHEMAS.get(name)
    if schema is None:
        return None
    return json.dumps({"$schema": SCHEMA_DRAFT, "description": f"Configurable parameters of {name} (local)", **schema},
                      sort_keys=True)
