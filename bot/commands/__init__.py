"""Command modules: thin handlers, one module per feature. Each defines `register(dispatcher, services)`."""

from __future__ import annotations

from bot.commands import buddies, core, courses, events, link, privacy, recommend, settings, signals
from bot.dispatcher import Dispatcher
from bot.services import Services

MODULES = (core, courses, recommend, signals, buddies, events, privacy, link, settings)


def register_all(dispatcher: Dispatcher, services: Services) -> None:
    for module in MODULES:
        module.register(dispatcher, services)
