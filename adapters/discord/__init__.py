"""Discord: `translate` (pure payload -> neutral types) and `adapter` (discord.py client, slash commands)."""
