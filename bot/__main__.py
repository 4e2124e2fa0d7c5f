"""The `govbot` command line: run, demo, audit verify|export, export, arena, rewards."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from bot.logging_setup import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from storage.migrations import SchemaNewerThanCode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve Discord/Telegram, or the console chat when no token is set")
    demo = sub.add_parser("demo", help="play a scripted community on a fresh database")
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help="charts folder")
    from bot.audit_cli import add_parser as add_audit_parser

    add_audit_parser(sub)
    from bot.export_cli import add_parser as add_export_parser

    add_export_parser(sub)
    from bot.arena_cli import add_parser as add_arena_parser

    add_arena_parser(sub)
    from bot.rewards_cli import add_parser as add_rewards_parser

    add_rewards_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"govbot: {error}", file=sys.stderr)
        return 2
    console = args.command in ("run", "demo") and not (
        settings.telegram.token or settings.discord.token
    )
    configure_logging(settings, console=console)
    try:
        return _command(args, settings)
    except SchemaNewerThanCode as error:
        # Refused before anything was written: the operator must run a newer release.
        print(f"govbot: {error}", file=sys.stderr)
        return 2


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.app import run

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(settings))
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(settings, args.out))
    if args.command == "arena":
        from bot.arena_cli import arena_command

        return asyncio.run(arena_command(args, settings))
    if args.command == "export":
        from bot.export_cli import export_command

        return asyncio.run(export_command(args, settings))
    if args.command == "rewards":
        from bot.rewards_cli import rewards_command

        return asyncio.run(rewards_command(args, settings))
    if args.command == "audit":
        from bot.audit_cli import audit_command

        return asyncio.run(audit_command(args, settings))
    return 2


if __name__ == "__main__":
    sys.exit(main())
