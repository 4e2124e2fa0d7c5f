"""Audit: the hash-chained log every feature appends to, published and anchored.

Its chat surface is /receipt; its job posts checkpoints (the head hash) where the
operator cannot edit them; the CLI (`bot/audit_cli.py`) verifies the log from the
database or from a downloaded file and exports it.
"""

from __future__ import annotations

from handlers.audit.checkpoint import post_checkpoint
from handlers.audit.commands import COMMANDS
from handlers.audit.policy import AuditPolicy
from handlers.core.feature import Feature, Job

FEATURE = Feature(
    name="audit",
    commands=COMMANDS,
    jobs=[
        Job(
            "post audit checkpoints",
            post_checkpoint,
            every=lambda settings: settings.audit.checkpoint_check_seconds,
        )
    ],
    settings=AuditPolicy,
)
