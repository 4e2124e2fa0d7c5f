"""/receipt <hash>: a member checks that their ballot is in the audit log.

A ballot's receipt is the hash of its `ballot.cast` entry. The reply says at which
index of the log it sits, for which proposal, and whether it is the ballot that counts
or was replaced by a later one. The choice is shown (the log publishes it anyway)
except on a hidden-tally proposal that is still open, where it stays sealed like the
tally. Receipts of other communities are not found here.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.audit.policy import community_url, page_on
from handlers.core.context import Context
from handlers.core.errors import BadArguments, NotFound
from handlers.core.markup import bold, code
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.proposals.cards import when
from handlers.voting.ballots import decode_selection, format_selection

USAGE = "/receipt <hash> — the 64-character receipt shown when you voted"
RECEIPT = re.compile(r"^[0-9a-f]{64}$")

COMMANDS = Registry()


@COMMANDS.command(
    "receipt",
    "check that your ballot is in the audit log",
    USAGE,
    Param("hash", str, "the receipt shown when you voted", max_length=80),
    private=True,
)
async def receipt(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    digest = args["hash"].strip().lower()
    if not RECEIPT.match(digest):
        raise BadArguments("A receipt is 64 hexadecimal characters.", usage=USAGE)
    deps = ctx.deps
    community = await ctx.community()
    entry = await deps.storage.audit.by_hash(digest)
    if entry is None or entry.community_id != community.id:
        raise NotFound(f"No audit entry here has the hash {code(digest[:16])}….", usage=USAGE)
    if entry.kind != "ballot.cast":
        raise NotFound(
            f"Entry {entry.seq} has that hash, but it is a {entry.kind} entry, not a ballot.",
            usage=USAGE,
        )
    proposal = await deps.storage.proposals.by_id(int(entry.payload["proposal"]))
    if proposal is None:  # the log outlived the row: `govbot audit verify` names this
        raise NotFound(f"Entry {entry.seq} is a ballot on a proposal that is gone.", usage=USAGE)
    current = await deps.storage.ballots.get(proposal.id, int(entry.payload["member"]))
    counts = current is not None and current.receipt == digest
    lines = [
        f"{bold('Receipt found')}: entry {entry.seq} of the audit log, a ballot on "
        f"#{proposal.number} {proposal.title} ({proposal.status}), cast {when(entry.at)}.",
    ]
    if proposal.hidden and proposal.status == "open":
        lines.append("Its choice stays sealed until the proposal closes (hidden tally).")
    else:
        selection = decode_selection(proposal.method, entry.payload["selection"])
        shown = format_selection(proposal.method, proposal.choices, selection)
        lines.append(f"Choice: {shown} · weight {float(entry.payload['weight']):g}")
    if counts:
        verb = "counted" if proposal.status == "closed" else "counts"
        lines.append(f"It is the ballot that {verb}.")
    else:
        lines.append("A later ballot by the same voter replaced it; that one counts.")
    home = community_url(deps.audit.public, community.id)
    if home is not None and page_on(deps.audit.public, community.settings):
        lines.append(f"Check it yourself: {home}audit.jsonl")
    meta = {"index": entry.seq, "proposal": proposal.number, "counts": counts}
    return [Reply("\n".join(lines), private=True, meta=meta)]
