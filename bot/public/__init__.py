"""Public pages and the public audit log, on the bot's one aiohttp server (bot/web.py).

* `GET /c/<community>/` — the community: open and closed proposals with their result
  cards and charts, the arena leaderboard and its chart, the reputation top list, a
  link to the audit log.
* `GET /c/<community>/p/<number>` — one proposal and its ballots (voter and receipt, or
  only receipts where the community keeps ballots private; none while a hidden tally
  is open).
* `GET /c/<community>/audit.jsonl?since=N&limit=M` — the hash-chained log as JSON lines
  (handlers/audit/logfile.py), paged (`Link: <…>; rel="next"` while more remain), with an
  ETag that changes whenever the log grows, and `X-Audit-Head: HASH@INDEX`.

`<community>` is the community's number or its key. A community publishes only when
`web.public_pages` (or its own `/config public_page yes`) says so; otherwise, and for
anything unknown, the answer is a 404 page. Pages are Jinja2 templates with autoescape
on, so titles and names can never inject markup; no script is served at all, and the
Content-Security-Policy forbids any.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.web import RouteDef
from handlers.audit.logfile import to_line
from handlers.audit.policy import page_on
from handlers.audit.public import Standing, community_view, proposal_view
from handlers.audit.publish import published
from storage.records import CommunityRecord

if TYPE_CHECKING:
    from bot.runtime import Runtime

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_SIZE = 1000
MAX_PAGE = 10_000
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **values: Any) -> str:
    return _env.get_template(template).render(**values)


def _page(body: str, status: int = 200) -> web.Response:
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(HEADERS)
    response.headers["Cache-Control"] = "no-cache"
    return response


def not_found(message: str) -> web.Response:
    return _page(render("not_found.html", title="Not found", message=message), status=404)


def arena_points(standings: list[Standing]) -> tuple[list[dict[str, Any]], str]:
    """Chart coordinates: each rating and its interval on one shared scale."""
    if not standings:
        return [], ""
    low = min(s.lower for s in standings)
    high = max(s.upper for s in standings)
    span = (high - low) or 1.0

    def x(value: float) -> str:
        return f"{200 + (value - low) / span * 380:.1f}"

    points = [
        {"label": f"{s.rank}. {s.model}", "lo": x(s.lower), "x": x(s.rating), "hi": x(s.upper)}
        for s in standings
    ]
    return points, f"{low:.0f} … {high:.0f} (Elo scale, 95% intervals)"


class PublicSite:
    """The routes, bound to one running core."""

    def __init__(self, core: Runtime) -> None:
        self.core = core

    async def _community(self, request: web.Request) -> CommunityRecord | None:
        storage = self.core.storage
        community = await storage.public.community(request.match_info["community"][:200])
        if community is None or not page_on(self.core.deps.audit.public, community.settings):
            return None
        return community

    async def home(self, request: web.Request) -> web.StreamResponse:
        community = await self._community(request)
        if community is None:
            return not_found("There is no public page for that community.")
        view = await community_view(self.core.deps, community)
        points, scale = arena_points(view.arena)
        return _page(
            render(
                "community.html", title=view.name, c=view, arena_points=points, arena_scale=scale
            )
        )

    async def bare(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"/c/{request.match_info['community'][:200]}/")

    async def proposal(self, request: web.Request) -> web.StreamResponse:
        community = await self._community(request)
        number = request.match_info["number"]
        if community is None:
            return not_found("There is no public page for that community.")
        record = None
        if number.isdigit() and len(number) < 10:
            record = await self.core.storage.public.proposal(community.id, int(number))
        if record is None:
            return not_found(f"{community.name} has no proposal #{number[:12]}.")
        view = await proposal_view(self.core.deps, community, record, with_ballots=True)
        return _page(render("proposal.html", title=view.title, c=community, p=view))

    async def audit_log(self, request: web.Request) -> web.StreamResponse:
        community = await self._community(request)
        if community is None:
            return not_found("There is no public audit log for that community.")
        try:
            since = int(request.query.get("since", "0"))
            limit = int(request.query.get("limit", str(PAGE_SIZE)))
        except ValueError:
            since, limit = -1, -1
        if since < 0 or not 1 <= limit <= MAX_PAGE or since > 2**62:
            raise web.HTTPBadRequest(
                text=f"since must be an entry index ≥ 0 and limit 1–{MAX_PAGE}\n"
            )
        head = await self.core.storage.audit.tip()
        tag = hashlib.sha256(f"{community.id}:{since}:{limit}:{head[0]}:{head[1]}".encode())
        etag = f'"{tag.hexdigest()[:32]}"'
        headers = {
            "ETag": etag,
            "Cache-Control": "no-cache",
            "X-Audit-Head": f"{head[1]}@{head[0]}",
            "X-Content-Type-Options": "nosniff",
        }
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        lines = []
        last = since
        async for entry in published(
            self.core.storage, community_id=community.id, since=since, limit=limit, head=head[0]
        ):
            lines.append(to_line(entry) + "\n")
            last = entry.index
        if last < head[0] and lines:
            path = request.path
            headers["Link"] = f'<{path}?since={last}&limit={limit}>; rel="next"'
        return web.Response(
            text="".join(lines),
            content_type="application/jsonl",
            charset="utf-8",
            headers=headers,
        )

    async def unknown(self, request: web.Request) -> web.StreamResponse:
        return not_found("Nothing is published at this address.")


def routes(core: Runtime) -> list[RouteDef]:
    """The public routes, for `core.web_routes` (bot.app.run adds them)."""
    site = PublicSite(core)
    return [
        RouteDef("GET", "/c/{community}", site.bare),
        RouteDef("GET", "/c/{community}/", site.home),
        RouteDef("GET", "/c/{community}/audit.jsonl", site.audit_log),
        RouteDef("GET", r"/c/{community}/p/{number}", site.proposal),
        RouteDef("GET", "/c/{tail:.*}", site.unknown),
    ]
