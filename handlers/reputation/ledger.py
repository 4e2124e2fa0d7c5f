"""Ledger rules: what a reaction, reply, helpful mark, vote or passed proposal is worth,
and which of them are not counted.

Not counted (stored with the reason, so the ledger explains itself): crediting yourself
("self"), credits from an account younger than the minimum age where the platform tells
it ("young_account"), and — checked by the storage layer inside the ingesting
transaction so it holds across processes — more than `daily_cap` counted credits from
one member to another per UTC day ("daily_cap"). The bot's own messages earn nothing:
reactions and replies to them are not logged at all (the bot is not a member).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.reputation.policy import ReputationPolicy, normalise_emoji
from storage.records import MemberRecord
from storage.repos.contributions import NewContribution

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Place:
    """Where a credit happened (no message text, ever)."""

    platform: str
    channel_id: str
    message_id: str | None


def account_created(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


def is_young(policy: ReputationPolicy, created: datetime | float | None, now: float) -> bool:
    """Younger than the minimum account age — only where the platform tells the age."""
    when = account_created(created)
    return when is not None and now - when < policy.min_account_age_days * DAY


def weight_of(policy: ReputationPolicy, kind: str, place: Place, emoji: str | None) -> float:
    """kind weight × emoji weight (reactions) × channel weight."""
    weight = policy.kind_weight(kind) * policy.channel_weight(place.platform, place.channel_id)
    if kind == "reaction" and emoji is not None:
        weight *= policy.emoji_weight(emoji)
    return weight


def member_credit(
    policy: ReputationPolicy,
    kind: str,
    giver: MemberRecord,
    receiver: MemberRecord,
    place: Place,
    at: float,
    *,
    giver_created: datetime | float | None = None,
    emoji: str | None = None,
    subject: str | None = None,
) -> NewContribution:
    """A credit one member gives another, with the rules that decide whether it counts."""
    reason = None
    if giver.id == receiver.id:
        reason = "self"
    elif is_young(
        policy, giver_created if giver_created is not None else giver.account_created, at
    ):
        reason = "young_account"
    return NewContribution(
        community_id=receiver.community_id,
        kind=kind,
        giver_id=giver.id,
        receiver_id=receiver.id,
        platform=place.platform,
        channel_id=place.channel_id,
        message_id=place.message_id,
        emoji=normalise_emoji(emoji)[:64] if emoji else None,
        weight=weight_of(policy, kind, place, emoji),
        at=at,
        counted=reason is None,
        reason=reason,
        subject=subject,
        cap=policy.daily_cap,
    )


def minted_credit(
    policy: ReputationPolicy,
    kind: str,
    receiver: MemberRecord,
    place: Place,
    at: float,
    *,
    subject: str | None = None,
) -> NewContribution:
    """A credit the community itself mints (a vote cast, a proposal that passed)."""
    young = is_young(policy, receiver.account_created, at)
    return NewContribution(
        community_id=receiver.community_id,
        kind=kind,
        giver_id=None,
        receiver_id=receiver.id,
        platform=place.platform,
        channel_id=place.channel_id,
        message_id=place.message_id,
        emoji=None,
        weight=weight_of(policy, kind, place, None),
        at=at,
        counted=not young,
        reason="young_account" if young else None,
        subject=subject,
    )
