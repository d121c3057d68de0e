"""`fleet sim`, `fleet replay`, `fleet record` (CONTRACT section 6): argparse sub-commands over the simulator."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path

import orjson

from fleet_cli.argtypes import positive_float as _positive_float
from fleet_cli.argtypes import positive_int as _positive_int

NO_BROKER = "FLEET_MQTT_URL is not set (run `fleet up` and use the URL it prints)"


def _speed(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a positive number or 'max', got {text!r}") from None


def _faults(text: str):
    from .faults import load_scenario, parse_random
    if text.startswith("random:"):
        try:
            parse_random(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return text
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"expected random:RATE or a scenario file, no such file: {text!r}")
    try:
        return load_scenario(text)
    except (OSError, ValueError) as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _qos(text: str) -> int:
    if text not in ("0", "1"):
        raise argparse.ArgumentTypeError(f"must be 0 or 1, got {text!r}")
    return int(text)


def _existing_file(text: str) -> Path:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return Path(text)


def register(subparsers) -> None:
    """Add `sim`, `replay` and `record` to a `fleet` argparse sub-parser set."""
    s = subparsers.add_parser("sim", help="simulate a fleet: publish to FLEET_MQTT_URL or write a file")
    s.add_argument("--vehicles", type=_positive_int, default=1000, help="fleet size (default 1000)")
    s.add_argument("--days", type=_positive_float, default=1.0, help="simulated days (default 1)")
    s.add_argument("--seed", type=int, default=0, help="random seed: same seed and flags, same bytes")
    s.add_argument("--faults", type=_faults, default=None,
                   help="random:RATE (faults per vehicle over the run, 0..1) or a scenario file "
                        "(JSON lines: vehicle_id, fault_code, onset_h, rate?, params?)")
    s.add_argument("--speed", type=_speed, default=None,
                   help="simulated seconds per real second when publishing, or 'max' (default)")
    s.add_argument("--out", type=Path, help="write gzip JSON lines here instead of publishing")
    s.add_argument("--truth", type=Path, help="write the ground truth here as JSON lines")
    s.add_argument("--qos", type=_qos, default=None, help="QoS of readings, 0 or 1 (default 0)")
    s.set_defaults(func=cmd_sim, _parser=s)

    r = subparsers.add_parser("replay", help="publish a recorded or simulated file to FLEET_MQTT_URL")
    r.add_argument("file", type=_existing_file)
    r.add_argument("--speed", type=_speed, default=None, help="times real time, or 'max' (default)")
    r.add_argument("--qos", type=_qos, default=None, help="override the readings' QoS")
    r.set_defaults(func=cmd_replay, _parser=r)

    c = subparsers.add_parser("record", help="record fleet/v1/# from FLEET_MQTT_URL into a file")
    c.add_argument("file", type=Path)
    c.add_argument("--duration", type=_positive_float, default=None, help="seconds (default: until Ctrl-C)")
    c.set_defaults(func=cmd_record, _parser=c)


def _target(args):
    from fleet_contract.settings import MqttTarget, Settings
    url = Settings.from_env().mqtt_url
    if not url:
        print(f"fleet {args.command}: error: {NO_BROKER}", file=sys.stderr)
        return None
    try:
        return MqttTarget.parse(url)
    except ValueError as e:
        print(f"fleet {args.command}: error: {e}", file=sys.stderr)
        return None


def _stop_event() -> threading.Event:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        def handler(signum, frame):
            if stop.is_set():
                raise SystemExit(130)
            stop.set()
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
    return stop


def _write_truth(path: Path, truth: list[dict]) -> None:
    with open(path, "wb") as f:
        for row in truth:
            f.write(orjson.dumps(row) + b"\n")


def cmd_sim(args) -> int:
    from .engine import SimConfig, Simulation
    from .output import publish_live
    try:
        sim = Simulation(SimConfig(vehicles=args.vehicles, duration=timedelta(days=args.days), seed=args.seed,
                                   faults=args.faults, qos=args.qos or 0))
    except ValueError as e:
        args._parser.error(str(e))
    if args.out is None:
        target = _target(args)
        if target is None:
            return 2
    stop = _stop_event()
    try:
        if args.out is not None:
            count = _write_with_progress(sim, args.out, stop)
        else:
            count = publish_live(sim.messages(), target, args.speed, qos=args.qos, stop=stop,
                                 progress=sys.stderr.isatty())
    except ConnectionError as e:
        print(f"fleet sim: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"fleet sim: error: {e}", file=sys.stderr)
        return 1
    if args.truth is not None:
        _write_truth(args.truth, sim.truth)
    summary = sim.summary()
    where = args.out if args.out is not None else "the broker"
    print(f"simulated {summary['vehicles']} vehicles {summary['start']} .. {summary['end']}: "
          f"{count} messages, {summary['readings']} readings to {where}, "
          f"{summary['faults_injected']} ground-truth faults"
          + (f" (truth in {args.truth})" if args.truth else "") + (", stopped early" if stop.is_set() else ""))
    return 0


def _write_with_progress(sim, path: Path, stop: threading.Event) -> int:
    from tqdm import tqdm
    from .output import write_file
    total_steps = sim._nsteps
    bar = tqdm(total=round(total_steps * sim._dt / 86400, 2), unit=" sim-days", file=sys.stderr,
               disable=None, mininterval=0.5, bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} days [{elapsed}<{remaining}]")
    stream = sim.messages()
    done = [0.0]

    def progress(count):
        if stop.is_set():
            raise KeyboardInterrupt
        day = sim._progress_s / 86400
        if day - done[0] >= 0.05:
            bar.update(day - done[0])
            done[0] = day

    try:
        return write_file(stream, path, progress=progress)
    except KeyboardInterrupt:
        return sim._counts["messages"]
    finally:
        bar.close()


def cmd_replay(args) -> int:
    from .output import publish_live, read_file
    target = _target(args)
    if target is None:
        return 2
    stop = _stop_event()
    try:
        count = publish_live(read_file(args.file), target, args.speed, qos=args.qos, stop=stop,
                             progress=sys.stderr.isatty())
    except (ConnectionError, OSError, ValueError) as e:
        print(f"fleet replay: error: {e}", file=sys.stderr)
        return 1
    print(f"replayed {count} messages from {args.file}" + (", stopped early" if stop.is_set() else ""))
    return 0


def cmd_record(args) -> int:
    from .output import record
    target = _target(args)
    if target is None:
        return 2
    stop = _stop_event()
    try:
        count = record(target, args.file, args.duration, stop=stop)
    except (ConnectionError, OSError) as e:
        print(f"fleet record: error: {e}", file=sys.stderr)
        return 1
    print(f"recorded {count} messages into {args.file}")
    return 0


__all__ = ["register", "cmd_sim", "cmd_replay", "cmd_record", "NO_BROKER"]
