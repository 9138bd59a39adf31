"""Narrative.state and Alert.status become enum fields (Lifecycle, AlertStatus).

Only the models' Python types change: the columns stay VARCHAR(16) and VARCHAR(12) and hold
the same values. A plain AlterField would rebuild both tables on SQLite, and dropping the old
`narratives` table there cascades to its alerts, score points and token matches, so these
operations change the migration state only and run no SQL.
"""

from tortoise import fields, migrations

from bot.engine.types import Lifecycle
from storage.migrations._operations import AlterFieldState
from storage.models import AlertStatus


class Migration(migrations.Migration):
    dependencies = [('ghostwatch', '0004_narrative_episode_offset')]

    initial = False

    operations = [
        AlterFieldState(
            model_name='Alert',
            name='status',
            field=fields.CharEnumField(default=AlertStatus.PENDING, db_index=True, description='PENDING: pending\nSENT: sent\nFAILED: failed\nSKIPPED: skipped', enum_type=AlertStatus, max_length=12),
        ),
        AlterFieldState(
            model_name='Narrative',
            name='state',
            field=fields.CharEnumField(default=Lifecycle.QUIET, db_index=True, description='QUIET: quiet\nEMERGING: emerging\nVIRAL: viral\nCOOLING: cooling\nDORMANT: dormant', enum_type=Lifecycle, max_length=16),
        ),
    ]
