"""Cohort's recommender: plain data in, ranked course ids out; imports nothing else from the project.

Main entry points: :func:`recommender.train.train_from_records` (fit the hybrid on plain records),
:meth:`HybridRecommender.load`, ``recommend`` / ``recommend_with_reasons`` / ``similar_items`` /
``similar_members``, and for new or changed members ``fold_in_user`` + ``score_user_vector`` + ``explain``.
"""

from recommender.base import FORMAT_VERSION, ModelFormatError, Recommender, Scored, UnknownIdError
from recommender.data import InteractionData, interaction_weight
from recommender.model import Explanation, FoldedUser, HybridConfig, HybridRecommender
from recommender.train import train_from_records

__all__ = [
    "FORMAT_VERSION",
    "Explanation",
    "FoldedUser",
    "HybridConfig",
    "HybridRecommender",
    "InteractionData",
    "ModelFormatError",
    "Recommender",
    "Scored",
    "UnknownIdError",
    "interaction_weight",
    "train_from_records",
]
