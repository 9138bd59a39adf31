"""Migration operations that change a table in place, never by rebuilding it.

tortoise's SQLite schema editor alters or drops a column by copying the table into a new one
and dropping the old: the copy loses the table's own indexes, and dropping `narratives`
cascades (ON DELETE CASCADE) to every alert, score point and token match that references it.
Its AddField adds a NOT NULL column without a database default, which SQLite and PostgreSQL
both refuse on a table that has rows. These operations record the same migration state as
AlterField and AddField, and run SQL that keeps the table, its rows and its indexes.

The loader skips modules whose name starts with "_", so this one is not a migration.
"""

from __future__ import annotations

from typing import Any

from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state import State


class AlterFieldState(ops.AlterField):
    """Alter the field in the migration state only; the database column stays as it is."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class RenameModelState(ops.RenameModel):
    """Rename a model whose table keeps its name: the migration state changes, no SQL runs."""

    async def database_forward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        self._same_table(app_label, old_state, new_state)

    async def database_backward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        self._same_table(app_label, new_state, old_state)

    def _same_table(self, app_label: str, before: State, after: State) -> None:
        # A model named without Meta.table takes its table from its name: renaming it would
        # need the table renamed too, which this operation does not do.
        old = before.apps.get_model(f"{app_label}.{self.old_name}")._meta.db_table
        new = after.apps.get_model(f"{app_label}.{self.new_name}")._meta.db_table
        if old != new:
            raise ValueError(
                f"RenameModelState {self.old_name} -> {self.new_name} moves {old} to {new}"
            )


class AlterFieldIndex(ops.AlterField):
    """Add or drop a column's index (`db_index`) without rebuilding its table."""

    async def database_forward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        if state_editor is not None:
            await self._switch_index(app_label, old_state, new_state, state_editor)

    async def database_backward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        # tortoise hands backward the state after the migration as old_state, before as new_state
        if state_editor is not None:
            await self._switch_index(app_label, old_state, new_state, state_editor)

    async def _switch_index(
        self, app_label: str, old_state: State, new_state: State, editor: BaseSchemaEditor
    ) -> None:
        old_model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        new_model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        old = old_model._meta.fields_map[self.name]
        new = new_model._meta.fields_map[self.name]
        before = {k: v for k, v in old.describe(serializable=True).items() if k != "indexed"}
        after = {k: v for k, v in new.describe(serializable=True).items() if k != "indexed"}
        if before != after:
            raise ValueError(f"AlterFieldIndex on {self.model_name}.{self.name} changes more than db_index")
        if old.index == new.index:
            return
        index = Index(fields=(new_model._meta.fields_db_projection[self.name],))
        if new.index:
            await editor.add_index(new_model, index)
        else:
            await editor.remove_index(old_model, index)


class AddFieldFilled(ops.AddField):
    """Add a NOT NULL column to a table that may have rows; the rows there get `fill`.

    `fill` is an SQL literal both dialects read as the column's type (`0`, `'{}'`). The
    default it needs stays on the column on SQLite (dropping it would rebuild the table) and
    is dropped on PostgreSQL; the ORM writes every value itself either way.
    """

    def __init__(self, model_name: str, name: str, field: Any, fill: str) -> None:
        super().__init__(model_name, name, field)
        self.fill = fill

    async def database_forward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        if state_editor is None:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        if field.null or field.unique or field.pk or field.index:
            raise ValueError(f"AddFieldFilled only adds plain NOT NULL columns, not {self.name}")
        table = state_editor.quote(model._meta.db_table)
        column = state_editor.quote(model._meta.fields_db_projection[self.name])
        sql_type = field.get_for_dialect(state_editor.DIALECT, "SQL_TYPE")
        # _run_sql is what tortoise's own RunSQL uses: it also honours `sqlmigrate`'s dry run
        await state_editor._run_sql(
            f"ALTER TABLE {table} ADD COLUMN {column} {sql_type} NOT NULL DEFAULT {self.fill}"
        )
        if state_editor.DIALECT != "sqlite":
            await state_editor._run_sql(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")

    async def database_backward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        if state_editor is None:
            return
        # SQLite (3.35+) drops a plain column in place; AddField's way would rebuild the table
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        table = state_editor.quote(model._meta.db_table)
        column = state_editor.quote(model._meta.fields_db_projection[self.name])
        await state_editor._run_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
