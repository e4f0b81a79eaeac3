"""published directory: consent to publish a personal mobile

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 17:00:00.000000

``person.publish_mobile``: the person agreed to show their personal mobile in the published
directory (default no); ``person.publish_mobile_at``: when they last answered. An index on
``person.updated_at`` gives the directory's Last-Modified without reading every person.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "publish_mobile", sa.Boolean(), nullable=False, server_default=sa.text("false")
            )
        )
        batch_op.add_column(
            sa.Column("publish_mobile_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_person_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_updated_at")
        batch_op.drop_column("publish_mobile_at")
        batch_op.drop_column("publish_mobile")
