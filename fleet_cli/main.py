"""The `fleet` command (CONTRACT section 6)."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from fleet_contract import logs
from fleet_contract.settings import Settings

from .argtypes import positive_float, positive_int
from .gctune import tune_for_throughput
from .services import ServiceError

log = logging.getLogger("fleet.cli")


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit status 2."""

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def stop_on_signals(stop) -> None:
    """SIGTERM and Ctrl-C call stop() once; a second Ctrl-C exits at once."""
    def handler(signum, frame):
        if getattr(handler, "fired", False):
            raise SystemExit(130)
        handler.fired = True
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_up(args, settings: Settings) -> int:
    from .env import bring_up
    ep = bring_up(settings)
    print(f"export FLEET_DATABASE_URL='{ep.database_url}'")
    print(f"export FLEET_MQTT_URL='{ep.mqtt_url}'")
    for role, url in ep.role_urls.items():  # least privilege per process (docs/security.md)
        print(f"# {role}: FLEET_MQTT_URL='{url}'")
    return 0


def cmd_down(args, settings: Settings) -> int:
    from .services import LocalServices
    LocalServices(settings.state_dir).down()
    print(f"stopped the local services of {settings.state_dir}")
    return 0


def cmd_ingest(args, settings: Settings) -> int:
    from ingest.worker import IngestConfig, IngestWorker
    from .env import bring_up
    ep = bring_up(settings, role="ingest")
    if args.workers > 1:
        from .workers import run_workers
        return run_workers(args.workers, ep, args.client_id)
    worker = IngestWorker(IngestConfig(ep.database_url, ep.mqtt, client_id=args.client_id, shared=args.shared,
                                       raw_retention_days=settings.raw_retention_days))
    stop_on_signals(worker.stop)
    tune_for_throughput()
    worker.run()
    return 0


def cmd_detect(args, settings: Settings) -> int:
    from detectors.runner import DetectConfig, DetectorRunner
    from .env import bring_up
    ep = bring_up(settings, role="detect")
    runner = DetectorRunner(DetectConfig(ep.database_url, ep.mqtt))
    stop_on_signals(runner.stop)
    tune_for_throughput()
    runner.run()
    return 0


def cmd_api(args, settings: Settings) -> int:
    import uvicorn
    from fleet_api.app import create_app
    from .env import bring_up
    ep = bring_up(settings)
    uvicorn.run(create_app(ep.database_url), host=args.host or settings.api_host, port=args.port or settings.api_port,
                log_level="warning", access_log=False)
    return 0


def cmd_token(args, settings: Settings) -> int:
    import psycopg
    from fleet_api import auth
    from .env import bring_up
    ep = bring_up(settings)
    with psycopg.connect(ep.database_url, autocommit=True) as conn:
        if args.token_cmd == "create":
            try:
                print(auth.create_token(conn, args.role, args.crew, args.zone))
            except ValueError as exc:
                print(f"fleet token create: error: {exc}", file=sys.stderr)
                return 2
        elif args.token_cmd == "list":
            for tid, role, crew, created, revoked in auth.list_tokens(conn):
                state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
                print(f"{tid}\t{role}\t{crew or '-'}\t{created:%Y-%m-%d %H:%M}\t{state}")
        else:
            if not auth.revoke(conn, args.id):
                print(f"fleet token revoke: error: no active token with id {args.id}", file=sys.stderr)
                return 2
            print(f"revoked token {args.id}")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    from .demo import run_demo
    return run_demo(args, settings)


def cmd_not_yet(args, settings: Settings) -> int:
    print(f"fleet {args.command}: not yet implemented", file=sys.stderr)
    return 1


def build_parser() -> Parser:
    p = Parser(prog="fleet", description="Fleet Health: telemetry in, maintenance jobs out.")
    p.add_argument("--log-level", default=os.environ.get("FLEET_LOG_LEVEL", "INFO"),
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("up", help="start local services where none are configured; migrate the schema").set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop the local services that `up` started").set_defaults(func=cmd_down)
    d = sub.add_parser("demo", help="everything end to end on a simulated fleet")
    d.add_argument("--duration", type=positive_float, help="seconds to run (default: until Ctrl-C)")
    d.add_argument("--vehicles", type=positive_int, default=300)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--speed", type=positive_float, default=120.0, help="simulated seconds per real second while catching up")
    d.set_defaults(func=cmd_demo)
    i = sub.add_parser("ingest", help="MQTT to TimescaleDB (long-running)")
    i.add_argument("--workers", type=positive_int, default=1, help="processes sharing the stream")
    i.add_argument("--client-id", default="fleet-ingest-0", help="MQTT client id (persistent session)")
    i.add_argument("--shared", action="store_true",
                   help="join the $share/ingest group, to split the stream with other ingest processes (any machine)")
    i.set_defaults(func=cmd_ingest)
    sub.add_parser("detect", help="detectors and tickets (long-running)").set_defaults(func=cmd_detect)
    a = sub.add_parser("api", help="the REST API and the ops page (long-running)")
    a.add_argument("--host")
    a.add_argument("--port", type=positive_int)
    a.set_defaults(func=cmd_api)
    t = sub.add_parser("token", help="API tokens")
    tsub = t.add_subparsers(dest="token_cmd", required=True, parser_class=Parser)
    tc = tsub.add_parser("create", help="print a new token alone on stdout")
    tc.add_argument("--role", required=True, choices=["ops", "crew", "admin"])
    tc.add_argument("--crew")
    tc.add_argument("--zone", help="a crew's zone: its job list covers it (default: all zones)")
    tsub.add_parser("list")
    tr = tsub.add_parser("revoke")
    tr.add_argument("id", type=positive_int)
    t.set_defaults(func=cmd_token)
    try:
        from simulator.cli import register
        register(sub)
    except ImportError:
        for name in ("sim", "replay", "record"):
            sub.add_parser(name, help="not yet").set_defaults(func=cmd_not_yet)
    from detectors.evaluation.cli import register as register_eval
    register_eval(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(args.log_level)
    try:
        settings = Settings.from_env()
        func = args.func
        if func.__code__.co_argcount == 1:  # simulator commands take args only
            return func(args)
        return func(args, settings)
    except (ValueError, ServiceError) as exc:
        print(f"fleet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
