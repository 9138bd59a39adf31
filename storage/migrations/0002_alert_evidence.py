"""Alert.evidence: what the narrative looked like when the alert was due.

Alerts already stored get `{}` (what the model's default writes), so a database with alerts
upgrades: a plain AddField adds the NOT NULL column without a default, which SQLite and
PostgreSQL refuse on a table with rows.
"""

import functools
from json import dumps, loads

from tortoise import fields, migrations

from storage.migrations._operations import AddFieldFilled


class Migration(migrations.Migration):
    dependencies = [('ghostwatch', '0001_initial')]

    initial = False

    operations = [
        AddFieldFilled(
            model_name='Alert',
            name='evidence',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
            fill="'{}'",
        ),
    ]
