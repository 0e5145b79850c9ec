"""purge orphan members (data only: members without an account left by first-contact races)

Before identity rows were upserts, two writers meeting a new person at once could each insert a Member; the loser's
account insert failed and its Member row stayed behind with the person's display name, belonging to no account and
no group, so /forget never reached it. This deletes every member that no row of any table refers to (no account,
no membership, nothing else). The referencing tables are read from the schema as it is at this revision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    meta = sa.MetaData()
    member = sa.Table("member", meta, autoload_with=bind)
    unreferenced = []
    for name in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] != "member" or len(fk["constrained_columns"]) != 1:
                continue
            table = meta.tables.get(name)
            if table is None:
                table = sa.Table(name, meta, autoload_with=bind)
            column = table.c[fk["constrained_columns"][0]]
            unreferenced.append(~sa.exists().where(column == member.c.id))
    if unreferenced:
        bind.execute(sa.delete(member).where(*unreferenced))


def downgrade() -> None:
    pass  # deleted orphans are not restored: nothing referred to them
