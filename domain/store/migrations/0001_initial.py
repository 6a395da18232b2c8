from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('principal', fields.CharField(max_length=40)),
                ('key', fields.CharField(max_length=255)),
                ('request_hash', fields.CharField(max_length=64)),
                ('status', fields.CharField(description='IN_PROGRESS while the first request runs, then DONE with its response.', max_length=16)),
                ('response', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_record', 'app': 'models', 'unique_together': (('principal', 'key'),), 'pk_attr': 'id', 'table_description': 'One Idempotency-Key of one principal: the hash of the request and the stored response.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('actor', fields.CharField(max_length=100)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, description='A relay that takes a row claims it until this time (compare-and-set).', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A job written in the business transaction. The relay sends it to Redis after commit.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Partner',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharField(max_length=40)),
                ('sandbox', fields.BooleanField(default=True)),
                ('premium_rate', fields.DecimalField(null=True, description='FI-P1 per-partner premium rate. None means the catalogue rate.', max_digits=8, decimal_places=6)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffMember',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('name', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_member', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('display_prefix', fields.CharField(max_length=20)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An API key, stored as its SHA-256 only. `display_prefix` helps people tell keys apart.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TestClock',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='test_clocks', on_delete=OnDelete.CASCADE)),
                ('frozen_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='READY', max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'test_clock', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A sandbox clock (LIFECYCLE 7): covers on it live in its frozen time.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Quote',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.CASCADE)),
                ('product', fields.CharField(max_length=40)),
                ('eligible', fields.BooleanField()),
                ('violations', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('currency', fields.CharField(max_length=3)),
                ('premium', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('premium_rate', fields.DecimalField(max_digits=8, decimal_places=6)),
                ('insured_amount', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('coverage_percent', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('request_date', fields.DateField()),
                ('valid_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('request', fields.JSONField(description='The request as received (seller, buyer, invoice, financing, shipment), for binding.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('test_clock', fields.ForeignKeyField('models.TestClock', source_field='test_clock_id', null=True, db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'quote', 'app': 'models', 'indexes': [Index(fields=['partner_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An immutable quote with its violations (C-5) and, when eligible, its price.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkerHeartbeat',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('beats', fields.IntField(default=0)),
                ('last_message_id', fields.CharField(null=True, max_length=40)),
                ('last_seen', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'worker_heartbeat', 'app': 'models', 'pk_attr': 'name', 'table_description': 'Proof that the outbox -> Redis -> worker path runs: one row per heartbeat source.'},
            bases=['Model'],
        ),
    ]
