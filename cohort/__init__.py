"""The application: the `cohort` command line and the processes it starts.

The one package that knows every layer (it picks the adapters, builds the app, runs the console, training and
batch jobs), so it sits on top of the layering: cohort -> adapters -> bot -> community -> storage.

- `cli.py`: argument parsing and the small subcommands (demo, chat, db, courses import, sentiment, recommend-batch).
- `run.py`: `cohort run` — Telegram and/or Discord in one process, clean shutdown on SIGINT/SIGTERM.
- `train.py`: `cohort train` — the recommender from the store.
"""
