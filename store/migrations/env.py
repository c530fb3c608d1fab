"""Alembic's environment for the case database (store/casebook.py): migrations run on the connection that
store.casebook.migrate hands over, in its transaction; nothing here reads a config file or the environment."""

from __future__ import annotations

from alembic import context

from store.casebook import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
