"""Keyword-only query functions. Every function that touches member data takes the group it belongs to."""
