from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_wt_policies')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PolicyClaim',
            name='collection_costs',
            field=fields.DecimalField(default=0, description='WT-C6 collection costs the insurer authorised, paid at the coverage percentage', max_digits=16, decimal_places=2),
        ),
    ]
