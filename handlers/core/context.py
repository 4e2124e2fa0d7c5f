"""The per-event context a handler gets: the event, the deps, and lazy lookups."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.core.deps import Deps
from handlers.core.errors import WrongPlace
from handlers.core.types import Actor, Event
from storage.records import CommunityRecord, MemberRecord


@dataclass
class Context:
    event: Event
    deps: Deps
    _community: CommunityRecord | None = field(default=None, repr=False)
    _member: MemberRecord | None = field(default=None, repr=False)

    @property
    def actor(self) -> Actor:
        return self.event.actor

    @property
    def is_admin(self) -> bool:
        return self.event.actor.is_admin

    def now(self) -> float:
        return self.deps.clock.now()

    async def community(self) -> CommunityRecord:
        """The community this event belongs to, created (with its space mapping) on first sight."""
        if self._community is None:
            self._community = await resolve_community(self.deps, self.event)
        return self._community

    async def member(self) -> MemberRecord:
        """The acting member in this community, created on first sight."""
        if self._member is None:
            community = await self.community()
            actor = self.event.actor
            self._member = await self.deps.storage.members.ensure(
                community.id,
                actor.platform,
                actor.user_id,
                actor.display_name,
                account_created=actor.account_created.timestamp()
                if actor.account_created
                else None,
                now=self.now(),
            )
        return self._member


async def resolve_community(deps: Deps, event: Event) -> CommunityRecord:
    where = event.where
    communities = deps.storage.communities
    space = where.space_id
    if where.is_private:
        home = deps.communities.home_spaces.get(where.platform)
        if home is None:
            raise WrongPlace("Use this command in your community's chat, not in a private chat.")
        space = home
    community_id = await communities.find_space(where.platform, space)
    if community_id is None:
        key = f"{where.platform}:{space}"
        name = deps.communities.names.get(key, key)
        record = await communities.ensure(key, name)
        community_id = await communities.map_space(where.platform, space, record.id)
    return await communities.get(community_id)
