"""`govbot demo`: a scripted community plays one proposal of each method, splits a grant
budget by Equal Shares, creates a council (members stand, the clock moves through
nominations and an STV election, the winners are seated, the council vetoes a treasury
proposal), reminds voters, summarises a discussion (offline provider), closes a reward
epoch, writing its payout files (CSV, Safe batch, Merkle tree), and plays a credit
dispute from opening to ruling (a jury drawn by reputation votes privately, the ruling
voids the credit).

It drives the real console adapter (the same handlers every platform uses) with a
script on a fresh database in the output folder, prints the transcript, writes the
result charts there, and finishes with the audit verification. Time is a manual clock:
a script line `~wait <hours> <why>` moves it and runs the scheduled jobs, as
`govbot run` would when that much time had passed.
"""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.app import Core, build_core
from bot.settings import Settings
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from handlers.core.types import Actor, Command, Event, Where
from handlers.reach.reminders import send_due
from handlers.reach.roles.policy import RoleRule

SCRIPT = """\
/help vote
/as admin
/propose Adopt the community code of conduct method=basic hours=24 quorum=50%
/describe 1 The draft lives in the wiki; abstain if you have not read it.
/propose Which model do we fine-tune next? | llama | mistral | qwen | phi method=ranked
/propose Where do we meet? | Discord stage | Telegram voice chat | Jitsi method=approval
/propose Split the compute grant | evals | fine-tuning | hosting method=weighted
/propose Fund the hackathon prizes | yes | no method=quadratic
/propose Logo colour | teal | orange profile=treasury
/proposals
/as alice
/vote 1 for
/vote 2 mistral > qwen > llama
/vote 3 Discord stage, Jitsi
/vote 4 evals=50, fine-tuning=30, hosting=20
/vote 5 yes=80, no=20
/vote 6 teal
/as bob
/vote 1 against
/vote 2 llama > qwen > mistral
/vote 3 Jitsi
/vote 4 hosting=100
/vote 5 no
/vote 6 orange
/as carol
/vote 1 abstain
/vote 2 qwen > mistral > llama
/vote 3 Telegram voice chat, Jitsi
/vote 4 evals=1, fine-tuning=1
/vote 5 yes
/press 17 teal
/as dave
/vote 1 for
/vote 2 llama > mistral > qwen
/vote 2 phi > mistral
/vote 5 yes=10, no=90
/vote 6 purple
/as erin
/vote 2 qwen > mistral
/vote 4 fine-tuning
/vote 1 maybe
Thanks everyone, results below.
/react 49 👍
/reply 49 /proposal 2
/as admin
/close 1
/close 2
/close 3
/close 4
/close 5
/close 6
/arena Explain recursion to a child
~wait 1m the raters read both answers
/as alice
/press 95 1
/as bob
/press 95 2
/as carol
/press 95 1
/as dave
/press 95 3
/as erin
/press 95 1
/leaderboard
/rep alice
/top
/as admin
/council create Stewards seats=2 term=90 method=stv veto_profiles=treasury veto_hours=24
/propose Q1 grants | evals 4000 | hosting 2500 | red-teaming 3000 method=budget budget=6000
/as ann
/stand Stewards
/as bob
/stand Stewards
/as cyd
/stand Stewards
/stand Stewards
/as dee
/stand Stewards
/as alice
/vote 7 evals, hosting
/as bob
/vote 7 evals
/as carol
/vote 7 hosting, red-teaming
/as dave
/vote 7 red-teaming
/as erin
/vote 7 evals, red-teaming
/as admin
/close 7
~wait 49 nominations close: the election opens with the four candidates
/as alice
/vote 8 ann > bob > cyd
/as bob
/vote 8 ann > cyd
/as carol
/vote 8 cyd > dee
/as dave
/vote 8 dee > cyd
/as erin
/vote 8 cyd > ann
~wait 72 the election closes: the winners take their seats
/council Stewards
/as admin
/propose Buy a GPU node | yes | no profile=treasury
/as alice
/vote 9 yes
/as bob
/vote 9 yes
/as carol
/vote 9 yes
/as admin
/close 9
~wait 1 the council's veto vote is posted
/as ann
/vote 10 for
/as cyd
/vote 10 for
~wait 24 the veto window ends
/proposal 9
/as admin
/propose Next meetup | Friday | Saturday hours=2 quorum=4
/as alice
/roles
/remind on
/as bob
/vote 11 Friday
/as alice
/reply ~card11 I prefer Friday: people can travel home the day after
/as carol
/reply ~card11 against Friday, the venue is busy then; Saturday is cheaper
/as dave
/reply ~card11 Could we stream it for remote members?
/summary 11
/as admin
/credit alice 12 ran the arena session
/credit carol 6 wrote the council guide
/as bob
/praise alice clear write-up of the rules
/epoch
/as admin
/epoch close
/payouts 1
/as alice
/claim 1
"""

