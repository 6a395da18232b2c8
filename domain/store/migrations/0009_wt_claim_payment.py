from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_event_sequence')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OmittedSale',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('policy', fields.ForeignKeyField('models.Policy', source_field='policy_id', db_constraint=True, to_field='id', related_name='omitted_sales', on_delete=OnDelete.CASCADE)),
                ('buyer_key', fields.CharField(max_length=120)),
                ('invoice_number', fields.CharField(max_length=100)),
                ('amount', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('premium', fields.DecimalField(description='the premium that should have been received on it (WT-P1 rate x amount)', max_digits=16, decimal_places=2)),
                ('found_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'omitted_sale', 'app': 'models', 'unique_together': (('policy_id', 'buyer_key', 'invoice_number'),), 'pk_attr': 'id', 'table_description': 'WT-N4 - a sale that had to be declared and was not, recorded by insurer staff.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Policy',
            name='indemnities_paid',
            field=fields.DecimalField(default=0, db_default=0, description='WT-C6 - indemnities paid in the period, the compare-and-set guard of every payment', max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='Policy',
            name='terminated_on',
            field=fields.DateField(null=True, description='WT-P4 - the day the policy ended automatically for a premium instalment paid late'),
        ),
        ops.AddField(
            model_name='PolicyClaim',
            name='documents_complete_on',
            field=fields.DateField(null=True, description='WT-C10 - the day the documents were complete (WT-C2)'),
        ),
        ops.AddField(
            model_name='PolicyClaim',
            name='payable_by',
            field=fields.DateField(null=True, description='WT-C10 - the last day to pay the indemnity'),
        ),
        ops.AddField(
            model_name='PremiumInvoice',
            name='due_on',
            field=fields.DateField(null=True, description='WT-P4 - the last day to pay it in full'),
        ),
        ops.AddField(
            model_name='Sale',
            name='outside_cover_authorised',
            field=fields.BooleanField(default=False, db_default=False, description='WT-C8 - an excluded sale made with the insurer express authorisation'),
        ),
    ]
