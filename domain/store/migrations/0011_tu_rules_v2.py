from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

# TU-P1: a policy whose minimum premium was paid before this release is in force, with
# that premium as its one payment received.
BACKFILL = [
    "UPDATE top_up_policy SET status = 'IN_FORCE', premium_paid_total = minimum_premium "
    "WHERE premium_paid_on IS NOT NULL",
]

class Migration(migrations.Migration):
    dependencies = [('models', '0010_wt_limits_v2')]

    initial = False

    operations = [
        ops.AddField(
            model_name='TopUpPolicy',
            name='status',
            field=fields.CharField(default='SIGNED', db_default='SIGNED', description='TU-P1 and TU-P4 - SIGNED, IN_FORCE, ENDED or RESCINDED', max_length=20),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='signed_on',
            field=fields.DateField(null=True, description='TU-E7 - the day the policy was signed'),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='premium_receipt_on',
            field=fields.DateField(null=True, description='TU-P1 - the day the insurer issued the premium receipt - 30 days to pay'),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='premium_payments',
            field=fields.JSONField(default=list, db_default='[]', description='TU-P1 - every premium payment received - paid on and amount - instalments too', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='premium_paid_total',
            field=fields.DecimalField(default=0, db_default=0, description='TU-P1 - the sum of the premium payments received', max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='new_first_layer_contract_on',
            field=fields.DateField(null=True, description='TU-P4 - the day the insurer learned of a new first-layer contract'),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='ended_on',
            field=fields.DateField(null=True, description='TU-P4 - the day the contract ended or was rescinded'),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='ending',
            field=fields.JSONField(null=True, description='TU-P4 - why it ended - rule, reason, refund and premium due at once', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='terms_versions',
            field=fields.JSONField(default=list, db_default='[]', description='TU-C2 - the terms of each insurance year from the one named - set by the insurer', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='TopUpLimit',
            name='further_reductions_expected',
            field=fields.BooleanField(default=False, db_default=False, description='TU-L3 - the insured knows the first layer will reduce or cancel again'),
        ),
        ops.AddField(
            model_name='TopUpLimit',
            name='client_history',
            field=fields.JSONField(default=list, db_default='[]', description='TU-E7 - earlier invoices of the client at signing - original due date, paid on, disputed', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='TopUpClaim',
            name='insolvency_declared_on',
            field=fields.DateField(null=True, description='TU-E4 and TU-E5 - the day the insolvency was declared'),
        ),
        ops.AddField(
            model_name='TopUpClaim',
            name='limit_at_insolvency',
            field=fields.DecimalField(null=True, description='TU-C1 - the top-up limit in force at the insolvency - taken when notified', max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='TopUpClaim',
            name='sum_left_at_payment',
            field=fields.DecimalField(null=True, description='TU-R1 - the year remaining sum insured the payment was calculated on', max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='TopUpClaim',
            name='aggregate_left_at_payment',
            field=fields.DecimalField(null=True, description='TU-R1 - the aggregate deductible not yet borne the payment was calculated on', max_digits=16, decimal_places=2),
        ),
        ops.RunSQL(BACKFILL, reverse_sql=[]),
    ]
