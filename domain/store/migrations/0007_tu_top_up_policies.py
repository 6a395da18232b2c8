from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_wt_collection_costs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TopUpPolicy',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('partner', fields.ForeignKeyField('models.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='top_up_policies', on_delete=OnDelete.CASCADE)),
                ('insured', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('first_layer_insurer', fields.CharField(max_length=200)),
                ('first_layer_policy', fields.CharField(max_length=100)),
                ('currency', fields.CharField(max_length=3)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('coverage_percent', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('first_layer_coverage_percent', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('per_loss_deductible', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('annual_aggregate_deductible', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('annual_sum_insured', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('pni_threshold', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('max_payment_term_days', fields.IntField()),
                ('supply_cutoff_days', fields.IntField()),
                ('first_layer_invoicing_days', fields.IntField(null=True)),
                ('covered_countries', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('minimum_premium', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('premium_paid_on', fields.DateField(null=True, description='TU-P1 - the day the annual minimum premium was paid')),
                ('test_clock', fields.ForeignKeyField('models.TestClock', source_field='test_clock_id', null=True, db_constraint=True, to_field='id', related_name='top_up_policies', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'top_up_policy', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TopUpClaim',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('policy', fields.ForeignKeyField('models.TopUpPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('buyer_key', fields.CharField(max_length=120)),
                ('status', fields.CharField(description='NOTIFIED, INSURED_EVENT, CALCULATED, APPROVED, PAID, REJECTED', max_length=20)),
                ('learned_of_insolvency_on', fields.DateField()),
                ('notified_on', fields.DateField()),
                ('insurance_year', fields.IntField()),
                ('covered_loss', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('admitted_in_proceedings', fields.BooleanField(default=True)),
                ('first_layer_paid_on', fields.DateField(null=True)),
                ('first_layer_indemnity', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('recoveries', fields.DecimalField(default=0, max_digits=16, decimal_places=2)),
                ('indemnity_amount', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('indemnity_lines', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('aggregate_deductible_used', fields.DecimalField(default=0, max_digits=16, decimal_places=2)),
                ('paid_amount', fields.DecimalField(default=0, max_digits=16, decimal_places=2)),
                ('paid_on', fields.DateField(null=True)),
                ('refund_due', fields.DecimalField(default=0, description='TU-R1 - what the insured must refund after a recovery', max_digits=16, decimal_places=2)),
                ('rejection', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'top_up_claim', 'app': 'models', 'indexes': [Index(fields=['policy_id', 'insurance_year'])], 'pk_attr': 'id', 'table_description': 'One loss of one buyer: notified (TU-N1), insured on the day the first layer pays'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TopUpDelivery',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('policy', fields.ForeignKeyField('models.TopUpPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('buyer_key', fields.CharField(max_length=120)),
                ('invoice_number', fields.CharField(max_length=100)),
                ('delivered_on', fields.DateField()),
                ('invoiced_on', fields.DateField()),
                ('due_date', fields.DateField()),
                ('amount', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('limit_at_delivery', fields.DecimalField(description='the top-up limit in force at delivery', max_digits=16, decimal_places=2)),
                ('insured', fields.BooleanField()),
                ('violations', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('paid_on', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'top_up_delivery', 'app': 'models', 'unique_together': (('policy_id', 'buyer_key', 'invoice_number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TopUpLimit',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('policy', fields.ForeignKeyField('models.TopUpPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name='limits', on_delete=OnDelete.CASCADE)),
                ('buyer_key', fields.CharField(max_length=120)),
                ('buyer', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('requested', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('first_layer_granted', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('top_up_limit', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('zero_locked', fields.BooleanField(default=False)),
                ('last_reduction_on', fields.DateField(null=True)),
                ('first_layer_before_reduction', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('history', fields.JSONField(default=list, description='each change - decided on, first layer granted, top-up limit, cause', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recompute_on', fields.DateField(null=True, db_index=True, description='TU-L3 - the sweep recomputes the limit on this day - null when nothing is pending')),
                ('version', fields.IntField(default=0, description='bumped on every change, for compare-and-set')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'top_up_limit', 'app': 'models', 'unique_together': (('policy_id', 'buyer_key'),), 'pk_attr': 'id', 'table_description': 'The current top-up limit of one buyer, with what TU-L2 and TU-L3 need.'},
            bases=['Model'],
        ),
    ]
