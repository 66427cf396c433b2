"""The ladder of one edge as JSON (`check --output json`, DESIGN §2)."""

from __future__ import annotations

import json

from kexplore.checks.result import EdgeReport


def report_json(report: EdgeReport) -> str:
    """One JSON object, stable key order, two-space indent."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)
