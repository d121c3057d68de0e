"""`fleet eval` (CONTRACT section 6): run the seeded suite, compare with ground truth, report, gate on thresholds.

Exit status: 0 when every threshold given is met, 1 when one is missed (each miss printed on
stderr), 2 on a wrong argument (one line, no traceback).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from fleet_cli.argtypes import fraction as _fraction
from fleet_cli.argtypes import non_negative as _non_negative
from fleet_cli.argtypes import positive_float as _positive_float
from fleet_cli.argtypes import positive_int as _positive_int

PREDICTIVE_LEAD_CODES = ("BRAKE_PAD_WEAR", "TIRE_SLOW_LEAK", "BATTERY_CAPACITY_FADE")


def register(subparsers) -> None:
    """Add `eval` to a `fleet` argparse sub-parser set."""
    e = subparsers.add_parser("eval", help="detection quality against the simulator's ground truth")
    e.add_argument("--vehicles", type=_positive_int, default=1000, help="fleet size (default 1000)")
    e.add_argument("--days", type=_positive_float, default=30.0, help="simulated days (default 30)")
    e.add_argument("--seed", type=int, default=2027, help="scenario seed (default 2027, not used for tuning)")
    e.add_argument("--faults-per-code", type=_positive_int, default=None,
                   help="injected faults of each code (default: 35 %% of the fleet over all codes)")
    e.add_argument("--through-broker", action="store_true",
                   help="send the suite through MQTT, ingest and the database instead of in process")
    e.add_argument("--report", type=Path, default=Path("eval-report.json"), help="JSON report path")
    e.add_argument("--plots", type=Path, default=None,
                   help="directory for PNG plots: lead_times.png and timelines/ (default: none)")
    e.add_argument("--max-timelines", type=_positive_int, default=None,
                   help="timeline plots to draw, a few of every code (default: one per detected fault)")
    e.add_argument("--min-precision", type=_fraction, default=None, help="fail if any code's precision is lower")
    e.add_argument("--min-recall", type=_fraction, default=None, help="fail if any code's recall is lower")
    e.add_argument("--max-false-alarms", type=_non_negative, default=None,
                   help="fail if false alarms per 1,000 vehicle-days are higher")
    e.add_argument("--min-lead-days", type=_non_negative, default=None,
                   help="fail if a predictive code's median lead time is shorter")
    e.add_argument("--max-delay-readings", type=_non_negative, default=None,
                   help="fail if a critical code was ticketed later than this many readings after onset")
    e.set_defaults(func=cmd_eval, _parser=e)


def misses(report: dict, args) -> list[str]:
    """Every threshold given on the command line that the report misses, one line each."""
    out = []
    for code, c in report["codes"].items():
        if not c["faults"]:
            continue
        if args.min_precision is not None and (c["precision"] is None or c["precision"] < args.min_precision):
            out.append(f"{code}: precision {c['precision']} < {args.min_precision}")
        if args.min_recall is not None and c["recall"] < args.min_recall:
            out.append(f"{code}: recall {c['recall']} < {args.min_recall}")
        if (args.min_lead_days is not None and code in PREDICTIVE_LEAD_CODES
                and (c["lead_time_days_median"] is None or c["lead_time_days_median"] < args.min_lead_days)):
            out.append(f"{code}: median lead time {c['lead_time_days_median']} d < {args.min_lead_days} d")
        if (args.max_delay_readings is not None and c["delay_readings_max"] is not None
                and c["delay_readings_max"] > args.max_delay_readings):
            out.append(f"{code}: ticketed {c['delay_readings_max']} readings after onset > {args.max_delay_readings}")
    fa = report["false_alarms_per_1000_vehicle_days"]
    if args.max_false_alarms is not None and fa > args.max_false_alarms:
        out.append(f"false alarms {fa} per 1,000 vehicle-days > {args.max_false_alarms}")
    return out


def cmd_eval(args) -> int:
    from simulator.engine import Simulation

    from .matching import evaluate
    from .report import table, write_json, write_plots
    from .scenario import Suite, default_faults_per_code

    per_code = args.faults_per_code or default_faults_per_code(args.vehicles)
    suite = Suite(args.vehicles, args.days, args.seed, per_code)
    try:
        config = suite.config()
    except ValueError as exc:
        print(f"fleet eval: error: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    sim = Simulation(config)
    if args.through_broker:
        from fleet_cli.env import bring_up
        from fleet_contract.settings import Settings

        from .broker import run_through_broker
        endpoints = bring_up(Settings.from_env(), role="sim")
        bar = ProgressBar(args.days)
        result = run_through_broker(sim, endpoints.database_url, endpoints.mqtt,
                                    endpoints.for_role("ingest").mqtt, progress=bar)
        bar.close()
    else:
        from .fastpath import run_in_process
        bar = ProgressBar(args.days)
        result = run_in_process(sim, progress=bar)
        bar.close()
    report = evaluate(result)
    report["suite"] = {"vehicles": args.vehicles, "days": args.days, "seed": args.seed,
                       "faults_per_code": per_code, "through_broker": args.through_broker,
                       "wall_seconds": round(time.monotonic() - started, 1)}
    write_json(report, args.report)
    print(table(report))
    print(f"\nreport: {args.report}  ({report['readings']:,} readings, {report['suite']['wall_seconds']} s)")
    if args.plots is not None:
        written = write_plots(report, args.plots, args.max_timelines)
        print(f"plots: {len(written)} PNG files in {args.plots}")
    failed = misses(report, args)
    for line in failed:
        print(f"fleet eval: threshold missed: {line}", file=sys.stderr)
    return 1 if failed else 0


class ProgressBar:
    """tqdm on stderr in simulated days (silent when stderr is not a terminal); callable with seconds done."""

    def __init__(self, days: float):
        from tqdm import tqdm
        self.bar = tqdm(total=round(days, 2), unit=" sim-days", file=sys.stderr, disable=None, mininterval=0.5,
                        bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} days [{elapsed}<{remaining}]")
        self.done = 0.0

    def __call__(self, seconds: float) -> None:
        day = seconds / 86400
        if day > self.done:
            self.bar.update(day - self.done)
            self.done = day

    def close(self) -> None:
        self.bar.close()
