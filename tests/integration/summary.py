"""The reliability and security summary: each check of issue #8's suite records one row (what was tried, whether
it held), and `pytest tests/integration` ends with the table of them (tests/integration/conftest.py).

Rows go to the JSON-lines file named by TRIPTRIP_SUMMARY_FILE, which the controlling pytest process sets before
its xdist workers start, so every worker appends to the same file."""

from __future__ import annotations

import json
import os
from pathlib import Path


def record(suite: str, case: str, tried: str, held: bool, detail: str = "") -> None:
    """Add one row; call it right before the assertion that decides `held`, so a failing check is listed too."""
    path = os.environ.get("TRIPTRIP_SUMMARY_FILE")
    if not path:
        return
    row = {"suite": suite, "case": case, "tried": tried, "result": "held" if held else "FAILED",
           "detail": " ".join(detail.split())[:160]}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def table(path: Path) -> list[str]:
    """The rows as a Markdown table, ordered by suite then case, and a count per suite."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        return []
    rows.sort(key=lambda r: (r["suite"], r["case"]))
    lines = ["| suite | case | tried | result | detail |", "|---|---|---|---|---|"]
    lines += [f"| {r['suite']} | {r['case']} | {r['tried']} | {r['result']} | {r['detail'].replace('|', '/')} |"
              for r in rows]
    suites: dict[str, list[int]] = {}
    for r in rows:
        counts = suites.setdefault(r["suite"], [0, 0])
        counts[0 if r["result"] == "held" else 1] += 1
    lines.append("")
    lines += [f"{suite}: {held} held, {failed} failed" for suite, (held, failed) in sorted(suites.items())]
    return lines
