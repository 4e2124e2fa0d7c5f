"""`govbot audit verify` for roles: every stored role state is the last `role.changed`
entry the log holds for that member and role, and every such entry has its row."""

from __future__ import annotations

from storage import Storage


async def verify_roles(storage: Storage) -> tuple[int, str | None]:
    """(states checked, the first problem or None)."""
    logged: dict[tuple[int, str], dict[str, object]] = {}
    async for entry, _ in storage.audit.entries():
        if entry.kind == "role.changed" and entry.payload is not None:
            payload = entry.payload
            logged[(int(payload["member"]), str(payload["role"]))] = payload
    rows = {(s.member_id, s.role): s for s in await storage.roles.every()}
    for key, payload in logged.items():
        row = rows.get(key)
        if row is None:
            return len(rows), f"role {key[1]} of member {key[0]}: in the audit log, not stored"
        if (row.state, row.target, row.platform) != (
            payload["state"],
            payload["target"],
            payload["platform"],
        ):
            return len(
                rows
            ), f"role {key[1]} of member {key[0]}: the stored state differs from the log"
    for key in rows:
        if key not in logged:
            return len(rows), f"role {key[1]} of member {key[0]}: stored without an audit entry"
    return len(rows), None
