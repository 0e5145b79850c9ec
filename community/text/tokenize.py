"""Terms for lexical search: lowercase English words (stop words out, a light stemmer) and Chinese words
(jieba, search mode), from one text that may mix both."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from typing import Any

# CJK ideographs (and the Japanese kana, so that ひらがな is not read as a Latin word).
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# An English-ish word: letters and digits, keeping the '+', '#' of c++ / c# and inner dots of node.js.
_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*(?:\.[a-z0-9]+)*")
# Markup members paste or type (`<b>x</b>`): the tag names are not search terms.
_MARKUP = re.compile(r"</?[a-z][a-z0-9]{0,10}(?:\s[^<>]{0,80})?/?>")
_SINGLE_LETTER_WORDS = frozenset({"c", "r"})  # programming languages; other single letters are noise
MAX_TEXT_CHARS = 20_000  # a description or message beyond this adds nothing to a search but costs time


def _words(text: str) -> list[str]:
    return text.split()


# Function words, and the words of asking for a course ("learn", "course", "recommend", "beginner" is kept:
# it names a level). "learn" is out because "learn chinese" must not match "machine learning".
EN_STOP_WORDS = frozenset(
    _words(
        "a about above after again against all also am an and any are as at be because been before being below "
        "between both but by can could did do does doing down during each few for from further had has have having he "
        "her here hers him his how i if in into is it its itself just me more most my myself no nor not now of off on "
        "once only or other our ours out over own same she should so some such than that the their theirs them then "
        "there these they this those through to too under until up very was we were what when where which while who "
        "whom why will with would you your yours yourself anyone anybody someone something anything thing things get "
        "got want wants wanted need needs needed like looking look please help thanks thank know let lets make good "
        "great best better nice really much many learn learns learned learnt course courses class classes lesson "
        "lessons tutorial tutorials recommend recommendation recommendations suggest suggestion suggestions find "
        "start started starting way ways im ive id dont doesnt cant wanna gonna ok okay hi hello hey"
    )
)
ZH_STOP_WORDS = frozenset(
    _words(
        "的 了 和 与 及 或 是 在 我 你 他 她 它 我们 你们 他们 想 想要 要 有 有没有 没有 什么 怎么 怎样 如何 哪 哪些 哪个 哪里 吗 呢 吧 啊 呀 哦 嘛 好 好的 一 一下 一些 一个 这 那 "
        "这个 那个 这些 那些 个 也 都 就 还 请问 请 推荐 可以 能 能够 会 课 课程 学 学习 学会 关于 适合 方面 相关 东西 做 用 把 被 给 对 从 到 很 非常 更 最 而 但 但是 如果 因为 所以 "
        "并 等 中 上 下 里 后 前 时 来 去 让 教程 谁 知道 觉得 需要 应该 帮 帮忙 大家 自己 现在 开始 感兴趣 很感兴趣 感兴 兴趣 打算 比较 特别 方法 技巧 资料"
    )
)
# A Chinese word made only of these characters is a function word ("我想学", "还有", "有没有"): left out too.
ZH_STOP_CHARS = frozenset(
    "我你他她它们想要学的了吗呢吧啊呀哦嘛有没还在是和与及或也都就很请这那个些一么什怎样哪谁能会可以"
)
# Words that must not be stemmed: topics whose stem would collide with another word ("learning" -> "learn").
_KEEP = frozenset(
    {
        "learning",
        "engineering",
        "marketing",
        "news",
        "physics",
        "analytics",
        "mathematics",
        "statistics",
        "economics",
        "series",
        "business",
        "access",
        "pandas",
        "kubernetes",
        "devops",
        "css",
        "aws",
        "ios",
        "windows",
        "something",
        "string",
    }
)
# Words jieba's dictionary lacks or splits badly, so that a topic stays one term (search mode also emits its parts).
ZH_DOMAIN_WORDS = _words(
    "机器学习 深度学习 强化学习 数据分析 数据科学 数据可视化 数据清洗 数据库 用户体验 用户调研 交互设计 可用性 原型设计 新媒体 短视频 公众号 社群运营 项目管理 产品经理 产品管理 敏捷开发 透视表 可视化 "
    "五十音 平假名 片假名 自然语言处理 推荐系统 线性代数 概率论 微积分 前端 后端 编程 零基础 口语 雅思 托福 商务英语 公开演讲 时间管理 个人理财 财务会计 神经网络 特征工程 交叉验证 数据工程 统计学 "
    "假设检验 容器 云原生 版本控制 命令行 爬虫 小程序 剪辑 摄影 插画 排版 字体 动效"
)

_jieba_lock = threading.Lock()
_jieba: Any = None


def _segmenter() -> Any:
    """A private jieba tokenizer with the domain words (the global one is left as other code may set it up)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                seg = jieba.Tokenizer()
                seg.initialize()
                for w in ZH_DOMAIN_WORDS:
                    seg.add_word(w, freq=200_000)
                _jieba = seg
    return _jieba


