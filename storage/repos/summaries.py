"""Thread messages kept for summaries (storage/schema_summaries.py) and the per-proposal
rate limit.

Which proposal a message belongs to is found from what it replies to: a proposal's card
(the `cards` table) or a message already kept for a proposal; or from the forum topic
it is in, once that topic is known to hold a proposal. `purge` deletes the messages of
proposals closed (or cancelled) longer ago than the retention period. `claim_run` lets
exactly one caller per interval summarise a proposal, in any process sharing the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.schema import cards, proposals
from storage.schema_summaries import summary_messages, summary_runs, summary_topics


@dataclass(frozen=True, slots=True)
class KeptMessage:
    author: str
    text: str
    posted_at: float


class SummaryRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table):  # type: ignore[no-untyped-def]
        dialect = postgresql if self.db.dialect == "postgresql" else sqlite
        return dialect.insert(table)

    async def proposal_of_message(self, platform: str, channel: str, message: str) -> int | None:
        """The proposal whose card this is, or whose thread this kept message is in."""
        async with self.db.read() as conn:
            card = (
                await conn.execute(
                    select(cards.c.subject_id).where(
                        cards.c.kind == "proposal",
                        cards.c.platform == platform,
                        cards.c.channel_id == channel,
                        cards.c.message_id == message,
                    )
                )
            ).first()
            if card is not None:
                return int(card[0])
            kept = (
                await conn.execute(
                    select(summary_messages.c.proposal_id).where(
                        summary_messages.c.platform == platform,
                        summary_messages.c.channel_id == channel,
                        summary_messages.c.message_id == message,
                    )
                )
            ).first()
            return int(kept[0]) if kept is not None else None

    async def proposal_of_topic(self, platform: str, channel: str, thread: str) -> int | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(summary_topics.c.proposal_id).where(
                        summary_topics.c.platform == platform,
                        summary_topics.c.channel_id == channel,
                        summary_topics.c.thread_id == thread,
                    )
                )
            ).first()
            return int(row[0]) if row is not None else None

    async def remember_topic(
        self, platform: str, channel: str, thread: str, proposal_id: int
    ) -> None:
        statement = (
            self._insert(summary_topics)
            .values(
                platform=platform, channel_id=channel, thread_id=thread, proposal_id=proposal_id
            )
            .on_conflict_do_nothing()
        )
        async with self.db.write() as conn:
            await conn.execute(statement)

    async def keep(
        self,
        proposal_id: int,
        platform: str,
        channel: str,
        message: str,
        *,
        author: str,
        text: str,
        at: float,
    ) -> bool:
        """Keep one message's text; False when it was kept already (a redelivery)."""
        statement = (
            self._insert(summary_messages)
            .values(
                proposal_id=proposal_id,
                platform=platform,
                channel_id=channel,
                message_id=message,
                author=author,
                text=text,
                posted_at=at,
            )
            .on_conflict_do_nothing()
        )
        async with self.db.write() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def messages(self, proposal_id: int, platform: str, limit: int) -> list[KeptMessage]:
        """The newest `limit` kept messages of one proposal on one platform, oldest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(
                    summary_messages.c.author, summary_messages.c.text, summary_messages.c.posted_at
                )
                .where(
                    summary_messages.c.proposal_id == proposal_id,
                    summary_messages.c.platform == platform,
                )
                .order_by(summary_messages.c.posted_at.desc(), summary_messages.c.id.desc())
                .limit(limit)
            )
            return [KeptMessage(r[0], r[1], r[2]) for r in reversed(list(rows))]

    async def count(self, proposal_id: int | None = None) -> int:
        query = select(func.count()).select_from(summary_messages)
        if proposal_id is not None:
            query = query.where(summary_messages.c.proposal_id == proposal_id)
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def purge(self, now: float, retention_seconds: float) -> int:
        """Delete what is kept for proposals closed or cancelled before now - retention."""
        ended = select(proposals.c.id).where(
            proposals.c.status != "open",
            func.coalesce(proposals.c.closed_at, proposals.c.ends_at) <= now - retention_seconds,
        )
        async with self.db.write() as conn:
            gone = await conn.execute(
                delete(summary_messages).where(summary_messages.c.proposal_id.in_(ended))
            )
            await conn.execute(
                delete(summary_topics).where(summary_topics.c.proposal_id.in_(ended))
            )
            await conn.execute(delete(summary_runs).where(summary_runs.c.proposal_id.in_(ended)))
            return int(gone.rowcount or 0)

    async def claim_run(self, proposal_id: int, now: float, interval: float) -> float | None:
        """None when this caller may summarise now (the time is taken); otherwise the
        seconds to wait. One caller wins per interval, whichever process it runs in."""
        async with self.db.write() as conn:
            took = await conn.execute(
                self._insert(summary_runs)
                .values(proposal_id=proposal_id, last_at=now)
                .on_conflict_do_nothing()
            )
            if took.rowcount == 1:
                return None
            moved = await conn.execute(
                update(summary_runs)
                .where(
                    summary_runs.c.proposal_id == proposal_id,
                    summary_runs.c.last_at <= now - interval,
                )
                .values(last_at=now)
            )
            if moved.rowcount == 1:
                return None
            last = (
                await conn.execute(
                    select(summary_runs.c.last_at).where(summary_runs.c.proposal_id == proposal_id)
                )
            ).scalar_one()
            return max(1.0, float(last) + interval - now)

    async def release_run(self, proposal_id: int, at: float) -> None:
        """Give back a claim whose summary failed, so a retry is not rate limited."""
        async with self.db.write() as conn:
            await conn.execute(
                delete(summary_runs).where(
                    summary_runs.c.proposal_id == proposal_id, summary_runs.c.last_at == at
                )
            )
