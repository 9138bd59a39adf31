"""PhraseAggregate is PostBatch: the model's name and description change, its table does not.

The table stays `phrase_aggregates` with the same columns and rows, so both operations change
the migration state only and run no SQL (a table's description is a comment on PostgreSQL;
the one 0001 wrote stays).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from storage.migrations._operations import RenameModelState


class Migration(migrations.Migration):
    dependencies = [('ghostwatch', '0006_narrative_indexes')]

    initial = False

    operations = [
        RenameModelState(old_name='PhraseAggregate', new_name='PostBatch'),
        ops.AlterModelOptions(
            name='PostBatch',
            options={'table': 'phrase_aggregates', 'app': 'ghostwatch', 'pk_attr': 'id', 'table_description': 'One event-time minute of posts an ingest process wrote for the scorer to read.'},
        ),
    ]
