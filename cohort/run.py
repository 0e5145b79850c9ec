"""`cohort run`: the bot on Telegram and/or Discord in one process, with the scheduler and the store.

Adapters start for every token in the environment (TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN); with none the
command refuses to start. SIGINT and SIGTERM stop the adapters, then the app, and the process exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from bot.config import Settings

log = logging.getLogger("cohort.run")

WITH_DB = True

NO_TOKEN = (
    "cohort run: no bot token configured. Set TELEGRAM_BOT_TOKEN (from @BotFather) and/or DISCORD_BOT_TOKEN "
    "(Discord developer portal) in the environment, then run again. See docs/TELEGRAM.md."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="log warnings and errors only")


class RedactSecrets(logging.Filter):
    """Replace bot tokens in log lines (PTB logs its API URL, which contains the token, at DEBUG)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            # Error texts can quote the request URL: format the traceback now, redacted.
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        return True

    def _redact(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "<token>")
        return text


def _settings(args: argparse.Namespace) -> Settings:
    from cohort.cli import _settings as cli_settings

    return cli_settings(args)


def build_adapters(app: Any, settings: Settings) -> list[Any]:
    """One adapter per configured token (imported lazily: a missing platform library only matters if used)."""
    adapters: list[Any] = []
    if settings.telegram_token:
        from adapters.telegram.adapter import TelegramAdapter

        adapters.append(TelegramAdapter(app, settings))
    if settings.discord_token:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(app, settings))
    return adapters


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Start everything, wait for SIGINT/SIGTERM (or `stop`), then shut down in reverse order."""
    from bot.app import CohortApp

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix, or not the main thread
            loop.add_signal_handler(sig, stop.set)
    app = CohortApp(settings)
    try:
        adapters = build_adapters(app, settings)
    except ImportError as e:
        print(f"cohort run: a platform adapter is not available: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # a setting the adapter cannot work with
        print(f"cohort run: {e}", file=sys.stderr)
        return 2
    for adapter in adapters:
        app.add_adapter(adapter)
    await app.start()
    started: list[Any] = []
    code = 0
    try:
        for adapter in adapters:
            try:
                await adapter.start()
            except Exception as e:
                print(f"cohort run: could not start the {adapter.platform} adapter: {e}", file=sys.stderr)
                log.debug("adapter start failed", exc_info=True)
                code = 1
                break
            started.append(adapter)
            log.info("%s adapter running", adapter.platform)
        if code == 0:
            print(
                f"Cohort is running on {', '.join(a.platform for a in started)}. Ctrl-C stops it.",
                file=sys.stderr,
                flush=True,
            )
            await stop.wait()
    finally:
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping the %s adapter failed", adapter.platform)
        await app.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return code


def run(args: argparse.Namespace) -> int:
    from cohort.cli import _setup_logging

    settings = _settings(args)
    if not (settings.telegram_token or settings.discord_token):
        print(NO_TOKEN, file=sys.stderr)
        return 2
    _setup_logging(settings, quiet=bool(getattr(args, "quiet", False)))
    # httpx logs every request URL at INFO, and Telegram's URLs contain the bot token: keep it out of the logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact = RedactSecrets([t for t in (settings.telegram_token, settings.discord_token) if t])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    return asyncio.run(serve(settings))
