"""Every port the local platform binds (defaults, molecule, integration tests) is below Linux's ephemeral range,
so an outgoing connection of any program can never be holding it (a CI run once failed on exactly that)."""

from __future__ import annotations

import re
import sys

import yaml

EPHEMERAL_LOW = 32768


def test_all_our_ports_are_below_the_ephemeral_range_and_distinct_per_user(root):
    defaults = [int(p) for p in re.findall(r'TRIPTRIP_\w+_PORT", "(\d+)"', (root / "scripts/localenv").read_text())]
    assert len(defaults) == 8
    molecule = yaml.safe_load((root / "molecule/default/molecule.yml").read_text())["ansible"]["env"]
    scenario = [int(v) for k, v in molecule.items() if k.endswith("_PORT")]
    assert len(scenario) == 8
    sys.path.insert(0, str(root / "tests/integration"))
    from localplatform import PORT_BASES  # noqa: PLC0415 - the integration helpers, imported for their data

    integration = [p for ports in PORT_BASES.values() for p in ports.values()]
    # The modules with a moto server alone on a fixed port (they once shared 24100 with the access module's moto).
    alone = [int(m) for path in sorted((root / "tests/integration").glob("test_*.py"))
             for m in re.findall(r"^PORT = (\d+)$", path.read_text(), re.M)]
    assert len(alone) >= 2, alone
    every = defaults + scenario + integration + alone
    assert max(every) < EPHEMERAL_LOW, sorted(p for p in every if p >= EPHEMERAL_LOW)
    assert len(set(every)) == len(every), "two users of the same port"
