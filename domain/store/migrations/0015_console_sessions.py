from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_sandbox_exchange_rates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsoleSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('token_hash', fields.CharField(unique=True, description='SHA-256 hex of the session id the cookie carries', max_length=64)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', db_constraint=True, to_field='id', related_name='console_sessions', on_delete=OnDelete.CASCADE)),
                ('api_key', fields.ForeignKeyField('models.ApiKey', source_field='api_key_id', description='the key signed in with - revoking it deletes the session', db_constraint=True, to_field='id', related_name='console_sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, description='created_at plus the session length - refused from then on and purged at a sign-in', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A signed-in console session of a staff member, started with one of their keys.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInThrottle',
            fields=[
                ('scope', fields.CharField(primary_key=True, unique=True, db_index=True, description='address - a client address (an IPv6 /64) - or prefix - the display prefix of a key', max_length=80)),
                ('failures', fields.IntField(description='failures since the window last restarted')),
                ('last_failure_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('blocked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_sign_in_throttle', 'app': 'models', 'pk_attr': 'scope', 'table_description': 'Failed console sign-ins of one client address or key prefix, for every API process.'},
            bases=['Model'],
        ),
    ]
