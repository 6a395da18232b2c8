from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_input_bounds')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RuleFact',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('partner_id', fields.CharField(db_index=True, max_length=40)),
                ('product', fields.CharField(description='WHOLE_TURNOVER or TOP_UP', max_length=30)),
                ('policy_id', fields.CharField(db_index=True, description='a WT or TU policy id', max_length=40)),
                ('limit_id', fields.CharField(null=True, description='optional subjects of the fact - a credit limit or a claim of that policy', max_length=40)),
                ('claim_id', fields.CharField(null=True, max_length=40)),
                ('buyer_key', fields.CharField(null=True, max_length=120)),
                ('sequence', fields.IntField(description='1, 2, 3 per policy in recording order (LIFECYCLE 5a - never timestamps)')),
                ('rule', fields.CharField(max_length=20)),
                ('occurred_on', fields.DateField()),
                ('note', fields.CharField(max_length=2000)),
                ('document_id', fields.CharField(null=True, max_length=40)),
                ('consequence', fields.CharField(null=True, description='the state change applied - LIMIT_VOID, CLAIM_REJECTED, CONTRACT_RESCINDED or null', max_length=30)),
                ('actor', fields.CharField(max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rule_fact', 'app': 'models', 'unique_together': (('policy_id', 'sequence'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Policy',
            name='claim_file_fee',
            field=fields.DecimalField(default=0, db_default=0, description='WT-P5 - the fee each claim file opened costs the policyholder', max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='Policy',
            name='political_risks_contracted',
            field=fields.BooleanField(default=False, db_default=False, description='C-1 - political and extraordinary risks contracted - admits public buyers outside CO'),
        ),
        ops.AddField(
            model_name='PolicyClaim',
            name='file_fee',
            field=fields.DecimalField(default=0, db_default=0, description='WT-P5 - the claim-file fee charged when this file opened', max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='TopUpPolicy',
            name='rescinded_on',
            field=fields.DateField(null=True, description='TU-P5 - rescinded for misrepresentation - treated as never made from then on'),
        ),
    ]
