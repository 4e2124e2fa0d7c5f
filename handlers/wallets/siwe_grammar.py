"""The RFC 3986 side of EIP-4361: URIs and the authority, parsed with a grammar.

A character-class check cannot tell `[::0.0.0.256]` or `[1:2:3:4:5:6:7:8:9]` from a
real IPv6 host, nor a stray `@` or `[` from a delimiter, so the URI, the domain and
every resource are parsed with the ABNF of RFC 3986 as the `abnf` package ships it.
One rule differs from the RFC: `dec-octet` also takes zero-padded octets (`001`,
`010`) up to 255, as the reference implementations and their test vectors do
(`uri://[::001.099.200.255]` is valid there). The rules above it that reach
`dec-octet` (IPv4address, ls32, IPv6address, IP-literal, host, authority, hier-part,
URI) are restated here so they use it; every other rule is imported unchanged.

The pure-Python parser costs about 1 ms for a short URI and grows faster than
linearly, so results are memoised per exact string (a parse is a pure function of
its input: a cached answer is the answer) and inputs longer than `MAX_LENGTH` are
refused without parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from abnf import Node, ParseError
from abnf import Rule as _Rule
from abnf.grammars import rfc3986, rfc5234
from abnf.grammars.misc import load_grammar_rules

# Longer fields are refused unparsed: 1,024 characters already take ~0.2 s here.
MAX_LENGTH = 1024

_IMPORTED = (
    "scheme",
    "userinfo",
    "reg-name",
    "port",
    "IPvFuture",
    "h16",
    "path-abempty",
    "path-absolute",
    "path-rootless",
    "path-empty",
    "segment",
    "segment-nz",
    "pchar",
    "query",
    "fragment",
    "pct-encoded",
    "unreserved",
    "reserved",
    "sub-delims",
    "gen-delims",
)


@load_grammar_rules(
    [(name, rfc3986.Rule(name)) for name in _IMPORTED]
    + [(name, rfc5234.Rule(name)) for name in ("ALPHA", "DIGIT", "HEXDIG")]
)
class Rule(_Rule):
    """RFC 3986 (zero-padded dec-octet) plus the EIP-4361 field rules."""

    grammar: ClassVar[list[str] | str] = [
        'URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]',
        'hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty',
        'authority = [ userinfo "@" ] host [ ":" port ]',
        "host = IP-literal / IPv4address / reg-name",
        'IP-literal = "[" ( IPv6address / IPvFuture ) "]"',
        'IPv6address = 6( h16 ":" ) ls32 / "::" 5( h16 ":" ) ls32'
        ' / [ h16 ] "::" 4( h16 ":" ) ls32 / [ *1( h16 ":" ) h16 ] "::" 3( h16 ":" ) ls32'
        ' / [ *2( h16 ":" ) h16 ] "::" 2( h16 ":" ) ls32 / [ *3( h16 ":" ) h16 ] "::" h16 ":" ls32'
        ' / [ *4( h16 ":" ) h16 ] "::" ls32 / [ *5( h16 ":" ) h16 ] "::" h16'
        ' / [ *6( h16 ":" ) h16 ] "::"',
        'ls32 = ( h16 ":" h16 ) / IPv4address',
        'IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet',
        # RFC 3986 has no leading zeros; 000-255 with them, as the reference suites accept.
        'dec-octet = "25" %x30-35 / "2" %x30-34 DIGIT / ( "0" / "1" ) 2DIGIT / 1*2DIGIT',
        # EIP-4361's own rules.
        'statement = *( reserved / unreserved / " " )',
        "request-id = *pchar",
        "nonce = 8*( ALPHA / DIGIT )",
        "chain-id = 1*DIGIT",
        'address = "0x" 40HEXDIG',
    ]


def matches(rule: str, text: str) -> bool:
    """Whether `text` is exactly one `rule` (any rule above); uncached, for checks and tests."""
    found = Rule.get(rule)
    if found is None:
        raise KeyError(rule)
    try:
        found.parse_all(text)
    except ParseError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class UriParts:
    """A URI's components; None where the URI has no such part (so `uri:` has no host).

    `host` is without the brackets of an IP literal, as the reference parsers give it.
    """

    scheme: str
    userinfo: str | None
    host: str | None
    port: str | None
    path: str
    query: str | None
    fragment: str | None


@dataclass(frozen=True, slots=True)
class AuthorityParts:
    userinfo: str | None
    host: str
    port: str | None


def _child(node: Node, name: str) -> Node | None:
    for child in node.children:
        if child.name == name:
            return child
    return None


def _authority(node: Node) -> AuthorityParts:
    host = _child(node, "host")
    assert host is not None  # the grammar requires one (possibly empty)
    literal = _child(host, "IP-literal")
    userinfo = _child(node, "userinfo")
    port = _child(node, "port")
    return AuthorityParts(
        userinfo=None if userinfo is None else userinfo.value,
        host=host.value if literal is None else literal.value[1:-1],
        port=None if port is None else port.value,
    )


@lru_cache(maxsize=4096)
def parse_uri(text: str) -> UriParts | None:
    """The components of an RFC 3986 URI, or None if `text` is not one (or is too long)."""
    if len(text) > MAX_LENGTH:
        return None
    try:
        node = Rule("URI").parse_all(text)
    except ParseError:
        return None
    scheme = _child(node, "scheme")
    hier = _child(node, "hier-part")
    query = _child(node, "query")
    fragment = _child(node, "fragment")
    assert scheme is not None and hier is not None
    authority_node = _child(hier, "authority")
    authority = _authority(authority_node) if authority_node is not None else None
    path = next((c.value for c in hier.children if c.name.startswith("path-")), "")
    return UriParts(
        scheme=scheme.value,
        userinfo=authority.userinfo if authority else None,
        host=authority.host if authority else None,
        port=authority.port if authority else None,
        path=path,
        query=None if query is None else query.value,
        fragment=None if fragment is None else fragment.value,
    )


@lru_cache(maxsize=1024)
def parse_authority(text: str) -> AuthorityParts | None:
    """The parts of an RFC 3986 authority, or None if `text` is not one (or is too long)."""
    if len(text) > MAX_LENGTH:
        return None
    try:
        return _authority(Rule("authority").parse_all(text))
    except ParseError:
        return None


@lru_cache(maxsize=256)
def is_scheme(text: str) -> bool:
    return len(text) <= MAX_LENGTH and matches("scheme", text)
