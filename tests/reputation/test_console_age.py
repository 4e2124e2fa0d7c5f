"""The console's /age plays an established community: aged members become seeds."""

from __future__ import annotations

import io

from bot.adapters.console import ConsoleAdapter


async def test_age_makes_members_trusted_seeds(core) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(), stdout=out)
    for line in ("/as carol", "hello", "/as ring", "hi", "/as dave", "yo"):
        await console.handle_line(line)
    await console.handle_line("/age carol 45")
    assert "Aged carol by 45 days: 1 member(s) (now trusted seeds)" in out.getvalue()
    await console.handle_line("/age nobody 45")
    assert 'No member called "nobody"' in out.getvalue()
    await console.handle_line("/as carol")
    await console.handle_line("/react 6 👍")  # carol (a seed) → dave counts in full
    await console.handle_line("/as ring")
    await console.handle_line("/react 4 👍")  # ring → itself? no: message 4 is ring's own
    await console.handle_line("/react 2 👍")  # ring → carol: ring is untrusted
    await console.handle_line("/rep dave")
    await console.handle_line("/rep carol")
    text = out.getvalue()
    assert "Reputation of dave: 1.0" in text
    assert "carol has no reputation yet" in text or "Reputation of carol: 0.0" in text
