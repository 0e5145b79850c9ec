"""`cohort train`: train the course recommender from the store; a running bot picks the new model up itself.

Keeps the newest `COHORT_MODEL_VERSIONS_KEPT` versions (default 3); after a /forget the training runs even when
the data looks unchanged and deletes every older version."""

from __future__ import annotations

import argparse
import sys

WITH_DB = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--group", type=int, help="train on one group's data only (default: all groups)")
    p.add_argument("--force", action="store_true", help="train even when the data did not change")
    p.add_argument("--epochs", type=int, help="maximum epochs (early stopping picks the best)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default: $COHORT_DEVICE or auto")


def run(args: argparse.Namespace) -> int:
    from cohort.cli import _settings
    from common.clock import SystemClock
    from community.recommendations.service import RecommendationService
    from storage import db

    settings = _settings(args)
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    svc = RecommendationService(
        engine,
        model_dir=settings.model_dir,
        encoder=settings.embedding_model,
        device=args.device or settings.device,
        clock=SystemClock(),
        keep_versions=settings.model_versions_kept,
    )
    outcome = svc.train(
        group_id=args.group, force=args.force, progress=sys.stderr.isatty(), epochs=args.epochs
    )
    print(outcome.message)
    if outcome.trained and outcome.metrics is not None:
        for key in sorted(outcome.metrics):
            print(f"  {key}: {outcome.metrics[key]:.4g}")
        print(f"Saved {outcome.path}. A running bot loads it within a minute.")
    return 0
