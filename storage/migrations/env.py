"""Alembic's environment script: migrate on the connection govbot hands over.

govbot never lets Alembic open a connection of its own: `storage.migrations` runs every
command inside `Database.write()` (the cross-process write lock) and passes that
transaction's synchronous connection in `config.attributes["connection"]`. Alembic sees
a transaction already begun and joins it, so a failed revision rolls back with the rest.
"""

from __future__ import annotations

from alembic import context

config = context.config
context.configure(
    connection=config.attributes["connection"],
    on_version_apply=config.attributes.get("on_version_apply", ()),
)
with context.begin_transaction():
    context.run_migrations()
