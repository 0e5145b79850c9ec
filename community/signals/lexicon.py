"""The sentiment lexicon: emoji, emoticons, chat sticker codes and a few English and Chinese words.

`emoji_sentiment` scores one reaction emoji; `lexicon_prior` and `word_lexicon_score` are the hand-made priors
the analyzers add to (or, for ``lexicon``, use instead of) the learned model, because the training data
(reviews) holds almost no emoji and few chat words. `clean_text` and `normalise_text` prepare any input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

__all__ = [
    "EN_NEGATORS",
    "EN_WORD_LEXICON",
    "MAX_CHARS",
    "NEGATION_SCOPE",
    "ZH_WORD_LEXICON",
    "clean_text",
    "emoji_sentiment",
    "lexicon_prior",
    "normalise_text",
    "word_lexicon_score",
]

MAX_CHARS = 5000
"""Only the first ``MAX_CHARS`` characters of a message are read (a 100 KB paste costs the same as 5 KB)."""

NEGATION_SCOPE = 3

# fmt: off
_EMOJI_LEXICON: dict[str, float] = {
    # positive
    "👍": 1.0, "🎉": 1.0, "❤": 1.0, "♥": 0.9, "😊": 0.8, "☺": 0.8, "😀": 0.8, "😃": 0.8, "😄": 0.8,
    "😁": 0.8, "😆": 0.7, "😍": 1.0, "🥰": 1.0, "😘": 0.7, "🙂": 0.5, "😉": 0.5, "🤗": 0.7, "👏": 1.0,
    "🙌": 0.9, "🔥": 0.8, "💯": 0.9, "✨": 0.5, "🥳": 1.0, "💪": 0.7, "🌟": 0.7, "⭐": 0.6, "✅": 0.5,
    "👌": 0.7, "🤩": 1.0, "😂": 0.5, "🤣": 0.5, "💖": 0.9, "💕": 0.9, "💗": 0.9, "💓": 0.9, "💞": 0.9,
    "💘": 0.9, "💝": 0.9, "🧡": 0.9, "💛": 0.9, "💚": 0.9, "💙": 0.9, "💜": 0.9, "🤍": 0.8, "🙏": 0.6,
    "😎": 0.6, "🏆": 0.8, "🎊": 0.9, "🤝": 0.6, "🥇": 0.8, "😻": 0.8, "💐": 0.6, "🌹": 0.5, "😇": 0.6,
    "🆒": 0.5, "🎈": 0.5, "😋": 0.7, "🤤": 0.3, "🫶": 0.9, "🥂": 0.6, "🍾": 0.6, "😺": 0.5, "😸": 0.6,
    # negative
    "😡": -1.0, "👎": -1.0, "😠": -1.0, "🤬": -1.0, "😢": -0.8, "😭": -0.8, "😞": -0.8, "😔": -0.6,
    "😟": -0.6, "😕": -0.5, "🙁": -0.6, "☹": -0.7, "😤": -0.6, "😒": -0.6, "💩": -0.9, "💔": -0.9,
    "😩": -0.7, "😫": -0.7, "😖": -0.7, "😣": -0.6, "😰": -0.6, "😱": -0.5, "🤮": -0.9, "🤢": -0.8,
    "😑": -0.3, "🙄": -0.5, "😓": -0.5, "😿": -0.7, "👿": -0.9, "😾": -0.7, "❌": -0.5, "🤦": -0.6,
    "😬": -0.3, "🖕": -1.0, "😪": -0.4, "😥": -0.5, "😧": -0.4, "😨": -0.5, "😦": -0.4, "🥵": -0.3,
    "😵": -0.4, "🤯": -0.3, "🥶": -0.2, "😮‍💨": -0.4,
}

_EMOTICON_LEXICON: dict[str, float] = {
    ":)": 0.7, ":-)": 0.7, ":]": 0.6, "=)": 0.6, ":d": 0.9, ":-d": 0.9, "xd": 0.7, ";)": 0.5, ";-)": 0.5,
    ":p": 0.4, ":-p": 0.4, "<3": 0.9, "^_^": 0.7, "^^": 0.6, "(:": 0.6, ":')": 0.5, "=d": 0.8,
    ":(": -0.7, ":-(": -0.7, ":'(": -0.8, ":[": -0.6, "=(": -0.6, "</3": -0.8, ">:(": -1.0, "d:": -0.6,
    "t_t": -0.7, ";(": -0.6, ":/": -0.4, ":-/": -0.4, "-_-": -0.4, ":|": -0.2, "):": -0.6,
}

# WeChat / Weibo / QQ inline sticker codes, typed as text.
_STICKER_CODE_LEXICON: dict[str, float] = {
    "[赞]": 1.0, "[强]": 1.0, "[哈哈]": 0.7, "[爱心]": 0.9, "[心]": 0.9, "[鼓掌]": 0.9, "[玫瑰]": 0.6,
    "[偷笑]": 0.5, "[可爱]": 0.7, "[耶]": 0.7, "[ok]": 0.5, "[抱拳]": 0.5, "[庆祝]": 0.9, "[太开心]": 0.9,
    "[愉快]": 0.7, "[憨笑]": 0.5, "[呲牙]": 0.6, "[微笑]": 0.3, "[好的]": 0.4, "[加油]": 0.7, "[红包]": 0.4,
    "[怒]": -1.0, "[发怒]": -1.0, "[弱]": -0.8, "[流泪]": -0.7, "[大哭]": -0.8, "[衰]": -0.6,
    "[抓狂]": -0.8, "[鄙视]": -0.8, "[吐]": -0.8, "[心碎]": -0.9, "[难过]": -0.7, "[生气]": -0.9,
    "[泪]": -0.7, "[伤心]": -0.8, "[委屈]": -0.6, "[尴尬]": -0.3, "[白眼]": -0.5, "[无语]": -0.4,
}

EN_WORD_LEXICON: dict[str, float] = {
    "good": 0.6, "great": 0.8, "awesome": 0.9, "excellent": 0.9, "amazing": 0.9, "love": 0.8,
    "loved": 0.8, "thanks": 0.6, "thank": 0.6, "thx": 0.5, "nice": 0.6, "cool": 0.5, "helpful": 0.7,
    "best": 0.8, "wonderful": 0.9, "happy": 0.7, "glad": 0.6, "fantastic": 0.9, "perfect": 0.8,
    "brilliant": 0.8, "enjoy": 0.6, "enjoyed": 0.7, "fun": 0.6, "recommend": 0.6, "useful": 0.6,
    "congrats": 0.8, "congratulations": 0.8, "beautiful": 0.7, "favorite": 0.7, "superb": 0.9,
    "bad": -0.7, "terrible": -0.9, "awful": -0.9, "horrible": -0.9, "hate": -0.8, "worst": -0.9,
    "boring": -0.7, "poor": -0.6, "useless": -0.8, "disappointing": -0.8, "disappointed": -0.8,
    "annoying": -0.7, "sucks": -0.8, "wrong": -0.4, "broken": -0.6, "confusing": -0.6, "waste": -0.7,
    "sad": -0.6, "angry": -0.8, "slow": -0.4, "fail": -0.6, "failed": -0.6, "ugly": -0.7,
    "stupid": -0.8, "mediocre": -0.6, "dull": -0.6, "mess": -0.5, "lame": -0.6, "worse": -0.7,
}

ZH_WORD_LEXICON: dict[str, float] = {
    "喜欢": 0.8, "不错": 0.7, "很好": 0.7, "太好": 0.8, "好吃": 0.8, "满意": 0.7, "推荐": 0.6, "谢谢": 0.6,
    "感谢": 0.7, "棒": 0.8, "赞": 0.8, "优秀": 0.8, "厉害": 0.6, "开心": 0.8, "高兴": 0.7, "方便": 0.5,
    "干净": 0.5, "舒服": 0.6, "实惠": 0.5, "完美": 0.9, "精彩": 0.8, "有用": 0.6, "好评": 0.8, "给力": 0.8,
    "好用": 0.7, "热情": 0.6, "快": 0.3, "新鲜": 0.6, "值得": 0.6, "好看": 0.7, "清楚": 0.4, "准时": 0.5,
    "差": -0.7, "糟糕": -0.9, "垃圾": -0.9, "讨厌": -0.8, "失望": -0.8, "难吃": -0.9, "太慢": -0.7,
    "慢": -0.4, "生气": -0.8, "恶心": -0.9, "无聊": -0.7, "后悔": -0.8, "差评": -0.9, "退款": -0.5,
    "投诉": -0.7, "烂": -0.8, "难过": -0.7, "不好": -0.7, "郁闷": -0.7, "麻烦": -0.4, "贵": -0.3,
    "冷了": -0.5, "凉了": -0.5, "坑": -0.5, "脏": -0.7, "吵": -0.5, "难用": -0.8, "不行": -0.6,
    "烦": -0.6, "没意思": -0.6, "无语": -0.5, "有意思": 0.6, "学到": 0.6, "收获": 0.6, "加油": 0.5,
    "辛苦了": 0.4, "难懂": -0.6, "听不懂": -0.6, "浪费": -0.7, "可惜": -0.4, "遗憾": -0.5, "担心": -0.3,
}

# fmt: on

_ZH_NEGATORS = frozenset("不没无别非未")
EN_NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "n't",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "without",
        "hardly",
        "cannot",
        "isnt",
        "dont",
        "didnt",
        "doesnt",
        "wasnt",
        "cant",
        "wont",
        "aint",
    }
)

_SKIN_AND_SELECTORS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")


def _normalise_emoji(emoji: str) -> str:
    """Drop variation selectors and skin tones so ``❤️`` == ``❤`` and ``👍🏽`` == ``👍``."""
    return _SKIN_AND_SELECTORS.sub("", emoji).strip()


def emoji_sentiment(emoji: str) -> float:
    """Sentiment of a reaction emoji in [-1, 1]: 👍 🎉 ❤️ 🔥 👏 positive, 👎 😡 💩 negative, others 0.

    Also accepts emoticons (``:)``) and sticker codes (``[赞]``); a multi-emoji string gets the mean of its
    known parts.
    """
    key = _normalise_emoji(emoji)
    if not key:
        return 0.0
    for table in (_EMOJI_LEXICON, _EMOTICON_LEXICON, _STICKER_CODE_LEXICON):
        value = table.get(key, table.get(key.lower()))
        if value is not None:
            return value
    values = [v for _, v in _lexicon_tokens(key)]
    return float(sum(values) / len(values)) if values else 0.0


_EMOJI_CHARS = (
    "\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff\u2300-\u23ff\U0001f000-\U0001faff\u00a9\u00ae\u3030\u303d"
)
_EMOTICON_ALTS = sorted(_EMOTICON_LEXICON, key=len, reverse=True)
_STICKER_ALTS = sorted(_STICKER_CODE_LEXICON, key=len, reverse=True)

# Emoticons must be bounded by whitespace/edges so "d:" in "word:" or ":p" in "http://p" do not fire.
_LEX_RE = re.compile(
    "(?P<sticker>" + "|".join(re.escape(s) for s in _STICKER_ALTS) + ")"
    "|(?<![\\w:;=<>^)(])(?P<emoticon>" + "|".join(re.escape(e) for e in _EMOTICON_ALTS) + ")(?![\\w:;=<>^)(])"
    "|(?P<emoji>[" + _EMOJI_CHARS + "](?:[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]|\u200d[" + _EMOJI_CHARS + "])*)",
    re.IGNORECASE,
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def clean_text(text: object) -> str:
    """Coerce any input to a bounded ``str`` (bytes are decoded leniently, None is empty)."""
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray | memoryview):
        out = bytes(text).decode("utf-8", errors="replace")
    elif isinstance(text, str):
        out = text
    else:
        out = str(text)
    return out[:MAX_CHARS]


def _lexicon_tokens(text: str) -> Iterator[tuple[str, float]]:
    """Yield (token, value) for every emoji, emoticon and sticker code in ``text``."""
    for match in _LEX_RE.finditer(text):
        kind = match.lastgroup
        token = match.group(kind or 0)
        if kind == "sticker":
            yield token, _STICKER_CODE_LEXICON[token.lower()]
        elif kind == "emoticon":
            yield token, _EMOTICON_LEXICON[token.lower()]
        else:
            value = _EMOJI_LEXICON.get(_normalise_emoji(token))
            if value is None:  # ZWJ sequences such as ❤️‍🔥: take the first known part
                parts = [_EMOJI_LEXICON.get(p) for p in _normalise_emoji(token).split("\u200d")]
                value = next((p for p in parts if p is not None), 0.0)
            yield token, value


def lexicon_prior(text: str) -> float:
    """Summed lexicon value of emoji, emoticons and sticker codes in ``text`` (unbounded)."""
    return float(sum(value for _, value in _lexicon_tokens(text)))


def normalise_text(text: str) -> str:
    """NFKC (full-width to ASCII), lower-case, unify apostrophes, and remove lexicon tokens."""
    text = _LEX_RE.sub(" ", text)
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()


_ZH_WORD_RE = re.compile("|".join(sorted(map(re.escape, ZH_WORD_LEXICON), key=len, reverse=True)))
_EN_WORD_RE = re.compile(r"[a-z]+(?=n't)|n't|[a-z']+")


def word_lexicon_score(text: str) -> float:
    """Summed value of lexicon words (English with 3-word negation scope, Chinese with 不/没 before a word)."""
    plain = normalise_text(clean_text(text))
    total = 0.0
    negate = 0
    for word in _EN_WORD_RE.findall(plain):
        value = EN_WORD_LEXICON.get(word, 0.0)
        total += -value if negate else value
        negate = NEGATION_SCOPE if word in EN_NEGATORS else max(0, negate - 1)
    for match in _ZH_WORD_RE.finditer(plain):
        value = ZH_WORD_LEXICON[match.group()]
        before = plain[max(0, match.start() - 2) : match.start()]
        negated = not match.group().startswith("不") and any(c in _ZH_NEGATORS for c in before)
        total += -value if negated else value
    return total
