"""/config (admins): this community's platform mapping and settings, and a few safe changes.

`/config` shows where the community lives (its mapped spaces, where cards from other
platforms go, mapping conflicts) and the settings that decide how it votes. `/config
<key> <value>` changes one per-community setting from a small allow-list, audited:

* `allow_unlinked yes|no|default` — in a community on several platforms, whether
  members without a linked wallet may vote (each unlinked account then counts once, so
  a person unlinked on both platforms counts twice). `default` returns to the
  `[[communities]]` entry's value.
* `reputation.<field> <value>` — a reputation rule for this community (the fields of
  `[reputation]`), validated like the configuration file; `default` removes it.
* `public_page yes|no|default`, `ballots_private yes|no|default` — whether this
  community's public page is served, and whether it shows only ballot receipts
  (`default`: the operator's `[web]` setting).

Everything else (the mapping itself, tokens, voting defaults) lives in the configuration
file, so a chat command can never move a community or weaken a rule the operator set.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from handlers.audit.policy import ballots_private, page_on
from handlers.communities.places import allow_unlinked
from handlers.core.context import Context
from handlers.core.errors import BadArguments
from handlers.core.markup import bold, code
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.reputation.policy import ReputationPolicy

USAGE = (
    "/config  ·  /config allow_unlinked yes|no|default  ·  /config reputation.<field> <value>"
    "  ·  /config public_page|ballots_private yes|no|default"
)
PUBLIC_KEYS = {"public_page": "page", "ballots_private": "ballots_private"}
YES = {"yes", "true", "on", "1"}
NO = {"no", "false", "off", "0"}


def _flag(value: str) -> bool | None:
    word = value.strip().casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    if word == "default":
        return None
    raise BadArguments(f'"{value[:20]}" is not yes, no or default.', usage=USAGE)


async def _show(ctx: Context) -> list[Reply]:
    deps = ctx.deps
    community = await ctx.community()
    mapped = deps.communities.mapped.get(community.id)
    spaces = await deps.storage.identity.spaces(community.id)
    lines = [f"{bold('Community')} {community.name} (id {community.id})"]
    lines.append(
        "Spaces: " + (", ".join(f"{p} {code(s)}" for p, s in spaces) if spaces else "none")
    )
    if mapped is None:
        lines.append("Not in [[communities]]: it lives on this platform only.")
    else:
        where = [
            f"{w.platform} {code(w.channel_id)}"
            + (f" topic {code(w.thread_id)}" if w.thread_id else "")
            for w in mapped.places
        ]
        lines.append("Cards from other platforms go to: " + (", ".join(where) or "nowhere"))
        for conflict in mapped.conflicts:
            lines.append(f"Not mapped (already another community's): {conflict}")
    rule = allow_unlinked(mapped, community.settings)
    source = (
        "this community's /config"
        if (community.settings.get("voting") or {}).get("allow_unlinked") is not None
        else "[[communities]]"
    )
    if mapped is not None and mapped.spans_platforms:
        lines.append(
            f"allow_unlinked: {'yes' if rule else 'no'} (from {source}) — "
            + (
                "members without a linked wallet vote; an unlinked person on both platforms "
                "counts twice"
                if rule
                else "voting needs a linked wallet; one wallet on both platforms is one vote"
            )
        )
    else:
        lines.append("allow_unlinked: not applicable (one platform)")
    voting = deps.policy.voting
    lines.append(f"require_wallet: {'yes' if voting.require_wallet else 'no'}")
    overrides = community.settings.get("reputation") or {}
    if overrides:
        lines.append(
            "Reputation overrides: " + ", ".join(f"{k}={v}" for k, v in sorted(overrides.items()))
        )
    public = deps.audit.public
    lines.append(
        f"public_page: {'yes' if page_on(public, community.settings) else 'no'} · "
        f"ballots_private: {'yes' if ballots_private(public, community.settings) else 'no'}"
    )
    lines.append(f"Change: {USAGE}")
    return [Reply("\n".join(lines), private=True, meta={"allow_unlinked": rule})]


async def _set(ctx: Context, key: str, value: str) -> list[Reply]:
    deps = ctx.deps
    community = await ctx.community()
    settings: dict[str, Any] = {
        k: dict(v) if isinstance(v, dict) else v for k, v in community.settings.items()
    }
    key = key.strip().casefold()
    if key == "allow_unlinked":
        flag = _flag(value)
        voting = settings.setdefault("voting", {})
        if flag is None:
            voting.pop("allow_unlinked", None)
        else:
            voting["allow_unlinked"] = flag
        shown = "default" if flag is None else ("yes" if flag else "no")
    elif key in PUBLIC_KEYS:
        flag = _flag(value)
        public = settings.setdefault("public", {})
        if flag is None:
            public.pop(PUBLIC_KEYS[key], None)
        else:
            public[PUBLIC_KEYS[key]] = flag
        shown = "default" if flag is None else ("yes" if flag else "no")
    elif key.startswith("reputation."):
        field = key.removeprefix("reputation.")
        if field not in ReputationPolicy.model_fields:
            raise BadArguments(f'There is no reputation setting "{field[:40]}".', usage=USAGE)
        overrides = settings.setdefault("reputation", {})
        if value.strip().casefold() == "default":
            overrides.pop(field, None)
        else:
            try:
                checked = ReputationPolicy.model_validate(
                    deps.reputation.policy.model_dump() | overrides | {field: value.strip()}
                )
            except ValidationError as error:
                reason = error.errors()[0]["msg"]
                raise BadArguments(f"reputation.{field}: {reason}.", usage=USAGE) from None
            overrides[field] = getattr(checked, field)
        shown = value.strip()[:60]
    else:
        raise BadArguments(
            f'"{key[:40]}" cannot be changed from chat; it lives in the configuration file.',
            usage=USAGE,
        )
    member = await ctx.member()
    await deps.storage.communities.update_settings(
        community.id, settings, by=member.id, at=ctx.now()
    )
    return [Reply(f"{key} is now {shown} for {community.name}.", private=True)]


COMMANDS = Registry()


@COMMANDS.command(
    "config",
    "show this community's platform mapping and settings; change a few (admins)",
    USAGE,
    Param(
        "key",
        str,
        "allow_unlinked, public_page, ballots_private or reputation.<field>",
        required=False,
    ),
    Param("value", str, "the new value, or default", required=False, rest=True),
    admin_only=True,
    writes=True,
    private=True,
)
async def config(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    key, value = args.get("key"), args.get("value")
    if not key:
        return await _show(ctx)
    if not value:
        raise BadArguments(f"Give a value for {key[:40]}.", usage=USAGE)
    return await _set(ctx, key, value)
