"""Sentiment: builtin model, lexicon, emoji, bad input, batch worker and the CLI (no data set needed)."""

from __future__ import annotations

import argparse
import asyncio
import io
from collections.abc import Sequence

import pytest

from community.signals.cli import add_arguments, run
from community.signals.sentiment import (
    SentimentAnalyzer,
    SentimentResult,
    available_analyzers,
    emoji_sentiment,
    get_analyzer,
)
from community.signals.worker import SentimentWorker

BAD_INPUTS = [
    "",
    "   \t  ",
    "\n",
    "👍👍🎉",
    "🐱🦄",
    "great " * 20_000,  # ~120 KB
    "x" * 100_000,
    "这门课 really 很好 but the 作业 is 太多了 :)",
    "Привет, это مرحبا 🙂 こんにちは",
    "\x00\x01\x02\xff\xfe binary \ufffd\ufffd",
    bytes(range(256)).decode("latin-1"),
    "\ud800 lone surrogate \udfff",
    "🏳️‍🌈👨‍👩‍👧‍👦❤️‍🔥",
    ":-) :( <3 [赞] [怒]",
]


@pytest.fixture(scope="module")
def builtin() -> SentimentAnalyzer:
    return get_analyzer("builtin")


def score(analyzer: SentimentAnalyzer, text: str) -> float:
    return analyzer.score_batch([text])[0].score


@pytest.mark.parametrize(
    ("pos", "neg"),
    [
        (
            "This course is great, I learned a lot. Thanks!",
            "This course is terrible, a complete waste of time.",
        ),
        (
            "The mentor was very helpful and the examples were clear.",
            "The examples were confusing and boring.",
        ),
        ("I love this group", "I hate this group"),
        ("It works well", "It doesn't work at all"),
    ],
)
def test_english_ordering(builtin: SentimentAnalyzer, pos: str, neg: str) -> None:
    p, n = score(builtin, pos), score(builtin, neg)
    assert p > 0.2 > -0.2 > n


@pytest.mark.parametrize(
    ("pos", "neg"),
    [
        ("这门课讲得很好，老师很耐心，推荐！", "这门课太差了，浪费时间，很失望。"),
        ("服务很好，非常满意", "服务很差，非常不满意"),
        ("我喜欢这个群", "我讨厌这个群"),
        ("送餐很快，味道不错", "送餐太慢了，菜都凉了"),
    ],
)
def test_chinese_ordering(builtin: SentimentAnalyzer, pos: str, neg: str) -> None:
    p, n = score(builtin, pos), score(builtin, neg)
    assert p > 0.2 > -0.2 > n


def test_mixed_english_chinese(builtin: SentimentAnalyzer) -> None:
    assert score(builtin, "老师讲得很好，very helpful 👍") > 0.5
    assert score(builtin, "作业太难了 and the lectures are boring 😡") < -0.5


def test_negation_lowers_score(builtin: SentimentAnalyzer) -> None:
    assert score(builtin, "the lesson was not good") < score(builtin, "the lesson was good")


@pytest.mark.parametrize("emoji", ["👍", "🎉", "❤️", "😊", ":)", "👍🏽", "[赞]"])
def test_positive_emoji_messages(builtin: SentimentAnalyzer, emoji: str) -> None:
    result = builtin.score_batch([emoji])[0]
    assert result.score > 0.2 and result.label == "positive"


@pytest.mark.parametrize("emoji", ["😡", "👎", "😢", ":(", "[怒]"])
def test_negative_emoji_messages(builtin: SentimentAnalyzer, emoji: str) -> None:
    result = builtin.score_batch([emoji])[0]
    assert result.score < -0.2 and result.label == "negative"


@pytest.mark.parametrize("text", ["🐱", "🦄🌮", "📎", "", "   ", "..."])
def test_stickers_and_empty_are_neutral(builtin: SentimentAnalyzer, text: str) -> None:
    result = builtin.score_batch([text])[0]
    assert abs(result.score) < 0.05 and result.label == "neutral"


@pytest.mark.parametrize("text", ["I uploaded the slides", "作业在群文件里", "here is my code"])
def test_plain_chat_is_neutral(builtin: SentimentAnalyzer, text: str) -> None:
    assert builtin.score_batch([text])[0].label == "neutral"


def test_emoji_sentiment_for_reactions() -> None:
    for e in ["👍", "🎉", "❤️", "❤", "🔥", "👏", "👍🏿"]:
        assert emoji_sentiment(e) > 0.5, e
    for e in ["👎", "😡", "💩"]:
        assert emoji_sentiment(e) < -0.5, e
    for e in ["🐱", "📎", "🤔", "", "abc"]:
        assert abs(emoji_sentiment(e)) < 0.1, e


@pytest.mark.parametrize("name", ["builtin", "lexicon"])
def test_bad_inputs_scored_in_range(name: str) -> None:
    analyzer = get_analyzer(name)
    results = analyzer.score_batch(BAD_INPUTS)
    assert len(results) == len(BAD_INPUTS)
    for r in results:
        assert isinstance(r, SentimentResult)
        assert -1.0 <= r.score <= 1.0
        assert r.label in {"positive", "neutral", "negative"}
    assert analyzer.score_batch([]) == []


def test_batch_equals_single(builtin: SentimentAnalyzer) -> None:
    texts = BAD_INPUTS + ["I love it", "糟糕透了", "meh", "great 🎉"]
    batch = builtin.score_batch(texts)
    single = [builtin.score_batch([t])[0] for t in texts]
    assert batch == single
    assert builtin.score_batch(list(reversed(texts))) == list(reversed(batch))


