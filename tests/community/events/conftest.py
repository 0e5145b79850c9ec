"""The events fixtures (an owner in the test group, adding an event through the chat), shared with tests/bot/events."""

from tests.bot.events.conftest import AddEvent, add_event, make_owner, owner

__all__ = ["AddEvent", "add_event", "make_owner", "owner"]
