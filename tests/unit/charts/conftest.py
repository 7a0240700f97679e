"""Fixtures of the chart tests: `helm` (our pinned binary) and `render` (helm template of the module's CHART as
RELEASE in NAMESPACE, parsed)."""

from __future__ import annotations

import pytest
from chartlib import helm_runner, renderer


@pytest.fixture
def helm(root, tool_env):
    return helm_runner(root, tool_env)


@pytest.fixture
def render(request, helm):
    module = request.module
    return renderer(helm, module.CHART, module.RELEASE, module.NAMESPACE)
