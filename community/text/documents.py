"""What the search indexes: a document with a title, tags and a description (a course today, a shared resource
later), and the one text of it that the sentence encoders read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """One searchable item. `id` is the caller's key (a course's external id or row id, as text)."""

    id: str
    title: str
    tags: tuple[str, ...] = ()
    description: str = ""
    language: str = ""


def passage_text(doc: Document) -> str:
    """The text an encoder embeds for a document: title, tags, description (what a member would read)."""
    parts = [doc.title.strip()]
    if doc.tags:
        parts.append(", ".join(t.strip() for t in doc.tags if t.strip()))
    if doc.description.strip():
        parts.append(doc.description.strip())
    return ". ".join(p for p in parts if p)
