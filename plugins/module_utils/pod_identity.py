# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""EKS Pod Identity associations, shared by eks_pod_identity_association and its _info module."""

from __future__ import annotations


def list_associations(client, cluster_name, **filters):
    """{(namespace, service account): association summary} of the cluster, every page; `filters` are
    ListPodIdentityAssociations' namespace and serviceAccount."""
    found, request = {}, {"clusterName": cluster_name, **{k: v for k, v in filters.items() if v}}
    while True:
        response = client.list_pod_identity_associations(aws_retry=True, **request)
        for item in response.get("associations") or []:
            found[(item["namespace"], item["serviceAccount"])] = item
        if not response.get("nextToken"):
            return found
        request["nextToken"] = response["nextToken"]


def view(association):
    """An association as the modules return it (snake_case, the fields users read)."""
    return {"namespace": association["namespace"], "service_account": association["serviceAccount"],
            "role_arn": association.get("roleArn"), "association_id": association.get("associationId"),
            "association_arn": association.get("associationArn")}
