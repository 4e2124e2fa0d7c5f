"""Card buttons: one DynamicItem over the `gov:<action>:<arg>…` codec.

Everything a button needs travels in its custom_id, so a button pressed on a card sent
by a previous process (or before a restart) is matched by the template and handled;
no view has to be kept in memory. Views we send are stopped before sending, so
discord.py does not also store them (that would keep one View per card forever and
could dispatch a press twice).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from handlers.core.codec import encode
from handlers.core.markup import clean
from handlers.core.types import Button

if TYPE_CHECKING:
    from bot.adapters.discord.ports import InteractionSink

LABEL_LIMIT = 80
MAX_BUTTONS = 25  # five rows of five


class GovButton(discord.ui.DynamicItem[discord.ui.Button], template=r"gov:(?P<rest>.+)"):  # type: ignore[call-arg,misc]
    """Any govbot button; the press is handed to the adapter with the raw custom_id."""

    def __init__(self, button: discord.ui.Button) -> None:  # type: ignore[type-arg]
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button,  # type: ignore[type-arg,override]
        match: re.Match[str],
        /,
    ) -> GovButton:
        return cls(discord.ui.Button(label=item.label, custom_id=item.custom_id, style=item.style))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        sink: InteractionSink = interaction.client.adapter  # type: ignore[attr-defined]
        await sink.on_press(interaction, self.item.custom_id or "")


def make_view(buttons: tuple[Button, ...]) -> discord.ui.View:
    """A stopped View of GovButtons, rendered to components but never stored."""
    view = discord.ui.View(timeout=None)
    for button in buttons[:MAX_BUTTONS]:
        label = " ".join(clean(button.label).split())[:LABEL_LIMIT] or "?"
        view.add_item(
            GovButton(
                discord.ui.Button(
                    label=label,
                    custom_id=encode(button.action, button.args),
                    style=discord.ButtonStyle.primary,
                )
            )
        )
    view.stop()
    return view
