"""Signals: what members' messages and reactions say — sentiment, course mentions, activity, /stats, retention.

- `sentiment.py`: the analyzers (`get_analyzer`, builtin model + lexicon, vader, snownlp), `SentimentResult`,
  `label_for`; `lexicon.py` (emoji/emoticon/word lexicon, `emoji_sentiment`) and `features.py` (hashed n-grams)
  are its parts; `sentiment_weights.npz` the shipped weights (`scripts/train_sentiment.py` rebuilds them).
- `worker.py`: `SentimentWorker`, the asyncio batcher that scores texts in a thread.
- `scorer.py`: `MessageScorer`, sentiment and course mentions of every stored message, off the message path.
- `records.py`: `interaction_records`, store rows -> the recommender's interaction records.
- `activity.py`: `member_activity` (windows, streaks, helpful answers, sentiment written/received),
  `leaderboard_score`.
- `reports.py`: `member_report` (/me) and `leaderboard` (/leaderboard) as data.
- `stats.py`: `group_stats` (/stats as numbers); `chart.py`: `render_chart` (the PNG) and `chart_metadata`.
- `retention.py`: parse, set and apply a group's message-text retention (`purge_all` is the daily job).
- `cli.py`: `cohort sentiment`, scoring stdin line by line.

Every function that reads the store takes a session first (callers on the event loop use `Store.run`); nothing
here builds chat replies. SQL lives in `storage/crud/signals.py`; the commands in `bot/commands/signals.py`.
"""