def stem(word: str) -> str:
    """A light English stemmer (plurals, -ing, -ed, final e), conservative so distinct topics stay apart:
    tests/testing -> test, writing/write -> writ, libraries -> library; "learning", "analytics" are kept."""
    if word in _KEEP or len(word) <= 3 or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "shes", "ches", "xes", "zzes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "ics", "ys", "as", "os")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            base = w[: -len(suffix)]
            if not any(v in base for v in "aeiouy"):
                break
            if len(base) >= 5 and base[-1] == base[-2] and base[-1] in "bdgmnprt":
                base = base[:-1]  # programming -> program, embedded -> embed
            w = base
            break
    if w.endswith("e") and len(w) >= 5 and not w.endswith(("ee", "ue")):
        w = w[:-1]  # write / writing, database / databases
    return w


def normalise(text: str) -> str:
    """NFKC (full-width letters and punctuation to plain ones), lowercase, markup tags out, bounded length."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).lower()
    return _MARKUP.sub(" ", text)


def _english_terms(chunk: str, *, drop_stop_words: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for w in _WORD.findall(chunk):
        w = w.strip(".")
        if len(w) == 1 and w not in _SINGLE_LETTER_WORDS:
            continue
        if drop_stop_words and w in EN_STOP_WORDS:
            continue
        out.append((w, stem(w)))
    return out


def _chinese_terms(run: str, *, drop_stop_words: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for w in _segmenter().cut_for_search(run):
        w = w.strip()
        if not w or not _CJK_CHAR.search(w):
            continue
        if drop_stop_words and (w in ZH_STOP_WORDS or all(c in ZH_STOP_CHARS for c in w)):
            continue
        out.append((w, w))
    return out


def analyse(text: str, *, drop_stop_words: bool = True) -> list[tuple[str, str]]:
    """(word as typed, search term) for each term of a text in English, Chinese or both, in order (repeats
    kept: BM25 counts them). English terms are stemmed; a Chinese word is its own term."""
    text = normalise(text)
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _CJK_RUN.finditer(text):
        out += _english_terms(text[pos : m.start()], drop_stop_words=drop_stop_words)
        out += _chinese_terms(m.group(), drop_stop_words=drop_stop_words)
        pos = m.end()
    out += _english_terms(text[pos:], drop_stop_words=drop_stop_words)
    return out


def tokenize(text: str, *, drop_stop_words: bool = True) -> list[str]:
    """Search terms of a text in English, Chinese or both, in order (repeats kept).

    "我想学Python数据分析" -> ["python", "数据", "分析", "数据分析"]; "Learning Python, testing" -> ["learning",
    "python", "test"]."""
    return [term for _, term in analyse(text, drop_stop_words=drop_stop_words)]


def english_words(text: str) -> list[str]:
    """The Latin-script words of a text as typed (normalised, not stemmed, stop words kept)."""
    return [w.strip(".") for w in _WORD.findall(normalise(text))]


def text_language(text: str) -> str:
    """The language to centre a text for (see hybrid.DenseIndex): "zh" when at least a quarter of its letters are
    Chinese (or Japanese kana), else "en"."""
    cjk = len(_CJK_CHAR.findall(text))
    latin = sum(len(w) for w in _WORD.findall(text.lower()))
    return "zh" if cjk and cjk >= 0.25 * (cjk + latin) else "en"


def is_cjk(term: str) -> bool:
    """Whether a term is (or contains) Chinese or Japanese characters."""
    return bool(_CJK_CHAR.search(term))
