"""Recommendations: course picks for a member with the reason for each, similar courses, and model training.

- `service.py`: `RecommendationService` holds the current model: `train` (a new version from the store; keeps the
  newest few), `train_on_first_need` (in the background when no model is usable), `refresh` (hot swap to the
  newest), `picks` / `recommend` (fold the member in, score, explain), `similar`, `forget_member` (/forget: out
  of the model in use and the saved versions, a retrain owed).
- `features.py`: what the model sees of members and courses (texts, the activity feature vector).
- `training.py`: the training set read from the store (`training_data`).
- `popular.py`: cold-start picks (the group's best-rated, then free beginner courses).
- `reasons.py`: why a course was picked, one frozen type per kind of reason (`Reason`); `explain_pick`.
- `results.py`: `Pick`, `Recommendation`, `SimilarCourse`, `TrainOutcome`.
- `feedback.py`: "interested" / "not for me" on a pick (`record_feedback`).

Queries live in `storage/crud/recommendations.py` (and `courses.py` for ratings); the model itself in
`recommender/`; the chat commands and the wording of reasons in `bot/commands/recommend.py`.
"""
