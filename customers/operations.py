"""Migration operations of the customers app."""

from django.db.migrations.operations.base import Operation


class OnPostgreSQL(Operation):
    """Runs the wrapped operations' database part on PostgreSQL only; they never change the migration state."""

    reversible = True

    def __init__(self, *operations):
        self.operations = operations

    def deconstruct(self):
        return self.__class__.__qualname__, self.operations, {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for operation in self.operations:
                operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for operation in reversed(self.operations):
                operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "Search indexes (PostgreSQL only)"
