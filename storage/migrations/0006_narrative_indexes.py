"""Put back the `narratives` indexes that the first 0004 dropped on SQLite.

0004 used to rebuild `narratives` on SQLite, and the rebuilt table had neither the state
index (0001) nor the updated_at one (0004). 0004 now alters the table in place, but SQLite
databases that ran the old 0004 still lack both. The names are the ones tortoise gives these
indexes (as on PostgreSQL, where they were never lost), so `IF NOT EXISTS` leaves a database
that has them as it is.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('ghostwatch', '0005_enum_columns')]

    initial = False

    operations = [
        ops.RunSQL(
            [
                'CREATE INDEX IF NOT EXISTS "idx_narratives_state_0c8014" ON "narratives" ("state")',
                'CREATE INDEX IF NOT EXISTS "idx_narratives_updated_91e238" ON "narratives" ("updated_at")',
            ],
            reverse_sql=ops.RunSQL.noop,
        ),
    ]
