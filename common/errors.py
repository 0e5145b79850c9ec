"""Errors that handlers raise to answer the member; the dispatcher turns them into replies."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action: the message is shown to the member as is."""


class UsageError(UserError):
    """Wrong arguments: the dispatcher answers with the command's usage line (and the detail, if any)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