# Reward epoch: the demo's members link wallets from fixed keys (so the payout files are
# the same on every run) and are paid in an example ERC-20 with 18 decimals.
DEMO_TOKEN = "0x00000000000000000000000000000000000d3e70"
DEMO_MEMBERS = ("alice", "bob", "carol", "dave", "erin")


async def _open_epoch_and_link(core: Core) -> None:
    """Open epoch 1 before anything happens, and link the members' demo wallets."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    where = Where("console", "console", "main")
    admin = Actor("console", "admin", "admin", is_admin=True)
    await core.dispatch(Event(admin, where, Command("epoch", "")))
    for i, name in enumerate(DEMO_MEMBERS, 1):
        account = Account.from_key(i.to_bytes(32, "big"))
        actor = Actor("console", name, name)
        issued = await core.dispatch(Event(actor, where, Command("link", account.address)))
        record = await core.storage.nonces.nonce(issued[0].meta["nonce"])
        assert record is not None
        signature = account.sign_message(encode_defunct(text=record.message)).signature.hex()
        await core.dispatch(Event(actor, where, Command("verify", "0x" + signature)))
    print(f"Epoch 1 open; demo wallets linked for {', '.join(DEMO_MEMBERS)}.\n")


async def _payout_files(core: Core, settings: Settings, out: Path) -> list[Path]:
    from handlers.rewards.export import export

    written = []
    for fmt, suffix in (("csv", "csv"), ("safe", "safe.json"), ("merkle", "merkle.json")):
        text, _ = await export(
            core.storage, settings.rewards, community_id=None, number=1, fmt=fmt, at=time.time()
        )
        path = out / f"payouts-epoch-1.{suffix}"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# After the script the demo's clock moves this far, so the last proposal's 1 h reminder
# falls due and the reminder job runs once (a reminder in its place, one privately).
REMINDER_AFTER_SECONDS = 90 * 60

# A role that follows a rule (on the console a line in the chat stands for the platform
# role): the periodic re-check grants it once the arena and the votes earned reputation.
DEMO_ROLE = {"name": "trusted voters", "rule": "linked and reputation >= 1"}


async def _cards_named(core: Core, line: str) -> str:
    """`~card<N>` → the console message number of proposal N's card (for /reply)."""
    for number in re.findall(r"~card(\d+)", line):
        community = await core.storage.communities.find_space("console", "console")
        proposal = await core.storage.proposals.get(community or 0, int(number))
        places = (
            await core.storage.cards.find("proposal", proposal.community_id, proposal.id)
            if proposal
            else []
        )
        message = next((m for p, _c, m in places if p == "console"), "0")
        line = line.replace(f"~card{number}", message)
    return line


async def play(core: Core, console: ConsoleAdapter, clock: ManualClock, script: str) -> None:
    """Each line as typed in the console; `~wait <hours> <why>` (or `<N>m`, minutes)
    lets time pass and `~card<N>` names proposal N's card (so a line can reply to it)."""
    for line in script.splitlines():
        line = await _cards_named(core, line)
        if line.startswith("~wait "):
            _, amount, *why = line.split()
            minutes = amount.endswith("m")
            number = amount.removesuffix("m")
            clock.advance(float(number) * (60 if minutes else 3600))
            unit = ("minute" if minutes else "hour") + ("" if float(number) == 1 else "s")
            print(f"  … {number} {unit} later: {' '.join(why)}", flush=True)
            await core.close_due()  # the scheduled jobs, as `govbot run` runs them
            continue
        await console.handle_line(line)


