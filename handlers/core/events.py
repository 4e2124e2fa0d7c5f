"""Typed domain events: how one feature tells the others that something happened.

A feature publishes a frozen event (a ballot was cast, a battle rated, a proposal
closed, a reaction changed, a message posted); the features that care subscribe a
listener for that event's type in their `Feature`. Publishers never import their
subscribers, so reputation can count votes without voting knowing reputation exists.

Listeners run in subscription order. A listener's failure is logged with the event and
never breaks the publisher (a ballot stays stored even if crediting it failed). Checks
are the one exception by design: a check runs *before* an action and refuses it by
raising a domain error (e.g. a minimum reputation to propose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handlers.core.bus import Check, DomainEvent, EventBus, Listener
from handlers.core.types import JoinRequest, Posted, Reaction

if TYPE_CHECKING:
    from handlers.core.context import Context
    from storage.records import MemberRecord, ProposalRecord

__all__ = [
    "BallotCast",
    "BattleRated",
    "Check",
    "CouncilSeatsChanged",
    "DomainEvent",
    "EventBus",
    "JoinRequested",
    "Listener",
    "MessagePosted",
    "ProposalClosed",
    "ProposalOpening",
    "ReactionChanged",
    "ReputationRecomputed",
    "ResultStatus",
    "WalletLinked",
    "WalletUnlinked",
]


@dataclass(frozen=True, slots=True)
class ReactionChanged(DomainEvent):
    """A member added or removed a reaction on a message (any platform)."""

    context: Context
    reaction: Reaction


@dataclass(frozen=True, slots=True)
class MessagePosted(DomainEvent):
    """A member posted a message (its text is kept only by summaries, see Posted)."""

    context: Context
    posted: Posted


@dataclass(frozen=True, slots=True)
class BallotCast(DomainEvent):
    """A member's ballot on a proposal was stored (a replaced ballot is cast again)."""

    context: Context
    proposal: ProposalRecord
    voter: MemberRecord


@dataclass(frozen=True, slots=True)
class BattleRated(DomainEvent):
    """A member's first rating of an arena battle was stored."""

    context: Context
    battle: Any  # storage.repos.arena.BattleRecord
    rater: MemberRecord


@dataclass(frozen=True, slots=True)
class ProposalClosed(DomainEvent):
    """A proposal was closed and its result stored, exactly once."""

    proposal: ProposalRecord


@dataclass(frozen=True, slots=True)
class ProposalOpening(DomainEvent):
    """A member is about to open a proposal: checks may refuse it."""

    context: Context


@dataclass(frozen=True, slots=True)
class ResultStatus(DomainEvent):
    """A closed proposal's result card is being drawn: a listener may answer with a short
    note on what became of the result since (e.g. "subject to veto until …"), one Reply
    per note; the card appends the notes' texts to its result line."""

    proposal: ProposalRecord


@dataclass(frozen=True, slots=True)
class WalletLinked(DomainEvent):
    """A member's wallet link was stored (by /verify or the signing page)."""

    member: MemberRecord
    address: str


@dataclass(frozen=True, slots=True)
class WalletUnlinked(DomainEvent):
    """A member removed their linked wallet."""

    member: MemberRecord
    address: str


@dataclass(frozen=True, slots=True)
class ReputationRecomputed(DomainEvent):
    """A community's reputation snapshot was computed again."""

    community_id: int


@dataclass(frozen=True, slots=True)
class CouncilSeatsChanged(DomainEvent):
    """Members were seated on, or recalled from, a council."""

    community_id: int
    council_id: int


@dataclass(frozen=True, slots=True)
class JoinRequested(DomainEvent):
    """Someone asked to join a group that admits members by request (Telegram)."""

    context: Context
    request: JoinRequest
