from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_covers_holds_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Claim',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('cover', fields.OneToOneField('models.Cover', source_field='cover_id', db_constraint=True, to_field='id', related_name='claim_row', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(db_index=True, max_length=20)),
                ('opened_on', fields.DateField()),
                ('documents_due_on', fields.DateField(null=True)),
                ('expected_decision_on', fields.DateField(null=True)),
                ('indemnity_amount', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('indemnity_lines', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('calculated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('payable_by', fields.DateField(null=True)),
                ('paid_on', fields.DateField(null=True)),
                ('rejection', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'claim', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CoverDeadline',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('cover', fields.ForeignKeyField('models.Cover', source_field='cover_id', db_constraint=True, to_field='id', related_name='deadline_rows', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('rule', fields.CharField(max_length=20)),
                ('due_on', fields.DateField()),
                ('state', fields.CharField(description='OPEN, MET or MISSED', max_length=10)),
                ('met_on', fields.DateField(null=True)),
                ('insurer_side', fields.BooleanField(default=False)),
                ('announced', fields.JSONField(default=list, description='days-before values already announced by deadline.approaching, e.g. [7, 1]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('next_check_on', fields.DateField(db_index=True, description='the next date the sweep must look at this row (announcement or due date)')),
                ('flagged_to_staff', fields.BooleanField(default=False)),
            ],
            options={'table': 'cover_deadline', 'app': 'models', 'unique_together': (('cover_id', 'kind'),), 'indexes': [Index(fields=['state', 'next_check_on'])], 'pk_attr': 'id', 'table_description': 'One deadline of a cover, kept in step with the cover facts by the services.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('cover', fields.ForeignKeyField('models.Cover', source_field='cover_id', db_constraint=True, to_field='id', related_name='document_rows', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('filename', fields.CharField(max_length=255)),
                ('content_type', fields.CharField(max_length=100)),
                ('size_bytes', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'document', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A received document, stored by content hash under the data directory.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Incident',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('cover', fields.ForeignKeyField('models.Cover', source_field='cover_id', db_constraint=True, to_field='id', related_name='incident_rows', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=20)),
                ('unpaid_amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('occurred_on', fields.DateField()),
                ('declared_on', fields.DateField()),
                ('published', fields.BooleanField(default=False)),
                ('disputed', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'incident', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
