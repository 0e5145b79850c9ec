"""The `cohort` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings

log = logging.getLogger("cohort")

FIRST_STEPS = """\
Cohort demo — you are "me", the owner of a local group with a sample catalogue and community.
Type a line to send it as a message; "name: text" speaks as someone else. Try:
  /help                 what the bot can do
  /courses python       search the catalogue
  /course 3             details and this group's rating
  /rate 3 5             rate a course
  /recommend            picks for you: popular ones until you rate a few courses
  alice: /recommend     personal picks for alice, who rated data courses, with the reasons
  /buddy join python    find a study partner;  /buddy round  pairs everyone (you are the owner)
  /event add Study hall | tomorrow 8pm      schedule a live session
  /stats                a chart of the group's activity
Buttons appear as [1] [2]: type the number to press one. Ctrl-D (end of input) quits.
"""


def _settings(args: argparse.Namespace) -> Settings:
    db_url = getattr(args, "db", None)
    if db_url and "://" not in db_url:
        db_url = f"sqlite:///{Path(db_url).resolve()}"
    return Settings.from_env(database_url=db_url)


def _setup_logging(settings: Settings, quiet: bool) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


# ---- commands -------------------------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> int:
    from storage import db

    settings = _settings(args)
    engine = db.make_engine(settings.database_url)
    if args.action == "upgrade":
        db.upgrade(engine)
        print(f"Database is at revision {db.current_revision(engine)}.")
    else:
        print(db.current_revision(engine) or "empty (run: cohort db upgrade)")
    return 0


def cmd_courses_import(args: argparse.Namespace) -> int:
    from community.courses.catalog import CatalogError, read_catalog
    from storage import db
    from storage.crud import courses as crud

    settings = _settings(args)
    try:
        courses = read_catalog(Path(args.file))
    except CatalogError as e:
        print(f"Not imported: {e}. Nothing was changed.", file=sys.stderr)
        return 2
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    with db.session_scope(engine) as s:
        added, updated = crud.upsert_courses(s, courses=courses)
    print(f"Imported {added} new course(s), updated {updated}.")
    return 0


def _seed_if_empty(app: object, chat_id: str) -> bool:
    from bot.app import CohortApp
    from community.demo import seed_if_empty

    assert isinstance(app, CohortApp)
    return seed_if_empty(app.engine, platform="console", chat_id=chat_id, now=app.clock.now())


async def _chat(args: argparse.Namespace, *, seed: bool, banner: str | None, train: bool = False) -> int:
    from adapters.console import ConsoleAdapter
    from bot.app import CohortApp

    settings = _settings(args)
    app = CohortApp(settings)
    if seed and _seed_if_empty(app, args.group):
        print("Created the store with the sample catalogue and community.", file=sys.stderr)
        if train:
            print("Training the course recommender on the sample community...", file=sys.stderr, flush=True)
            outcome = app.services.recommender.train()
            print(outcome.message, file=sys.stderr)
    console = ConsoleAdapter(app, group=args.group, user=args.user, owner=args.owner or args.user)
    console.setup()
    app.add_adapter(console)
    if banner:
        print(banner)
    await app.start()
    try:
        return await console.run(linger=args.linger)
    finally:
        await app.stop()


def _quiet_progress() -> None:
    """No download/loading progress bars between chat replies."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def cmd_chat(args: argparse.Namespace) -> int:
    _quiet_progress()
    _setup_logging(_settings(args), quiet=True)
    return asyncio.run(_chat(args, seed=args.seed, banner=None))


def cmd_demo(args: argparse.Namespace) -> int:
    _quiet_progress()
    _setup_logging(_settings(args), quiet=True)
    return asyncio.run(_chat(args, seed=True, banner=FIRST_STEPS, train=True))


def _lazy(module: str, attr: str = "run") -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), attr)(args))

    return run


# ---- parser ---------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cohort", description="Cohort: a study companion bot for learning communities."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument(
            "--db", help="database URL or SQLite file path (default: $DATABASE_URL or var/cohort.db)"
        )
        return sp

    def chat_args(sp: argparse.ArgumentParser) -> None:
        with_db(sp)
        sp.add_argument("--user", default="me", help="default member for bare lines (default: me)")
        sp.add_argument("--owner", help="owner of the local group (default: the default member)")
        sp.add_argument("--group", default="local", help="local group id (default: local)")
        sp.add_argument(
            "--linger",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="keep running this long after end of input, to see scheduled pushes",
        )

    sp = sub.add_parser("demo", help="set up the store with sample data if empty, then chat in the console")
    chat_args(sp)
    sp.set_defaults(fn=cmd_demo)

    sp = sub.add_parser("chat", help="chat with the bot in the terminal (stdin lines are messages)")
    chat_args(sp)
    sp.add_argument("--seed", action="store_true", help="load the sample catalogue and community if empty")
    sp.set_defaults(fn=cmd_chat)

    sp = with_db(sub.add_parser("db", help="database schema"))
    sp.add_argument("action", choices=["upgrade", "current"])
    sp.set_defaults(fn=cmd_db)

    sp = sub.add_parser("courses", help="course catalogue")
    csub = sp.add_subparsers(dest="action", required=True)
    ip = with_db(csub.add_parser("import", help="import a CSV or JSON catalogue (all rows or none)"))
    ip.add_argument("file")
    ip.set_defaults(fn=cmd_courses_import)

    for name, module, help_text in EXTENSIONS:
        try:
            import importlib

            mod = importlib.import_module(module)
        except ImportError:
            continue
        sp = sub.add_parser(name, help=help_text)
        if getattr(mod, "WITH_DB", False):
            with_db(sp)
        mod.add_arguments(sp)
        sp.set_defaults(fn=_lazy(module))
    return p


# Subcommands that live beside their feature: (name, module with add_arguments/run, help).
EXTENSIONS: list[tuple[str, str, str]] = [
    ("run", "cohort.run", "run the bot on Telegram and/or Discord (tokens from the environment)"),
    ("train", "cohort.train", "train the course recommender from the store"),
    ("recommend-batch", "recommender.batch", "fit the recommender on CSV files and write top-k picks"),
    ("sentiment", "community.signals.cli", "score text from stdin, one line each"),
]


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
