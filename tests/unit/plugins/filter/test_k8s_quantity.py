"""k8s_quantity: Kubernetes quantities as numbers."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.filter.k8s_quantity import k8s_quantity


@pytest.mark.parametrize(("value", "unit", "expected"), [
    ("500m", "", 0.5), ("2", "", 2.0), (8, "", 8.0), ("1.5Gi", "1Gi", 1.5), ("1536Mi", "1Gi", 1.5),
    ("1k", "", 1000.0), ("1e3", "", 1000.0), ("64Gi", "", 64 * 2**30),
])
def test_quantities(value, unit, expected):
    assert k8s_quantity(value, unit) == expected


@pytest.mark.parametrize("value", ["ten", "1.5 Gi", "", True])
def test_bad_quantity_names_it(value):
    with pytest.raises(AnsibleFilterError, match="k8s_quantity"):
        k8s_quantity(value)
