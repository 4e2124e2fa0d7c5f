"""Roles that follow rules: `[[roles]]` granted, removed and gated as members qualify."""

from __future__ import annotations

from handlers.core.events import (
    CouncilSeatsChanged,
    JoinRequested,
    ReputationRecomputed,
    WalletLinked,
    WalletUnlinked,
)
from handlers.core.feature import Feature, Job
from handlers.reach.roles.commands import COMMANDS
from handlers.reach.roles.listeners import (
    on_join_request,
    on_linked,
    on_reputation,
    on_seats,
    on_unlinked,
)
from handlers.reach.roles.policy import RoleChecks
from handlers.reach.roles.sync import recheck

FEATURE = Feature(
    name="roles",
    commands=COMMANDS,
    listeners={
        WalletLinked: [on_linked],
        WalletUnlinked: [on_unlinked],
        ReputationRecomputed: [on_reputation],
        CouncilSeatsChanged: [on_seats],
        JoinRequested: [on_join_request],
    },
    jobs=[
        Job(
            "re-check roles that follow rules",
            recheck,
            every=lambda settings: settings.role_checks.interval_seconds,
        )
    ],
    settings=RoleChecks,
)
