"""`python -m storage.migrations new "what changes"`: write the next revision file.

The file is `versions/vNNN_what_changes.py` with revision id vNNN and the newest
revision as its parent, from `script.py.mako`; fill in `upgrade()` by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.migrations import alembic_config, revision_chain, revision_of, version_of


def new_revision(message: str, config: Config | None = None) -> Path:
    """Create the next revision in `config`'s script location (govbot's by default)."""
    config = config or alembic_config()
    head = revision_chain(ScriptDirectory.from_config(config))[-1]
    script = command.revision(config, message=message, rev_id=revision_of(version_of(head) + 1))
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storage.migrations", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="write the next revision file")
    new.add_argument("message", help="what the revision changes, e.g. 'proposals: tags'")
    args = parser.parse_args(argv)
    print(new_revision(args.message))


if __name__ == "__main__":
    main()
