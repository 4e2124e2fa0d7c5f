"""Periodic checkpoints: the log's head hash posted where the operator cannot edit it.

Every `audit.checkpoint_entries` new entries, or every `audit.checkpoint_hours` hours
with something new, the job appends an `audit.checkpoint` entry naming the head
(index and hash) and posts `HASH@INDEX` in each of `audit.checkpoint_places` (a Reply
with `where` set; the core routes it to that platform). A history rewritten later
cannot contain that hash at that index, and the messages stay in the members' chat.

Deciding and appending happen in one write transaction (`AuditRepo.append_if`), so
several processes on one database post each checkpoint once.
"""

from __future__ import annotations

import logging

from handlers.audit.policy import AuditPolicy
from handlers.core.deps import Deps
from handlers.core.markup import bold, code
from handlers.core.types import Reply
from storage.records import AuditEntry
from storage.repos.audit import NewEntry

log = logging.getLogger(__name__)

KIND = "audit.checkpoint"


def due(policy: AuditPolicy, head: tuple[int, str], last: AuditEntry | None, now: float) -> bool:
    """Whether a checkpoint of `head` is due, given the newest checkpoint entry."""
    index, _ = head
    since = index - (last.seq if last is not None else 0)  # entries after the last one
    if since <= 0:
        return False
    if policy.checkpoint_entries and since >= policy.checkpoint_entries:
        return True
    if policy.checkpoint_hours:
        return last is None or now - last.at >= policy.checkpoint_hours * 3600
    return False


def checkpoint_text(deps: Deps, index: int, digest: str) -> str:
    lines = [
        f"{bold('Audit checkpoint')}: entry {index} of the audit log has hash",
        code(f"{digest}@{index}"),
        f"Check a downloaded log: govbot audit verify --log FILE --checkpoint {digest}@{index}",
    ]
    base = deps.audit.public.base()
    if base is not None:
        lines.append(f"Download it from {base}/c/<community>/audit.jsonl")
    return "\n".join(lines)


async def post_checkpoint(deps: Deps) -> list[Reply]:
    """Append a checkpoint entry when one is due and return the messages to post."""
    policy = deps.audit.policy
    places = [p.where() for p in policy.checkpoint_places]
    if not places:
        return []
    now = deps.clock.now()
    anchored: list[tuple[int, str]] = []

    def decide(head: tuple[int, str], last: AuditEntry | None) -> NewEntry | None:
        if not due(policy, head, last, now):
            return None
        anchored.append(head)
        payload = {
            "index": head[0],
            "hash": head[1],
            "places": [f"{w.platform}:{w.channel_id}" for w in places],
        }
        return NewEntry(KIND, "audit:checkpoint", payload, None, now)

    entry = await deps.storage.audit.append_if(KIND, decide)
    if entry is None:
        return []
    index, digest = anchored[0]
    log.info("audit checkpoint index=%s places=%s", index, len(places))
    text = checkpoint_text(deps, index, digest)
    meta = {"checkpoint": f"{digest}@{index}"}
    return [Reply(text, where=where, meta=meta) for where in places]
