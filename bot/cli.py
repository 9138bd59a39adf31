"""The `ghostwatch` command line: run the bot, backtest a replay, benchmark, manage the database."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import ConfigError, Settings, load_settings

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ghostwatch",
        description="Flags emerging meme narratives and posts alerts to Discord and Telegram.",
        epilog="Configuration comes from GHOSTWATCH_* environment variables or a .env file.",
    )
    parser.add_argument("--version", action="version", version=f"ghostwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="run the bot: sources, scoring, alerts, Discord/Telegram front ends",
        description="Start storage (migrating it), the scheduler, the configured sources, the "
        "engine, alert dispatch and every front end that has a token. Without tokens, alerts "
        "go to the console.",
    )
    run.add_argument(
        "--role",
        choices=("all", "ingest", "scorer"),
        default="all",
        help="all (default): everything in one process; ingest: only read sources and write "
        "phrase aggregates; scorer: score, dispatch and serve front ends (one active at a time)",
    )

    demo = sub.add_parser(
        "demo",
        help="see alerts at once: replay a bundled stream through the bot, fast",
        description="Replay a bundled few hours of posts (a leader-coined narrative in English "
        "and Japanese, token launches on it, noise) through the same pipeline as `run`, print "
        "each alert as it fires, then a summary. Needs no network, tokens or configuration; "
        "with chat tokens set, alerts also go to the chats that enabled them.",
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=900.0,
        metavar="N",
        help="replay at N x real time (default 900: 15 minutes of stream per second)",
    )

    record = sub.add_parser(
        "record",
        help="write every post the sources read to a JSON Lines file, for backtests",
        description="Read GHOSTWATCH_SOURCES (or --sources) and the Telegram chats in "
        "GHOSTWATCH_TELEGRAM_READ_CHATS, and write every post in the replay format. No engine, "
        "no chats. Restarts resume the source cursors; SIGTERM flushes everything.",
    )
    record.add_argument("out", metavar="OUT.jsonl[.gz]", help="output file (.gz: compressed)")
    record.add_argument(
        "--sources", metavar="LIST", help="sources to read instead of GHOSTWATCH_SOURCES"
    )
    record.add_argument(
        "--rotate",
        metavar="SIZE|hour",
        help="start a new file at this size (e.g. 100MB) or every hour; files go into a folder "
        "named after OUT",
    )

    backtest = sub.add_parser(
        "backtest",
        help="replay a JSON Lines post file through the engine and print the alerts it fires",
        description="Replay POSTS.jsonl in event time and write one JSON object per alert.",
    )
    backtest.add_argument(
        "posts",
        metavar="POSTS",
        help="posts in the replay format: a .jsonl or .jsonl.gz file, or a folder of them",
    )
    backtest.add_argument("--leaders", metavar="FILE", help="one leader handle per line")
    backtest.add_argument("--threshold", type=float, metavar="N", help="alert threshold 0-100")
    backtest.add_argument("--out", metavar="ALERTS.jsonl", help="write alerts here, not stdout")
    backtest.add_argument(
        "--report",
        metavar="REPORT.html",
        help="also write a self-contained HTML report: timelines, alerts, totals",
    )
    backtest.add_argument(
        "--launches",
        metavar="LAUNCHES.jsonl",
        help="token launches to mark in the report (chain, address, name, symbol, launched_at)",
    )

    bench = sub.add_parser(
        "bench",
        help="measure engine throughput and memory beside a naive n-gram counter",
        description="Generate a synthetic stream and report posts/s and peak RSS for the engine "
        "on pre-built posts and for `backtest` on a JSONL file (parsing included), each beside "
        "a collections.Counter baseline in the same run.",
    )
    bench.add_argument("--posts", type=int, default=200_000, help="posts to generate")
    bench.add_argument("--seed", type=int, default=7, help="generator seed")
    bench.add_argument(
        "--frames",
        metavar="FRAMES.jsonl",
        help="also time Jetstream decoding on recorded frames (one JSON event per line)",
    )
    bench.add_argument(
        "--sparse",
        action="store_true",
        help="only the file replay, of a sparse stream (90 posts a day: --posts 65000 spans "
        "two years)",
    )

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply pending migrations")
    db_sub.add_parser("status", help="show applied and pending migrations")
    return parser


def _fail(message: str, code: int) -> int:
    print(f"ghostwatch: {message}", file=sys.stderr)
    return code


async def _db(settings: Settings, action: str) -> int:
    from storage import db

    url = settings.resolved_database_url
    try:
        await db.connect(url)
        if action == "upgrade":
            applied = await db.upgrade(url)
            print(
                f"applied {len(applied)} migration(s)"
                + (f": {', '.join(applied)}" if applied else "")
            )
        else:
            pending, unknown = await db.pending_migrations(url)
            print(f"database: {db.redact_url(url)}")
            print(f"pending: {', '.join(pending) or 'none'}")
            if unknown:
                print(f"unknown to this version: {', '.join(unknown)}")
    finally:
        await db.close()
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from bot.engine.backtest import run_backtest

    if not args.report:
        if args.launches:
            return _fail("backtest: --launches is only used with --report", EXIT_USAGE)
        return run_backtest(
            args.posts,
            leaders_file=args.leaders,
            threshold=args.threshold,
            out=args.out,
            stdout=sys.stdout,
            stderr=sys.stderr,
        )
    from bot.report import LaunchFileError, ReportCollector, read_launches

    try:
        launches = read_launches(args.launches) if args.launches else []
    except (OSError, UnicodeDecodeError, LaunchFileError) as exc:
        return _fail(f"backtest: cannot read launches file {args.launches}: {exc}", EXIT_USAGE)
    collector = ReportCollector()
    code = run_backtest(
        args.posts,
        leaders_file=args.leaders,
        threshold=args.threshold,
        out=args.out,
        stdout=sys.stdout,
        stderr=sys.stderr,
        observe=collector,
    )
    if code != 0:
        return code
    collector.finish()
    try:
        collector.write(args.report, os.path.basename(args.posts), launches)
    except OSError as exc:
        return _fail(f"backtest: cannot write {args.report}: {exc}", EXIT_USAGE)
    print(f"backtest: report written to {args.report}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    sys.exit(dispatch(args))


def dispatch(args: argparse.Namespace) -> int:
    from storage.db import StorageError

    if args.command == "backtest":
        return _backtest(args)
    if args.command == "bench":
        from bot.engine.bench import run_bench

        return run_bench(
            posts=args.posts,
            seed=args.seed,
            stdout=sys.stdout,
            frames=args.frames,
            sparse=args.sparse,
        )
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    from bot.logs import setup_logging

    if args.command == "demo" and "GHOSTWATCH_LOG_LEVEL" not in os.environ:
        # The demo's output is its alert cards and summary; routine log lines would bury them.
        settings = settings.model_copy(update={"log_level": "WARNING"})
    setup_logging(settings)
    try:
        if args.command == "record":
            from bot.record import run_record

            return run_record(settings, args.out, args.rotate, args.sources)
        if args.command == "demo":
            if args.speed <= 0:
                return _fail("demo: --speed must be a number above 0", EXIT_USAGE)
            from bot.demo import run_demo

            return run_demo(speed=args.speed)
        if args.command == "db":
            return asyncio.run(_db(settings, args.db_command))
        from bot.app import run_app

        return run_app(settings, role=args.role)
    except StorageError as exc:
        return _fail(str(exc), 1)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
