"""`govbot demo`: a scripted community plays one proposal of each method, then elects a
council of two by STV and splits a grant budget by Equal Shares.

It drives the real console adapter (the same handlers every platform uses) with a
script on a fresh database in the output folder, prints the transcript, writes the
result charts there, and finishes with the audit verification.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from bot.app import build_core
from bot.settings import Settings
from handlers.audit.verify import verify

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
/propose Steering council | ann | bob | cyd | dee | eve method=stv seats=2
/propose Q1 grants | evals 4000 | hosting 2500 | red-teaming 3000 method=budget budget=6000
/as alice
/vote 7 ann > bob > cyd
/vote 8 evals, hosting
/as bob
/vote 7 ann > cyd
/vote 8 evals
/as carol
/vote 7 cyd > dee
/vote 8 hosting, red-teaming
/as dave
/vote 7 dee > cyd
/vote 8 red-teaming
/as erin
/vote 7 eve > ann
/vote 8 evals, red-teaming
/as admin
/close 7
/close 8
"""


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
        }
    )
    core = await build_core(settings)
    try:
        from bot.adapters.console import ConsoleAdapter

        console = ConsoleAdapter(core, stdin=io.StringIO(SCRIPT), stdout=sys.stdout)
        core.adapters["console"] = console
        await console.run()
        report = await verify(core.storage)
    finally:
        await core.close()
    print()
    print(f"Database: {database}")
    print(f"Charts:   {out / 'charts'}")
    if report.ok:
        print(
            f"Audit:    OK — {report.entries} entries chained, "
            f"{report.proposals_checked} results re-tallied from the log"
        )
        return 0
    print(f"Audit:    FAILED — {report.problems[0]}")
    return 1
