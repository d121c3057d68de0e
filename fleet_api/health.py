"""The vehicle health score, 0..100, from live tickets: pure, documented in docs/health.md."""
from __future__ import annotations

PENALTY = {"critical": 60, "high": 30, "medium": 15, "low": 5}


def health_score(live_severities: list[str]) -> int:
    """100 minus a penalty per live ticket by severity (critical 60, high 30, medium 15, low 5), floored at 0."""
    return max(0, 100 - sum(PENALTY[s] for s in live_severities))
