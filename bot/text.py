"""Rich text without markup injection.

Replies are built from segments (plain, bold, italic, code, link) rather than from markup strings, so text that came
from a chat can never turn into formatting: each adapter renders the segments for its own parse mode and escapes
every segment's text. `sanitize` and `clip` bound and clean untrusted text before it is stored or echoed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from common.text import MAX_ECHO, MAX_STORED_TEXT, clip, sanitize  # noqa: F401  (re-exported for bot/)

Style = Literal["plain", "bold", "italic", "code", "link"]


@dataclass(frozen=True)
class Segment:
    text: str
    style: Style = "plain"
    url: str | None = None


class RichText:
    """An immutable sequence of styled segments. Build with `T(...)`, `bold(...)`, and `+`."""

    __slots__ = ("segments",)

    def __init__(self, segments: Iterable[Segment] = ()) -> None:
        self.segments: tuple[Segment, ...] = tuple(s for s in segments if s.text)

    @classmethod
    def plain(cls, text: str) -> RichText:
        return cls([Segment(text)])

    def __add__(self, other: RichText | str) -> RichText:
        return RichText(self.segments + _as_rich(other).segments)

    def __radd__(self, other: str) -> RichText:
        return RichText(_as_rich(other).segments + self.segments)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RichText) and self.segments == other.segments

    def __hash__(self) -> int:
        return hash(self.segments)

    def __len__(self) -> int:
        return sum(len(s.text) for s in self.segments)

    def __repr__(self) -> str:
        return f"RichText({self.to_plain()!r})"

    def to_plain(self) -> str:
        """Plain text (console, logs, tests): bold as *x*, code as `x`, links as 'label (url)'."""
        out = []
        for s in self.segments:
            if s.style == "bold":
                out.append(f"*{s.text}*")
            elif s.style == "code":
                out.append(f"`{s.text}`")
            elif s.style == "link" and s.url and s.url != s.text:
                out.append(f"{s.text} ({s.url})")
            else:
                out.append(s.text)
        return "".join(out)

    def to_html(self) -> str:
        """Telegram HTML parse mode: every segment escaped."""
        out = []
        for s in self.segments:
            t = html.escape(s.text, quote=False)
            if s.style == "bold":
                out.append(f"<b>{t}</b>")
            elif s.style == "italic":
                out.append(f"<i>{t}</i>")
            elif s.style == "code":
                out.append(f"<code>{t}</code>")
            elif s.style == "link" and s.url and _safe_url(s.url):
                out.append(f'<a href="{html.escape(s.url, quote=True)}">{t}</a>')
            else:
                out.append(t)
        return "".join(out)

    def to_markdown(self) -> str:
        """Discord markdown: every segment's text escaped, mentions neutralised."""
        out = []
        for s in self.segments:
            t = escape_markdown(s.text)
            if s.style == "bold":
                out.append(f"**{t}**")
            elif s.style == "italic":
                out.append(f"*{t}*")
            elif s.style == "code":
                out.append(f"`{s.text.replace('`', 'ˋ')}`")
            elif s.style == "link" and s.url and _safe_url(s.url):
                out.append(f"[{t}](<{s.url}>)")
            else:
                out.append(t)
        return "".join(out)

    def split_lines(self) -> list[RichText]:
        """Split into lines at newline characters, keeping styles."""
        lines: list[list[Segment]] = [[]]
        for s in self.segments:
            parts = s.text.split("\n")
            for i, part in enumerate(parts):
                if i:
                    lines.append([])
                if part:
                    lines[-1].append(Segment(part, s.style, s.url))
        return [RichText(line) for line in lines]

    @staticmethod
    def join(lines: Iterable[RichText | str], sep: str = "\n") -> RichText:
        segs: list[Segment] = []
        for i, line in enumerate(lines):
            if i:
                segs.append(Segment(sep))
            segs.extend(_as_rich(line).segments)
        return RichText(segs)


_MD_SPECIAL = re.compile(r"([\\*_`~|>#\[\]()\-])")


def escape_markdown(text: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # Neutralise @everyone/@here and raw mentions so echoed text never pings anyone.
    return text.replace("@", "@\u200b").replace("<", "<\u200b")


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _as_rich(x: RichText | str) -> RichText:
    return x if isinstance(x, RichText) else RichText.plain(x)


def T(*parts: RichText | str) -> RichText:
    """Concatenate plain strings and rich parts: T("Rated ", bold(title), " 5")."""
    out = RichText()
    for p in parts:
        out = out + p
    return out


def bold(text: str) -> RichText:
    return RichText([Segment(text, "bold")])


def italic(text: str) -> RichText:
    return RichText([Segment(text, "italic")])


def code(text: str) -> RichText:
    return RichText([Segment(text, "code")])


def link(label: str, url: str) -> RichText:
    return RichText([Segment(label, "link", url)])


def split_for_limit(text: RichText, limit: int, render: str = "plain") -> list[RichText]:
    """Split rich text into parts whose rendered length stays under `limit`, on line boundaries where possible.

    Segments render independently, so a part's rendered size is the sum of its lines' sizes plus the newlines.
    A single line longer than the limit is cut inside the line (on a space where one is near).
    """
    renderers = {"plain": RichText.to_plain, "html": RichText.to_html, "markdown": RichText.to_markdown}
    render_fn = renderers[render]

    def size(t: RichText) -> int:
        return len(render_fn(t))

    parts: list[RichText] = []
    current: list[RichText] = []
    current_size = 0
    for line in text.split_lines():
        line_size = size(line)
        extra = line_size + (1 if current else 0)
        if current and current_size + extra <= limit:
            current.append(line)
            current_size += extra
            continue
        if current:
            parts.append(RichText.join(current))
            current, current_size = [], 0
        if line_size <= limit:
            current, current_size = [line], line_size
        else:
            parts.extend(_cut_long_line(line, limit, size))
    if current:
        parts.append(RichText.join(current))
    return parts or [RichText()]


def _cut_long_line(line: RichText, limit: int, size: Callable[[RichText], int]) -> list[RichText]:
    pieces: list[RichText] = []
    segs: list[Segment] = []
    for seg in line.segments:
        text = seg.text
        while text:
            room = limit - size(RichText(segs)) - 16  # leave room for the segment's markup
            if room <= 0:
                pieces.append(RichText(segs))
                segs = []
                continue
            # Escaping can grow the text; shrink until the rendered piece fits.
            take = min(len(text), room)
            while take > 1 and size(RichText([*segs, Segment(text[:take], seg.style, seg.url)])) > limit:
                take = max(1, int(take * 0.8))
            if take < len(text):
                space = text.rfind(" ", max(1, take - 80), take)
                if space > 0:
                    take = space + 1
            segs.append(Segment(text[:take], seg.style, seg.url))
            text = text[take:]
            if text:
                pieces.append(RichText(segs))
                segs = []
    if segs:
        pieces.append(RichText(segs))
    return pieces
