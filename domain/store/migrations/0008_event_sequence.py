from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

# LIFECYCLE 5a: existing events are numbered per cover (per policy) by occurred_at then
# id, and each owner's counter starts after its last event. Both SQLite (3.25+) and
# PostgreSQL run these statements as written.
BACKFILL = [
    "UPDATE cover_event SET sequence = (SELECT r.n FROM (SELECT id, ROW_NUMBER() OVER "
    "(PARTITION BY cover_id ORDER BY occurred_at, id) AS n FROM cover_event) r "
    "WHERE r.id = cover_event.id)",
    "UPDATE cover SET event_sequence = COALESCE((SELECT MAX(e.sequence) FROM cover_event e "
    "WHERE e.cover_id = cover.id), 0)",
    "UPDATE policy_event SET sequence = (SELECT r.n FROM (SELECT id, ROW_NUMBER() OVER "
    "(PARTITION BY policy_id ORDER BY occurred_at, id) AS n FROM policy_event) r "
    "WHERE r.id = policy_event.id)",
    "UPDATE policy SET event_sequence = COALESCE((SELECT MAX(e.sequence) FROM policy_event e "
    "WHERE e.policy_id = policy.id), 0)",
]

class Migration(migrations.Migration):
    dependencies = [('models', '0007_tu_top_up_policies')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Cover',
            name='event_sequence',
            field=fields.IntField(default=0, description='LIFECYCLE 5a - the last event sequence number given to this cover', db_default=0),
        ),
        ops.AddField(
            model_name='CoverEvent',
            name='sequence',
            field=fields.IntField(default=0, description='LIFECYCLE 5a - the order of the facts of one cover, 1, 2, 3 and so on', db_default=0),
        ),
        ops.AddField(
            model_name='Policy',
            name='event_sequence',
            field=fields.IntField(default=0, description='LIFECYCLE 5a - the last event sequence number given to this policy', db_default=0),
        ),
        ops.AddField(
            model_name='PolicyEvent',
            name='sequence',
            field=fields.IntField(default=0, description='LIFECYCLE 5a - the order of the facts of one policy, 1, 2, 3 and so on', db_default=0),
        ),
        ops.RunSQL(BACKFILL, reverse_sql=[]),
        ops.AddConstraint(
            model_name='CoverEvent',
            constraint=UniqueConstraint(fields=('cover_id', 'sequence'), name=None),
        ),
        ops.AddConstraint(
            model_name='PolicyEvent',
            constraint=UniqueConstraint(fields=('policy_id', 'sequence'), name=None),
        ),
    ]
