"""The public page per community, over HTTP on both engines and in headless Chromium.

Seeded with every kind of proposal, revealed arena battles and a reputation snapshot
(tests/audit/helpers.py). The HTTP tests read the HTML the server sends; the browser
test renders each page type in Debian's chromium, asserts on the DOM's text and saves
a screenshot of each under the test's tmp dir.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from markupsafe import escape

from bot.app import Core
from bot.public import routes
from bot.web import WebServer, WebSettings
from handlers.core.ports import ManualClock
from tests.audit.helpers import HOSTILE, seed
from tests.conftest import run_command
from tests.harness.browser import browser_page
from tests.harness.core import core_env

PUBLIC = {"public_pages": True, "public_url": "https://gov.example.org"}


@contextlib.asynccontextmanager
async def serving(core: Core) -> AsyncIterator[str]:
    server = WebServer(core, WebSettings(listen="127.0.0.1", port=0), routes(core))
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def get(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.text()


@pytest.fixture
async def site(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Any]:
    async with core_env(tmp_path, database_url=database_url, clock=clock, web=PUBLIC) as core:
        seeded = await seed(core)
        async with serving(core) as base:
            yield core, base, seeded


def visible(page: str) -> str:
    """The page's text with tags dropped and entities decoded (what a reader sees)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_community_page_shows_proposals_arena_reputation_and_the_log(site) -> None:
    core, base, _ = site
    status, headers, page = await get(f"{base}/c/1/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "<script" not in page.lower()  # nothing executable, ours or injected
    text = visible(page)
    # open and closed proposals with their results
    assert "#5 Roadmap" in text and "#1 Lunch" in text and "#4 Scrap it" in text
    lunch = await core.storage.proposals.get(1, 1)
    assert lunch is not None and lunch.result_hash in text
    assert 'passed: "pizza" wins' in text
    assert page.count('class="chart"') >= 4  # result charts, live tallies, the arena
    # the hidden tally stays hidden: a count, no bars
    hidden = page.split('id="proposal-6"')[1].split('id="proposal-')[0]
    assert "hidden until the proposal closes" in hidden and "<svg" not in hidden
    # the arena leaderboard from the revealed battles, with its chart
    standings = await core.storage.arena.rated(1)
    for model in {r.model_a for r in standings} | {r.model_b for r in standings}:
        assert model in text
    assert 'id="arena-chart"' in page
    # the reputation top list, by display name only
    reputation = text.split("Reputation")[-1]
    assert "bob" in reputation and "alice" in reputation
    head, digest = await core.storage.audit.tip()
    assert 'href="/c/1/audit.jsonl"' in page and digest in text and f"{head} entries" in text


async def test_hostile_titles_and_names_are_escaped(site) -> None:
    core, base, _ = site
    await run_command(core, "<b>mallory</b>", "/vote 7 &lt;i&gt;yes")
    for path in ("/c/1/", "/c/1/p/7"):
        _, _, page = await get(base + path)
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>mallory" not in page
        assert str(escape(HOSTILE)) in page  # the title, escaped once, and shown
        assert "&amp;lt;i&amp;gt;yes" in page  # already-escaped text is escaped again
    assert "<b>mallory</b>" in visible(page)


async def test_proposal_page_lists_ballots_with_voters_and_receipts(site) -> None:
    core, base, _ = site
    lunch = await core.storage.proposals.get(1, 1)
    assert lunch is not None
    ballots = await core.storage.ballots.for_proposal(lunch.id)
    names = await core.storage.members.names({b.member_id for b in ballots})
    status, _, page = await get(f"{base}/c/1/p/1")
    assert status == 200
    rows = re.findall(r'<tr class="ballot">(.*?)</tr>', page, re.S)
    assert len(rows) == len(ballots) == 3
    text = visible(page)
    for ballot in ballots:
        assert ballot.receipt in text and names[ballot.member_id] in text
    # platform account ids never show: console user ids equal names, so check a platform
    # one is not needed here; member numbers are not shown either
    assert "member_id" not in page


async def test_private_ballots_show_receipts_only(site) -> None:
    core, base, _ = site
    replies = await run_command(core, "admin", "/config ballots_private yes", admin=True)
    assert "ballots_private is now yes" in replies[0].text
    _, _, page = await get(f"{base}/c/1/p/1")
    text = visible(page)
    lunch = await core.storage.proposals.get(1, 1)
    assert lunch is not None
    ballots = await core.storage.ballots.for_proposal(lunch.id)
    names = await core.storage.members.names({b.member_id for b in ballots})
    assert all(b.receipt in text for b in ballots)
    rows = " ".join(re.findall(r'<tr class="ballot">(.*?)</tr>', page, re.S))
    assert not any(name in visible(rows) for name in names.values())
    assert "only receipts are listed" in text


async def test_hidden_tally_ballots_appear_when_it_closes(site) -> None:
    core, base, seeded = site
    _, _, page = await get(f"{base}/c/1/p/6")
    assert seeded["sealed_receipt"] not in page and "published when it closes" in visible(page)
    assert "blue" not in visible(page).split("Ballots")[-1]
    await run_command(core, "carol", "/close 6")
    _, _, page = await get(f"{base}/c/1/p/6")
    text = visible(page)
    assert seeded["sealed_receipt"] in text and "dave" in text and "blue" in text


async def test_unknown_and_unpublished_get_a_404_page(site, tmp_path: Path) -> None:
    core, base, _ = site
    for path in ("/c/9/", "/c/1/p/99", "/c/1/p/abc", "/c/nope/", "/c/1/whatever", "/c/9/p/1"):
        status, headers, page = await get(base + path)
        assert status == 404, path
        assert headers["Content-Type"].startswith("text/html") and 'id="not-found"' in page
    status, _, _ = await get(f"{base}/c/9/audit.jsonl")
    assert status == 404
    # a community that turns its page off is gone at once, log included
    await run_command(core, "admin", "/config public_page no", admin=True)
    for path in ("/c/1/", "/c/1/p/1", "/c/1/audit.jsonl"):
        assert (await get(base + path))[0] == 404


async def test_pages_are_off_by_default(tmp_path: Path, clock: ManualClock) -> None:
    async with core_env(tmp_path, clock=clock) as core:
        await run_command(core, "alice", "/propose Lunch | pizza | sushi")
        async with serving(core) as base:
            for path in ("/c/1/", "/c/1/p/1", "/c/1/audit.jsonl"):
                assert (await get(base + path))[0] == 404
        replies = await run_command(core, "alice", "/proposals")
        assert "/c/1/p/" not in replies[0].text  # no link to a page that is not served


async def test_cards_link_to_the_proposal_page(site) -> None:
    core, _, _ = site
    card = await run_command(core, "alice", "/propose Picnic | park | beach")
    assert "Page: https://gov.example.org/c/1/p/8" in card[0].text
    closed = await run_command(core, "alice", "/close 8")
    assert any("Page: https://gov.example.org/c/1/p/8" in r.text for r in closed)


# ----------------------------------------------------------------------------- browser


async def test_headless_chromium_renders_each_page_type(tmp_path: Path, clock: ManualClock) -> None:
    async with core_env(tmp_path, clock=clock, web=PUBLIC) as core:
        seeded = await seed(core)
        async with serving(core) as base, browser_page(tmp_path / "profile") as tab:
            shots = tmp_path / "screenshots"
            shots.mkdir()

            await tab.open(f"{base}/c/1/")
            assert await tab.text("h1") == "console"
            open_text = await tab.text("#open")
            assert "#5 Roadmap" in open_text and seeded["hostile"] in open_text
            assert "tally is hidden until the proposal closes" in open_text
            closed_text = await tab.text("#closed")
            assert 'passed: "pizza" wins' in closed_text and "Round 1" in closed_text
            assert await tab.count("#closed svg.chart rect") >= 8
            arena_text = await tab.text("#arena")
            assert "Battles" in arena_text and "demo-" in arena_text
            assert await tab.count("#arena-chart circle") >= 2
            assert "bob" in await tab.text("#reputation")
            assert await tab.evaluate("document.querySelectorAll('script').length") == 0
            assert (await tab.screenshot(shots / "community.png")).stat().st_size > 10_000

            await tab.open(f"{base}/c/1/p/1")
            assert (await tab.text("#title")) == "#1 Lunch"
            ballots = await tab.text("#ballots")
            lunch = await core.storage.proposals.get(1, 1)
            assert lunch is not None
            for ballot in await core.storage.ballots.for_proposal(lunch.id):
                assert ballot.receipt in ballots
            assert "bob" in ballots and "pizza" in ballots
            assert (await tab.screenshot(shots / "proposal.png")).stat().st_size > 5_000

            await tab.open(f"{base}/c/1/p/7")
            assert (await tab.text("#title")) == f"#7 {seeded['hostile']}"  # shown, not run
            assert await tab.evaluate("document.querySelectorAll('img').length") == 0
            await tab.screenshot(shots / "hostile.png")

            await tab.open(f"{base}/c/1/p/404")
            assert "no proposal #404" in await tab.text("#not-found")
            await tab.screenshot(shots / "not-found.png")

        assert sorted(p.name for p in shots.iterdir()) == [
            "community.png",
            "hostile.png",
            "not-found.png",
            "proposal.png",
        ]