async def _dispute_a_credit(core: Core, console: ConsoleAdapter, clock: ManualClock) -> None:
    """Dave disputes bob's praise of alice; whoever the draw picks votes (the draw depends
    on the audit chain's head, so the script cannot name the jurors in advance)."""
    alice = await core.storage.members.find_by_name(1, "alice")
    assert alice is not None
    praise = next(
        c
        for c, kind, _, _ in await core.storage.disputes.recent_credits([alice.id])
        if kind == "praise"
    )
    print("\n(a credit dispute: dave thinks bob's praise of alice was traded for votes)")
    await play(
        core,
        console,
        clock,
        "\n".join(
            [
                "/as admin",  # reviewers earn standing first: jurors are drawn by reputation
                *(f"/credit {n} 4 reviewed the council guide" for n in ("erin", "ann", "cyd")),
                "/as dave",
                "/rep alice",
                f"/dispute credit:{praise} bob and alice trade praise",
            ]
        ),
    )
    drawn = await core.storage.disputes.jurors(1, 1)
    names = await core.storage.members.names({j.member_id for j in drawn})
    votes = ["uphold", "uphold", "reject", "uphold", "uphold"]
    lines = [f"/as {names[j.member_id]}\n/juror d1 {votes[i % 5]}" for i, j in enumerate(drawn)]
    await play(
        core,
        console,
        clock,
        "\n".join(
            [
                *lines,
                "/disputes",
                "~wait 48 the jurors' deadline: votes revealed, the majority rules",
                "~wait 24 the appeal window closes: the ruling applies itself",
                "/rep alice",
                "/dispute d1",
            ]
        ),
    )


async def run_demo(settings: Settings, out: Path) -> int:
    """Play the script on a fresh database in `out`; exit code 0 when the audit verifies."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "demo.db"
    for leftover in out.glob("demo.db*"):
        leftover.unlink()
    settings = settings.model_copy(
        update={
            "database_url": f"sqlite:///{database}",
            "charts_dir": out / "charts",
            "summaries": settings.summaries.model_copy(update={"enabled": True}),
            "roles": [*settings.roles, RoleRule.model_validate(DEMO_ROLE)],
            "rewards": settings.rewards.model_copy(
                update={"token": DEMO_TOKEN, "symbol": "GOV", "decimals": 18, "chain_id": 1}
            ),
            "disputes": settings.disputes.model_copy(
                update={"jury_size": 3, "deadline_hours": 48.0, "appeal_hours": 24.0}
            ),
        }
    )
    clock = ManualClock(time.time())
    core = await build_core(settings, clock=clock)
    try:
        await _open_epoch_and_link(core)
        console = ConsoleAdapter(core, stdin=io.StringIO(""), stdout=sys.stdout)
        core.adapters["console"] = console
        await play(core, console, clock, SCRIPT)
        clock.advance(REMINDER_AFTER_SECONDS)
        print(f"\n(the clock moves {REMINDER_AFTER_SECONDS // 60} minutes on; reminders run)")
        await core.route(await send_due(core.deps))
        files = await _payout_files(core, settings, out)
        await _dispute_a_credit(core, console, clock)
        report = await verify(core.storage)
    finally:
        await core.close()
    print()
    print(f"Database: {database}")
    print(f"Charts:   {out / 'charts'}")
    print(f"Payouts:  {', '.join(str(f) for f in files)}")
    if report.ok:
        print(
            f"Audit:    OK — {report.entries} entries chained, "
            f"{report.proposals_checked} results re-tallied, "
            f"{report.epochs_checked} reward epochs recomputed, "
            f"{report.seatings_checked} council seats matched to their election and "
            f"{report.draws_checked} dispute "
            f"{'jury' if report.draws_checked == 1 else 'juries'} re-drawn from the log"
        )
        return 0
    print(f"Audit:    FAILED — {report.problems[0]}")
    return 1
