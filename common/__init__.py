"""Neutral leaf helpers that every layer may use: the injectable clock, plain-text bounding, user-facing errors.

`common/` imports nothing else of the project, so `adapters -> bot -> community -> storage` can all depend on it
without an import ever running back up.
"""