def test_lexicon_analyzer_basics() -> None:
    lex = get_analyzer("lexicon")
    pos, neg, neutral, negated = lex.score_batch(["great, thanks 👍", "太差了，很失望", "ok", "不满意"])
    assert pos.score > 0.5 and neg.score < -0.5 and neutral.score == 0.0 and negated.score < 0


def test_registry() -> None:
    assert {"builtin", "lexicon", "vader", "snownlp"} <= set(available_analyzers())
    assert get_analyzer() is get_analyzer("builtin")
    assert isinstance(get_analyzer(), SentimentAnalyzer)
    with pytest.raises(ValueError):
        get_analyzer("nope")


def test_vader_baseline_if_installed() -> None:
    pytest.importorskip("vaderSentiment")
    vader = get_analyzer("vader")
    good, bad, empty = vader.score_batch(["I love this, it is great", "I hate this, it is awful", ""])
    assert good.score > 0 > bad.score and empty.score == 0.0


# -------------------------------------------------------------------------------------------- worker


class RecordingAnalyzer:
    """Fake analyzer: score = +1 for texts starting with '+', records batch sizes."""

    name = "fake"

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[int] = []
        self.fail_on = fail_on

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        self.batches.append(len(texts))
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("boom")
        return [SentimentResult(1.0 if t.startswith("+") else -1.0, "positive") for t in texts]


async def test_worker_batches_and_drains_on_stop() -> None:
    fake = RecordingAnalyzer()
    got: list[tuple[int, SentimentResult]] = []
    worker: SentimentWorker[int] = SentimentWorker(fake, got.extend, max_batch=256, max_delay=5.0)
    worker.start()
    for i in range(600):
        assert worker.submit(i, "+x" if i % 2 else "-x")
    await worker.stop()
    assert [k for k, _ in got] == list(range(600))
    assert all((r.score > 0) == (k % 2 == 1) for k, r in got)
    assert max(fake.batches) <= 256 and sum(fake.batches) == 600 and len(fake.batches) >= 3
    assert worker.scored == 600 and worker.pending == 0 and not worker.running
    assert not worker.submit(601, "late")  # stopped workers refuse new texts


async def test_worker_flushes_after_max_delay_without_stop() -> None:
    fake = RecordingAnalyzer()
    scored = asyncio.Event()
    got: list[tuple[str, SentimentResult]] = []

    def on_scored(items: list[tuple[str, SentimentResult]]) -> None:
        got.extend(items)
        scored.set()

    worker: SentimentWorker[str] = SentimentWorker(fake, on_scored, max_batch=100, max_delay=0.05)
    worker.start()
    worker.submit("a", "+hello")
    worker.submit("b", "-bye")
    await asyncio.wait_for(scored.wait(), 2.0)
    assert [k for k, _ in got] == ["a", "b"] and fake.batches == [2]
    await worker.stop()


async def test_worker_with_real_analyzer_and_async_callback() -> None:
    got: dict[int, SentimentResult] = {}

    async def on_scored(items: list[tuple[int, SentimentResult]]) -> None:
        await asyncio.sleep(0)
        got.update(items)

    worker: SentimentWorker[int] = SentimentWorker(get_analyzer(), on_scored, max_batch=8, max_delay=0.01)
    worker.start()
    texts = ["I love it 👍", "这个太差了", "", "😡"] * 5
    for i, t in enumerate(texts):
        worker.submit(i, t)
    await worker.stop()
    assert len(got) == 20
    assert got[0].score > 0 > got[1].score and got[2].score == 0.0 and got[3].score < 0


async def test_worker_bounded_queue_drops_instead_of_blocking() -> None:
    worker: SentimentWorker[int] = SentimentWorker(RecordingAnalyzer(), lambda items: None, max_queue=3)
    accepted = [worker.submit(i, "x") for i in range(5)]  # not started: nothing consumes
    assert accepted == [True, True, True, False, False] and worker.dropped == 2
    worker.start()
    await worker.stop()
    assert worker.scored == 3


async def test_worker_survives_failures() -> None:
    fake = RecordingAnalyzer(fail_on="bad")
    got: list[tuple[int, SentimentResult]] = []
    worker: SentimentWorker[int] = SentimentWorker(fake, got.extend, max_batch=1, max_delay=0.0)
    worker.start()
    for i, t in enumerate(["+a", "bad", "+c"]):
        worker.submit(i, t)
    await worker.stop()
    assert [k for k, _ in got] == [0, 2] and worker.failed == 1


# ------------------------------------------------------------------------------------------------ CLI


def run_cli(data: bytes, *argv: str) -> tuple[int, list[str]]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = io.BytesIO()
    rc = run(parser.parse_args(list(argv)), stdin=io.BytesIO(data), stdout=out)
    return rc, out.getvalue().decode("utf-8").split("\n")[:-1]


def test_cli_one_line_out_per_line_in() -> None:
    data = (
        "I love it 👍\n\n这个太差了\r\n   \n😡\n".encode() + b"\xff\xfe\x00raw\n" + b"x" * 100_000 + b"\nlast"
    )
    rc, lines = run_cli(data)
    assert rc == 0 and len(lines) == 8
    fields = [line.split("\t", 2) for line in lines]
    scores = [float(f[0]) for f in fields]
    assert all(-1 <= s <= 1 for s in scores)
    assert scores[0] > 0 > scores[2] and scores[1] == 0.0 and scores[4] < 0
    assert fields[0][2] == "I love it 👍" and fields[2][2] == "这个太差了" and fields[7][2] == "last"
    assert fields[0][0].startswith("+") and fields[1][1] == "neutral"


def test_cli_other_analyzer_and_small_batches() -> None:
    rc, lines = run_cli(b"great\nawful\n\n", "--analyzer", "lexicon", "--batch-size", "2")
    assert rc == 0 and [line.split("\t")[1] for line in lines] == ["positive", "negative", "neutral"]
