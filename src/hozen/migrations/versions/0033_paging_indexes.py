"""Indexes for the lists paged in the sixth session (communities, events, notifications,
follow-ups).

A community's members, posts and files, an event's attendance and materials and a user's
inbox are read a page at a time by keyset (hozen.paging); each index serves its list's
filter and order. Events not yet over are ordered by their end, so that one range of
(ends_at, id) is both the filter and the order: the (starts_at, id) index of 0031 made a
page read every past event first.

Revision ID: 0033
Revises: 0032
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

# (table, index, columns)
INDEXES = [
    ('community_member', 'ix_community_member_community_id_applied_at_id',
     ['community_id', 'applied_at', 'id']),
    ('community_post', 'ix_community_post_community_id_created_at_id',
     ['community_id', 'created_at', 'id']),
    ('shared_file', 'ix_shared_file_community_id_created_at_id',
     ['community_id', 'created_at', 'id']),
    ('shared_file', 'ix_shared_file_event_id_created_at_id', ['event_id', 'created_at', 'id']),
    ('event_registration', 'ix_event_registration_event_id_registered_at_id',
     ['event_id', 'registered_at', 'id']),
    ('sharing_event', 'ix_sharing_event_ends_at_id', ['ends_at', 'id']),
    ('notification', 'ix_notification_user_id_created_at_id', ['user_id', 'created_at', 'id']),
    ('departure', 'ix_departure_follow_up_until_id', ['follow_up_until', 'id']),
]
# (table, index, columns) no list reads any more
RETIRED = [('sharing_event', 'ix_sharing_event_starts_at_id', ['starts_at', 'id']),
           ('departure', 'ix_departure_follow_up_until', ['follow_up_until'])]


def upgrade() -> None:
    for table, name, _ in RETIRED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    for table, name, columns in RETIRED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
