"""Malformed Discord gateway events: the bot answers the next interaction as usual.

The real discord.py client runs against the local fake gateway (tests/harness/fakes). Hypothesis
mutates well-formed INTERACTION_CREATE payloads (a slash /vote, /propose, a vote button)
and MESSAGE_REACTION_ADD events — fields dropped, wrong types, hostile text — and
dispatches each. After every one a normal `/proposals` must get its interaction
callback, and no exception raised through our code may be logged at ERROR.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.harness.discord_env import start_discord
from tests.robustness.logcheck import ErrorLog
from tests.robustness.strategies import mutated

# discord.py trusts the gateway's documented shapes: dropping a field it reads
# (`attachment_size_limit`) or a snowflake that is not a number makes its parser raise,
# the event is lost and the session reconnects; an interaction with no member/user
# reaches our actor mapping as a sentinel (bot/adapters/discord/people.py).
# So this fuzz keeps every field, its type and every id, and makes the text
# hostile (names, option values, emoji, locale, custom ids).
KEEP = frozenset(
    {"id", "guild_id", "channel_id", "message_id", "user_id", "application_id"}
    | {"message_author_id", "token", "roles", "permissions", "app_permissions", "joined_at"}
    | {"authorizing_integration_owners", "guild", "channel"}
)


def test_malformed_gateway_events_leave_the_bot_answering(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    dc = run(start_discord(tmp_path))
    fake = dc.fake
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    try:
        with ErrorLog() as errors:
            opened = fake.slash("propose", alice, {"title": "Lunch", "choices": "yes | no"})
            run(fake.send_interaction(opened))
            run(fake.wait_callback(opened["id"]))
            run(asyncio.sleep(0.2))
            card = next(iter(fake.messages.values()))
            buttons = fake.buttons_of(card)
            bases: list[tuple[str, dict[str, Any]]] = [
                ("INTERACTION_CREATE", fake.slash("vote", bob, {"id": 1, "ballot": "yes"})),
                (
                    "INTERACTION_CREATE",
                    fake.slash("propose", bob, {"title": "T", "choices": "a|b"}),
                ),
                ("INTERACTION_CREATE", fake.button(bob, card, buttons[0]["custom_id"])),
                (
                    "MESSAGE_REACTION_ADD",
                    {
                        "user_id": str(bob.id),
                        "channel_id": str(fake.channel_id),
                        "message_id": str(card["id"]),
                        "guild_id": str(fake.guild_id),
                        "emoji": {"id": None, "name": "👍"},
                        "member": bob.member_payload(),
                        "message_author_id": str(alice.id),
                        "burst": False,
                        "type": 0,
                    },
                ),
            ]
            bases = copy.deepcopy(bases)

            @settings(
                max_examples=40,
                deadline=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(data=st.data(), which=st.integers(0, len(bases) - 1))
            def one(data: st.DataObject, which: int) -> None:
                errors.records.clear()
                event, base = bases[which]
                payload = data.draw(mutated(base, KEEP, retype=False, drop=False), label=event)
                if event == "INTERACTION_CREATE":  # a fresh id and token, as Discord sends
                    payload["id"] = str(fake.snowflake())
                run(fake.dispatch(event, payload))
                probe = fake.slash("proposals", bob)
                run(fake.send_interaction(probe))
                run(fake.wait_callback(probe["id"], timeout=15))
                run(asyncio.sleep(0.02))  # let the mutated event's own errors surface
                assert not errors.records, errors.describe()

            one()
    finally:
        run(dc.close())
        loop.close()
