"""The console's /age backdates members, but age alone never makes a seed: trust is
earned from trusted members' credits (an admin's, here)."""

from __future__ import annotations

import io

from bot.adapters.console import ConsoleAdapter


async def test_age_alone_does_not_make_a_seed_credit_from_an_admin_does(core) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(), stdout=out)
    # the admin shows up first (a trusted seed); every line is numbered, so carol's
    # message is #5, ring's #7, dave's #9
    for line in ("/as admin", "/rep", "/as carol", "hello", "/as ring", "hi", "/as dave", "yo"):
        await console.handle_line(line)
    await console.handle_line("/age carol 45")
    assert "Aged carol by 45 days: 1 member(s)." in out.getvalue()
    await console.handle_line("/age nobody 45")
    assert 'No member called "nobody"' in out.getvalue()
    await console.handle_line("/as carol")
    await console.handle_line("/react 9 👍")  # carol → dave: carol is old, not trusted
    await console.handle_line("/as ring")
    await console.handle_line("/react 5 👍")  # ring → carol: ring is untrusted
    await console.handle_line("/rep dave")
    await console.handle_line("/rep carol")
    text = out.getvalue()
    assert "dave has no reputation yet" in text or "Reputation of dave: 0.0" in text
    assert "carol has no reputation yet" in text or "Reputation of carol: 0.0" in text
    # An admin (a seed) credits carol three times: now her credit to dave counts in full.
    await console.handle_line("/as admin")
    for emoji in ("👍", "🎉", "🙏"):
        await console.handle_line(f"/react 5 {emoji}")
    await console.handle_line("/rep dave")
    await console.handle_line("/rep carol")
    text = out.getvalue()
    assert "Reputation of dave: 1.0" in text
    assert "Reputation of carol: 3.5" in text  # the admin's 1 + 1 + 1.5; ring's 👍 ~0
