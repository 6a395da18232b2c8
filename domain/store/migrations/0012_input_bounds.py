from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_tu_rules_v2')]

    initial = False

    operations = [
        ops.AddField(
            model_name='TestClock',
            name='advancing_since',
            field=fields.DatetimeField(null=True, description='when the running advance took the clock (its lease)', auto_now=False, auto_now_add=False),
        ),
    ]
