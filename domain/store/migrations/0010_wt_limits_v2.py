from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_wt_claim_payment')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CreditLimit',
            name='firm_order_bars',
            field=fields.JSONField(null=True, description='WT-L4 what staff recorded on a total cancellation that bars firm orders', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Sale',
            name='firm_order_declared',
            field=fields.BooleanField(default=False, db_default=False, description='WT-L4 declared as a firm order - the cover decision is taken again on every change'),
        ),
        ops.AddField(
            model_name='Sale',
            name='firm_order_signed_on',
            field=fields.DateField(null=True, description='WT-L4 the day the firm commercial contract was signed, when given'),
        ),
    ]
