from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('ghostwatch', '0002_alert_evidence')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Narrative',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Narrative',
            name='episode_offset',
            field=fields.IntField(default=0),
        ),
    ]
