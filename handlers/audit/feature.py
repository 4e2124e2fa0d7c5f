"""Audit: the hash-chained log every feature appends to, re-checked by `govbot audit verify`.

It adds no chat command: its surface is the CLI (`bot/audit_cli.py`), which calls
`handlers.audit.verify`.
"""

from __future__ import annotations

from handlers.core.feature import Feature

FEATURE = Feature(name="audit")
