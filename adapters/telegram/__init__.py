"""Telegram adapter (python-telegram-bot): `translate` turns updates into neutral events, `adapter` wires PTB."""

import os

# Opt in to PTB 22's timedelta time periods (RetryAfter.retry_after, ...): without it PTB warns on every 429,
# and the int form goes away in its next major version. Our code reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")
