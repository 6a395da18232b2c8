from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_deadlines_incidents_claims')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Incident',
            name='disputed',
            field=fields.BooleanField(default=False, description='TR-X2 - the client disputes the service as non-conforming'),
        ),
        ops.AddField(
            model_name='Incident',
            name='dispute_conforming',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Incident',
            name='dispute_raised_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Incident',
            name='dispute_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Incident',
            name='dispute_resolved_on',
            field=fields.DateField(null=True, description='the final court decision - null while pending'),
        ),
    ]
