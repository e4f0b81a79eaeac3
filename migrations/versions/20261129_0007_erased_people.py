"""personal-data rights: erased people

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00.000000

``person.erased_at``: when a person's data was erased at their request. The record stays as a
tombstone (retired, personal fields blanked) so the audit trail keeps who did what and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
