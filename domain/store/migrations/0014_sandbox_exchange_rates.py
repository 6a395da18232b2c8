from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class RemoveInlineUnique(ops.RemoveConstraint):
    """Drops a unique_together that CreateModel wrote. On SQLite that is an inline UNIQUE
    of the CREATE TABLE (an autoindex no DROP INDEX can reach, which Tortoise 1.1.9's
    RemoveConstraint tries), so the table is rebuilt from the model without it, rows
    kept. PostgreSQL drops the constraint as usual."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.DIALECT != "sqlite":
            return await super().database_forward(app_label, old_state, new_state, state_editor)
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        await state_editor._remake_table(model)


class Migration(migrations.Migration):
    dependencies = [('models', '0013_rule_facts')]

    initial = False

    operations = [
        RemoveInlineUnique(
            model_name='ExchangeRate',
            name=None,
            fields=['from_currency', 'to_currency', 'on'],
        ),
        ops.AlterModelOptions(
            name='ExchangeRate',
            options={'table': 'exchange_rate', 'app': 'models', 'unique_together': (('partner_id', 'from_currency', 'to_currency', 'on'),), 'pk_attr': 'id', 'table_description': 'WT-N3 and WT-C7: the rate of a currency pair on a day, by staff or a sandbox partner.'},
        ),
        ops.AddField(
            model_name='ExchangeRate',
            name='partner',
            field=fields.ForeignKeyField('models.Partner', source_field='partner_id', null=True, description='None - the staff rate, else the sandbox partner that set it', db_constraint=True, to_field='id', related_name='exchange_rates', on_delete=OnDelete.CASCADE),
        ),
        ops.AddConstraint(
            model_name='ExchangeRate',
            constraint=UniqueConstraint(fields=('partner_id', 'from_currency', 'to_currency', 'on'), name=None),
        ),
        # NULLs are distinct in a unique index (SQLite and PostgreSQL alike), so the
        # constraint above lets two staff rates of one pair and day in. A partial unique
        # index over the staff rows (partner_id NULL) keeps them one per pair and day.
        # Tortoise's UniqueConstraint(condition=...) is PostgreSQL-only: plain SQL both read.
        ops.RunSQL(
            'CREATE UNIQUE INDEX "uniq_exchange_rate_staff" ON "exchange_rate" '
            '("from_currency", "to_currency", "on") WHERE "partner_id" IS NULL',
            reverse_sql='DROP INDEX "uniq_exchange_rate_staff"',
        ),
    ]
