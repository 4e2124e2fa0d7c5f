"""`govbot audit verify`: exit 0 only when the chain and every result check out."""

from __future__ import annotations

from bot.settings import Settings
from handlers.audit.verify import verify
from storage import open_storage


async def verify_command(settings: Settings) -> int:
    storage = await open_storage(settings.database_url)
    try:
        report = await verify(storage)
    finally:
        await storage.close()
    if report.ok:
        print(
            f"audit OK: {report.entries} entries chained, "
            f"{report.proposals_checked} closed proposals re-tallied and matching, "
            f"{report.epochs_checked} reward epochs recomputed and matching"
        )
        return 0
    print(f"audit FAILED after {report.entries} good entries: {report.problems[0]}")
    return 1
