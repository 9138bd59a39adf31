"""Narrative.updated_at gets an index; Narrative.episode_offset is added.

Both change `narratives` in place. A plain AlterField rebuilds the table on SQLite, which
drops its indexes and, by dropping the old table, cascades to every alert, score point and
token match; a plain AddField cannot add a NOT NULL column to a table with rows. Stored
narratives get episode_offset 0, what the model's default writes.
"""

from tortoise import fields, migrations

from storage.migrations._operations import AddFieldFilled, AlterFieldIndex


class Migration(migrations.Migration):
    dependencies = [('ghostwatch', '0002_alert_evidence')]

    initial = False

    operations = [
        AlterFieldIndex(
            model_name='Narrative',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        AddFieldFilled(
            model_name='Narrative',
            name='episode_offset',
            field=fields.IntField(default=0),
            fill='0',
        ),
    ]
