"""The audit log as published: every entry, with what is still sealed withheld.

`govbot audit export` and `GET /c/<community>/audit.jsonl` both write this stream, so a
downloaded log is byte-for-byte what the operator's command writes. The whole chain is
always published (a verifier needs every link); only payloads are withheld:

* `ballot.cast` of a hidden-tally proposal that is still open — the choices would give
  away the tally the proposal hides; they are published as soon as it closes;
* `arena.battle` / `arena.rating` of a battle not yet revealed — the model names and
  early ratings would break the blind test; published at the reveal;
* with a community given, every other community's entries — one deployment may host
  communities that never agreed to publish anything.

A withheld entry keeps its index, links, hash, time, kind and subject.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from handlers.audit.logfile import LogEntry, from_stored, to_line, withhold
from storage import Storage
from storage.repos.published import Sealed

SEALED_BALLOT = "hidden-tally ballot: published when the proposal closes"
SEALED_BATTLE = "arena battle not yet revealed: published at the reveal"
OTHER_COMMUNITY = "another community's entry"


def withheld_reason(entry: LogEntry, sealed: Sealed, community_id: int | None) -> str | None:
    """Why this entry's payload is not published now (None: publish it)."""
    if community_id is not None and entry.community not in (None, community_id):
        return OTHER_COMMUNITY
    kind, subject = entry.kind, entry.subject
    if kind == "ballot.cast" and _id(subject, "proposal:") in sealed.proposals:
        return SEALED_BALLOT
    if kind in ("arena.battle", "arena.rating") and _id(subject, "battle:") in sealed.battles:
        return SEALED_BATTLE
    return None


def _id(subject: str, prefix: str) -> int | None:
    tail = subject.removeprefix(prefix)
    return int(tail) if subject.startswith(prefix) and tail.isdigit() else None


async def published(
    storage: Storage,
    *,
    community_id: int | None = None,
    since: int = 0,
    limit: int | None = None,
    head: int | None = None,
) -> AsyncIterator[LogEntry]:
    """Entries after index `since` (at most `limit`), as anyone may read them now.

    The head is read before what is sealed, and nothing past it is written: a hidden
    proposal opened meanwhile has all its entries past that head, so none can slip out
    unsealed. (A caller that read the head itself passes it as `head`.)
    """
    if head is None:
        head, _ = await storage.audit.tip()
    sealed = await storage.public.sealed()
    room = max(0, head - since)
    limit = room if limit is None else min(limit, room)
    if limit == 0:
        return
    async for entry, text in storage.audit.entries(since=since, limit=limit):
        logged = from_stored(entry, text)
        reason = withheld_reason(logged, sealed, community_id)
        yield logged if reason is None else withhold(logged, reason)


async def published_lines(
    storage: Storage, *, community_id: int | None = None, since: int = 0, limit: int | None = None
) -> AsyncIterator[str]:
    """The same as lines of text, each ending in a newline."""
    async for entry in published(storage, community_id=community_id, since=since, limit=limit):
        yield to_line(entry) + "\n"
