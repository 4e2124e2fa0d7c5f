"""The score: decay, trust-seeded PageRank against a ring, a breakdown that adds up."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from handlers.reputation.pagerank import trust_rank
from tests.reputation.helpers import helpful, new_message, person, post, react, rep, score

DAY = 86400.0


async def test_decay_halves_a_credit_after_one_half_life(core, clock) -> None:
    await react(core, person("admin", admin=True), person("bob"), new_message())
    before = await score(core, "bob")
    assert before == pytest.approx(1.0)
    clock.advance(core.deps.reputation.policy.half_life_days * DAY)
    assert await score(core, "bob") == pytest.approx(before / 2, rel=1e-9)
    clock.advance(core.deps.reputation.policy.half_life_days * DAY)
    assert await score(core, "bob") == pytest.approx(before / 4, rel=1e-9)


async def test_ring_of_fresh_accounts_earns_almost_nothing(core, clock) -> None:
    """Through the whole bot: members an admin credited are trusted; a ring that one of
    them credits every day still earns next to nothing from crediting itself.

    (Members used to become trusted seeds by being around 30 days; age alone no longer
    makes anyone trusted, so the established members here earn it from the admin.)
    """
    admin = person("admin", admin=True)
    established = [person(f"member{i}") for i in range(20)]
    hannah = person("hannah")
    questions = [await post(core, m) for m in established]
    for question, member in zip(questions, established, strict=True):
        for emoji in ("👍", "🎉", "🙏"):
            await react(core, admin, member, question, emoji)
    clock.advance(DAY)
    for i, (asker, question) in enumerate(zip(established, questions, strict=True)):
        answer = await post(core, hannah, question, asker)
        if i % 2:
            await helpful(core, asker, hannah, answer)
        else:
            await react(core, asker, hannah, answer, "✅")
    # Ten fresh members (old platform accounts, so no age rule saves us: the graph has
    # to) credit each other 100 times each over ten days; member0 credits ring0 daily.
    ring = [person(f"ring{i}") for i in range(10)]
    for day in range(10):
        sends = [react(core, established[0], ring[0], new_message())]
        for i, giver in enumerate(ring):
            for k in range(10):
                receiver = ring[(i + 1 + (day + k) % 9) % 10]
                sends.append(react(core, giver, receiver, new_message()))
        await asyncio.gather(*sends)
        clock.advance(DAY)
    counted = await core.storage.contributions.count(counted=True)
    assert counted > 900  # the ring's credits are logged and counted…
    hannah_score = await score(core, "hannah")
    ring_total = sum([await score(core, member.user_id) for member in ring])
    assert hannah_score > 50
    assert ring_total < 0.05 * hannah_score  # …but worth next to nothing
    # …less even than the ten reactions member0 gave ring0 would be worth at face value
    assert ring_total < 10 * 0.5


async def test_rep_breakdown_adds_up_to_the_score(core) -> None:
    admin, bob, carol = person("admin", admin=True), person("bob"), person("carol")
    await react(core, admin, bob, new_message(), "🙏")
    await react(core, carol, bob, new_message(), "🎉")
    question = await post(core, carol)
    answer = await post(core, bob, question, carol)
    await helpful(core, admin, bob, answer)
    await post(core, admin, answer, bob)  # admin replies to bob's answer
    await core.dispatch(
        __import__("handlers.core.types", fromlist=["Event"]).Event(
            bob,
            __import__("tests.reputation.helpers", fromlist=["WHERE"]).WHERE,
            __import__("handlers.core.types", fromlist=["Command"]).Command(
                "propose", "Lunch | a | b"
            ),
        )
    )
    from tests.conftest import run_command

    await run_command(core, "bob", "/vote 1 a")
    result = await rep(core, bob)
    assert len(result["parts"]) >= 4
    assert sum(result["parts"].values()) == pytest.approx(result["score"], abs=1e-12)
    assert sum(result["shown_parts"].values()) == pytest.approx(result["shown_total"])
    assert f"{result['shown_total']:.1f}" in result["text"]
    assert "Top sources: admin" in result["text"]
    assert "votes cast 0.5" in result["text"]


def test_trust_rank_matches_networkx_personalized_pagerank() -> None:
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(7)
    n, m = 60, 400
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = src != dst
    src, dst, weight = src[keep], dst[keep], rng.uniform(0.1, 2.0, keep.sum())
    seeds = np.array([0, 3, 9])
    ours = trust_rank(n, src, dst, weight, seeds)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for a, b, w in zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True):
        old = graph.get_edge_data(a, b, {"weight": 0.0})["weight"]
        graph.add_edge(a, b, weight=old + w)
    restart = {i: (1.0 if i in seeds else 0.0) for i in range(n)}
    theirs = nx.pagerank(
        graph, alpha=0.85, personalization=restart, dangling=restart, tol=1e-12, max_iter=500
    )
    assert np.allclose(ours, [theirs[i] for i in range(n)], atol=1e-8)
    assert ours.sum() == pytest.approx(1.0)
