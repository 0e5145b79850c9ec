"""``cohort sentiment``: score stdin, one text per line, one ``score<TAB>label<TAB>text`` line out per line in.

Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), bytes that are not UTF-8 are replaced, and
empty lines still get an output line, so output line *i* always belongs to input line *i*.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import BinaryIO

from community.signals.sentiment import available_analyzers, get_analyzer

__all__ = ["add_arguments", "run"]

BATCH = 256


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``cohort sentiment`` options to ``parser``."""
    parser.add_argument(
        "--analyzer",
        default="builtin",
        choices=available_analyzers(),
        help="which analyzer scores the text (default: builtin)",
    )
    parser.add_argument("--batch-size", type=int, default=BATCH, help="texts scored per batch (default: 256)")


def _lines(stream: BinaryIO) -> Iterator[str]:
    """Decoded input lines without their line ending."""
    for raw in stream:
        line = raw.decode("utf-8", errors="replace")
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        yield line


def _flush(analyzer_name: str, batch: list[str], out: BinaryIO) -> None:
    results = get_analyzer(analyzer_name).score_batch(batch)
    text = "".join(f"{r.score:+.3f}\t{r.label}\t{t}\n" for r, t in zip(results, batch, strict=True))
    out.write(text.encode("utf-8", errors="replace"))
    out.flush()


def run(args: argparse.Namespace, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Score every stdin line and print ``"{score:+.3f}\\t{label}\\t{text}"``; returns the exit status."""
    source = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    name = getattr(args, "analyzer", "builtin")
    size = max(1, int(getattr(args, "batch_size", BATCH)))
    try:
        get_analyzer(name)
    except (ValueError, ImportError) as exc:
        print(f"cohort sentiment: {exc}", file=sys.stderr)
        return 2
    batch: list[str] = []
    for line in _lines(source):
        batch.append(line)
        if len(batch) >= size:
            _flush(name, batch, out)
            batch = []
    if batch:
        _flush(name, batch, out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m community.signals.cli``)."""
    parser = argparse.ArgumentParser(prog="cohort sentiment", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
