"""The browser signing page: sign the /link message with a browser wallet (EIP-1193).

`/link` replies with `<signing_page_url>?n=<nonce>` when `wallets.signing_page` is on.

* `GET  <path>?n=<nonce>` — a plain HTML page showing the exact EIP-4361 message and
  a button; a few lines of JavaScript (`GET <path>/sign.js`, no build step) ask the
  wallet for `personal_sign` of that message and POST the signature back.
* `POST <path>` with JSON `{"n": nonce, "signature": "0x…"}` — runs the same checks
  and write as /verify (`handlers.wallets.page`), answers `{"ok", "text"}`, and on
  success tells the member in the chat through `core.route`.

The page holds nothing secret: the message (which the member signs in public anyway)
and the address. Every value is HTML-escaped; a strict Content-Security-Policy allows
only our own script and requests to our own origin; `Referrer-Policy: no-referrer`
keeps the nonce out of other sites' logs; nothing is cached.

Served on its own listener (`signing_page_listen:signing_page_port`) by
`SigningPageServer`, so the public page and the operations server's /metrics need not
share an address; `routes(core)` gives the same routes as `bot.web.RouteDef`s for a
deployment that wants them on the one server (`core.web_routes.extend(routes(core))`).
"""

from __future__ import annotations

import html
import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.web import RouteDef
from handlers.core.errors import DomainError, NotFound
from handlers.core.types import Reply, Where
from handlers.wallets.page import confirmation, pending_link, verify_from_page
from handlers.wallets.policy import WalletPolicy
from handlers.wallets.siwe import format_time

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
# Platforms where a member's private chat with the bot is addressed by their user id,
# so the confirmation can be sent without an incoming event. (Discord needs a DM
# channel opened by its adapter; there the page and /wallet confirm.)
DIRECT_CHAT_PLATFORMS = ("console", "telegram")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

SCRIPT = """\
"use strict";
const box = document.getElementById("link");
const status = document.getElementById("status");
const button = document.getElementById("sign");
const say = (text) => { status.textContent = text; };
button.addEventListener("click", async () => {
  const wallet = window.ethereum;
  if (!wallet) {
    say("No browser wallet here. Sign in your wallet app and send /verify in the chat.");
    return;
  }
  button.disabled = true;
  try {
    const address = box.dataset.address;
    const accounts = await wallet.request({ method: "eth_requestAccounts" });
    if (!accounts.some((a) => a.toLowerCase() === address.toLowerCase())) {
      throw new Error("Switch your wallet to " + address + " first.");
    }
    const bytes = new TextEncoder().encode(box.dataset.message);
    const hex = "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    say("Waiting for your wallet…");
    const signature = await wallet.request({ method: "personal_sign", params: [hex, address] });
    const response = await fetch(box.dataset.post, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ n: box.dataset.nonce, signature }),
    });
    const result = await response.json();
    say(result.text);
    box.dataset.state = result.ok ? "linked" : "refused";
    if (!result.ok) button.disabled = false;
  } catch (error) {
    say("Not linked: " + (error && error.message ? error.message : error));
    button.disabled = false;
  }
});
"""

PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link your wallet</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }}
pre {{ background: #f4f4f4; padding: 1rem; white-space: pre-wrap; word-break: break-all; }}
button {{ font-size: 1.1rem; padding: .6rem 1.2rem; }}
#status {{ margin-top: 1rem; font-weight: bold; }}
</style>
</head>
<body>
<main id="link" data-state="{state}" data-nonce="{nonce}" data-address="{address}"
      data-message="{message}" data-post="{post}">
<h1>{title}</h1>
{body}
<p id="status" role="status">{status}</p>
</main>
{script}
</body>
</html>
"""


def page_path(policy: WalletPolicy) -> str:
    """The page's path: the path of `signing_page_url` ("/link" if unset or bare)."""
    path = urlsplit(policy.signing_page_url or "").path.rstrip("/")
    return path or "/link"


def _respond(text: str, *, status: int = 200, content_type: str = "text/html") -> web.Response:
    response = web.Response(text=text, status=status, content_type=content_type, charset="utf-8")
    response.headers.update(SECURITY_HEADERS)
    return response


def _json(payload: dict[str, Any], *, status: int = 200) -> web.Response:
    response = web.json_response(payload, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def render_page(
    *,
    path: str,
    title: str,
    status: str = "",
    nonce: str = "",
    address: str = "",
    message: str = "",
    expires: str = "",
) -> str:
    """The HTML; every interpolated value is escaped (quotes too: some sit in attributes)."""
    e = html.escape
    if message:
        body = (
            f"<p>Sign this exact message with the wallet <code>{e(address)}</code> to link it "
            f"to your chat account. The link expires at {e(expires)}.</p>\n"
            f"<pre>{e(message)}</pre>\n"
            '<button id="sign" type="button">Sign with my wallet</button>'
        )
        script = f'<script src="{e(path)}/sign.js"></script>'
        state = "pending"
    else:
        body, script, state = "", "", "none"
    return PAGE.format(
        state=state,
        nonce=e(nonce),
        address=e(address),
        message=e(message),
        post=e(path),
        title=e(title),
        body=body,
        status=e(status),
        script=script,
    )


def routes(core: Runtime) -> list[RouteDef]:
    """The page's routes, ready for any aiohttp application (or `core.web_routes`)."""
    path = page_path(core.deps.wallets.policy)

    async def page(request: web.Request) -> web.Response:
        nonce = request.query.get("n", "")
        try:
            pending = await pending_link(core.deps, nonce, now=core.deps.clock.now())
        except DomainError as error:
            code = 404 if isinstance(error, NotFound) else 410
            return _respond(
                render_page(path=path, title="Nothing to sign", status=error.message), status=code
            )
        record = pending.nonce
        return _respond(
            render_page(
                path=path,
                title="Link your wallet",
                nonce=record.nonce,
                address=record.address,
                message=record.message,
                expires=format_time(record.expires_at).replace("T", " ").replace("Z", " UTC"),
            )
        )

    async def script(request: web.Request) -> web.Response:
        return _respond(SCRIPT, content_type="text/javascript")

    async def submit(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _json({"ok": False, "text": "Send JSON."}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return _json({"ok": False, "text": "That is not valid JSON."}, status=400)
        nonce, signature = (
            (body.get("n"), body.get("signature")) if isinstance(body, dict) else ("", "")
        )
        if not isinstance(nonce, str) or not isinstance(signature, str):
            return _json({"ok": False, "text": "Send the link's n and the signature."}, status=400)
        deps = core.deps
        try:
            pending = await pending_link(deps, nonce, now=deps.clock.now())
            member = pending.member
            # The same per-member budget as chat commands, so the page is no side door.
            core.dispatcher.limiter.check(member.platform, member.user_id)
            member, verified = await verify_from_page(deps, nonce, signature, now=deps.clock.now())
        except DomainError as error:
            status = 404 if isinstance(error, NotFound) else 400
            return _json({"ok": False, "text": error.message}, status=status)
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("signing page: verification failed error_id=%s", error_id)
            return _json(
                {
                    "ok": False,
                    "text": f"Something went wrong on our side (error id {error_id}). "
                    "Nothing was changed; please try again.",
                },
                status=500,
            )
        text = confirmation(verified)
        log.info(
            "wallet linked from the signing page platform=%s member=%s kind=%s",
            member.platform,
            member.id,
            verified.kind,
        )
        if member.platform in DIRECT_CHAT_PLATFORMS:
            chat = Where(member.platform, member.user_id, member.user_id, is_private=True)
            await core.route([Reply(text, where=chat)])
        return _json({"ok": True, "text": text, "address": verified.address})

    return [
        RouteDef("GET", path, page),
        RouteDef("POST", path, submit),
        RouteDef("GET", f"{path}/sign.js", script),
    ]


def build_app(core: Runtime) -> web.Application:
    """An application serving only the signing page (bodies capped at 16 KiB)."""
    app = web.Application(client_max_size=MAX_BODY)
    for route in routes(core):
        app.router.add_route(route.method, route.path, route.handler)
    return app


class SigningPageServer:
    """The page on `signing_page_listen:signing_page_port` (port 0: any free port)."""

    def __init__(self, core: Runtime, *, port: int | None = None) -> None:
        self.core = core
        policy = core.deps.wallets.policy
        self.listen = policy.signing_page_listen
        self.port = policy.signing_page_port if port is None else port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(build_app(self.core), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("signing page listening listen=%s port=%s", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
