"""Eval's outputs: the JSON report (CONTRACT section 6 keys first), the table printed, and PNG plots."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

CONTRACT_KEYS = ("faults", "tickets", "precision", "recall", "lead_time_days_median", "lead_time_days_p10",
                 "delay_readings_max")


def write_json(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(report: dict) -> str:
    """A Markdown table of the per-code figures, then the false-alarm rate."""
    lines = ["| code | faults | tickets | precision | recall | lead median (d) | lead p10 (d) | delay max (readings) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for code, c in report["codes"].items():
        lines.append(f"| {code} | {c['faults']} | {c['tickets']} | {_fmt(c['precision'])} | {_fmt(c['recall'])} | "
                     f"{_fmt(c['lead_time_days_median'], 1)} | {_fmt(c['lead_time_days_p10'], 1)} | "
                     f"{_fmt(c['delay_readings_max'])} |")
    lines.append("")
    lines.append(f"False alarms: {report['false_alarms']} "
                 f"({report['false_alarms_per_1000_vehicle_days']:.3f} per 1,000 vehicle-days)")
    return "\n".join(lines)


def write_plots(report: dict, directory: Path, max_timelines: int | None = None) -> list[Path]:
    """lead_times.png (lead-time distribution per predictive code) and, under timelines/, one PNG per
    detected fault (or the first `max_timelines`, a few of every code): onset, ticket, predicted and
    actual failure on one time axis."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(7, 4))
    leads = {code: c["lead_times_days"] for code, c in report["codes"].items() if c["lead_times_days"]}
    if leads:
        ax.boxplot(list(leads.values()), orientation="horizontal", tick_labels=list(leads.keys()))
        ax.axvline(3, color="tab:red", linestyle="--", linewidth=1, label="3-day goal")
        ax.legend(loc="lower right")
    ax.set_xlabel("lead time: failure − ticket opened (days)")
    ax.set_title("Lead time of predictive tickets")
    fig.tight_layout()
    path = directory / "lead_times.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)

    def when(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    lines = sorted(report["timelines"], key=lambda t: (t["fault_code"], t["vehicle_id"]))
    if max_timelines is not None:  # round-robin over codes, so every code shows
        by_code: dict[str, list] = {}
        for t in lines:
            by_code.setdefault(t["fault_code"], []).append(t)
        lines = [t for rank in range(max_timelines) for group in by_code.values() for t in group[rank:rank + 1]]
        lines = lines[:max_timelines]
    folder = directory / "timelines"
    folder.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 1.8))  # one figure, redrawn: hundreds of faults stay quick
    for t in lines:
        ax.clear()
        marks = [("onset", when(t["onset"]), "tab:orange"), ("ticket", when(t["opened_at"]), "tab:blue"),
                 ("predicted failure", when(t["predicted_failure_at"]), "tab:purple"),
                 ("failure", when(t["failure_at"]), "tab:red")]
        marks = [m for m in marks if m[1] is not None]
        times = [m[1] for m in marks]
        ax.plot([min(times), max(times)], [0, 0], color="0.7", linewidth=4, zorder=1)
        for k, (label, at, color) in enumerate(marks):
            ax.plot([at], [0], marker="v^ov"[k % 4], markersize=11, color=color, label=label, zorder=2,
                    linestyle="none")
        pad = max((max(times) - min(times)) * 0.1, timedelta(hours=2))
        ax.set_xlim(min(times) - pad, max(times) + pad)
        ax.set_yticks([])
        ax.set_title(f"{t['vehicle_id']} {t['fault_code']}", fontsize=9)
        ax.legend(loc="upper left", fontsize=7, ncol=4)
        fig.autofmt_xdate()
        fig.tight_layout()
        path = folder / f"{t['fault_code']}_{t['vehicle_id']}.png"
        fig.savefig(path, dpi=90)
        written.append(path)
    plt.close(fig)
    return written
