"""EIP-4361 (Sign-In with Ethereum) messages, formatted and parsed to the standard's ABNF.

Written here rather than taken from the `siwe` package, which pins old web3 and
eth-account releases. `format_message` and `parse_message` are exact inverses for every
valid message: a message parses only if formatting the parsed fields gives back the
very same text, so "conforms to the ABNF" and "is byte-for-byte what we issued" are
checked by the same code. Nothing here remembers what it formatted: a text parses the
same in any process. The URI, the domain and the resources are checked by the RFC 3986
grammar (`siwe_grammar`); the other fields are character classes, matched exactly.
Signature recovery (EIP-191 personal_sign, low-s only) and the time-window and domain
checks are here too, so every caller refuses the same things the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import coincurve
from sha3 import keccak_256  # safe-pysha3: ~1.5 µs a hash, against ~4 µs via eth_hash

from handlers.wallets.siwe_grammar import MAX_LENGTH, is_scheme, parse_authority, parse_uri

HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2
# A chain id is a uint256 (the CHAINID opcode, EIP-155 signing); past that it is not one.
MAX_CHAIN_ID = 2**256 - 1

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
# statement = *( reserved / unreserved / " " ): the RFC 3986 characters, no line break.
# A character class, so a regex is exact (a test compares it with the grammar's rule).
_STATEMENT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]*")
_NONCE = re.compile(r"[A-Za-z0-9]{8,}")
_CHAIN_ID = re.compile(r"[0-9]{1,78}")
# request-id = *pchar; pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
_REQUEST_ID = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*")
# RFC 3339 date-time (T and Z in either case); the calendar is checked by datetime.
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)


class SiweError(ValueError):
    """The text is not a conforming EIP-4361 message; the message says which part."""


class SignatureError(ValueError):
    """The signature is malformed, malleable (high s) or does not recover."""


class VerifyError(ValueError):
    """A well-formed message that must not be accepted; `reason` says why, for callers."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason  # "domain" | "nonce" | "expired" | "not yet valid" | "signer"


@dataclass(frozen=True, slots=True)
class SiweMessage:
    """The fields of one EIP-4361 message; times are kept as the RFC 3339 text signed.

    `resources` is None when the message has no Resources section and () when it has
    an empty one: both are valid and they are different messages.
    """

    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: str
    scheme: str | None = None
    statement: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.resources, list):  # JSON and callers hand over lists
            object.__setattr__(self, "resources", tuple(self.resources))

    def text(self) -> str:
        return format_message(self)

    @property
    def issued_at_ts(self) -> float:
        return parse_time(self.issued_at, "Issued At")

    @property
    def expires_at_ts(self) -> float | None:
        if self.expiration_time is None:
            return None
        return parse_time(self.expiration_time, "Expiration Time")

    @property
    def not_before_ts(self) -> float | None:
        return None if self.not_before is None else parse_time(self.not_before, "Not Before")


_LETTERS = bytes.maketrans(b"0123456789abcdef", b"\0" * 10 + b"\x20" * 6)
_HIGH_NIBBLE = bytes.maketrans(b"0123456789abcdef", b"\0" * 8 + b"\x20" * 8)


def eip55(hex40: str) -> str:
    """The EIP-55 checksummed form of 40 lowercase hex digits, with 0x.

    Equal to eth_utils' `to_checksum_address` (a test compares them) at about a tenth
    of the cost; every /verify checksums addresses several times.
    """
    raw = hex40.encode()
    # A letter is upper-cased (minus 0x20) where its hash nibble is 8 or more: both masks
    # are built with bytes.translate and combined as integers, so no per-character loop.
    high = keccak_256(raw).hexdigest()[:40].encode().translate(_HIGH_NIBBLE)
    mask = int.from_bytes(raw.translate(_LETTERS), "big") & int.from_bytes(high, "big")
    return "0x" + (int.from_bytes(raw, "big") - mask).to_bytes(40, "big").decode()


def is_checksum_address(address: str) -> bool:
    return eip55(address[2:].lower()) == address


def format_time(epoch: float) -> str:
    """RFC 3339 in UTC with a Z and whole seconds (the fraction dropped), as wallets show it."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, label: str = "The time") -> float:
    """Seconds since the epoch of an RFC 3339 date-time; SiweError naming `label` if not one."""
    if not isinstance(text, str) or not _DATE_TIME.fullmatch(text):
        raise SiweError(f'{label}: "{str(text)[:40]}" is not an RFC 3339 date-time.')
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise SiweError(f'{label}: "{text[:40]}" is not a valid date and time.') from None
    return moment.timestamp()


def _text(value: object, label: str) -> str:
    if not isinstance(value, str):
        raise SiweError(f"The {label} must be text, not {type(value).__name__}.")
    return value


def _too_long(what: str, text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise SiweError(f"The {what} is {len(text)} characters; govbot takes at most {MAX_LENGTH}.")


def _check(message: SiweMessage) -> None:
    """Every field against its ABNF rule; raises SiweError naming the first bad one."""
    if message.scheme is not None and not is_scheme(_text(message.scheme, "scheme")):
        raise SiweError("The scheme is not an RFC 3986 scheme.")
    if not _text(message.domain, "domain"):
        raise SiweError("The domain is missing.")
    _too_long("domain", message.domain)
    if parse_authority(message.domain) is None:
        raise SiweError("The domain is not an RFC 3986 authority.")
    if not _ADDRESS.fullmatch(_text(message.address, "address")):
        raise SiweError("The address is not 0x followed by 40 hex digits.")
    if not is_checksum_address(message.address):
        raise SiweError("The address is not in its EIP-55 checksummed (mixed-case) form.")
    if message.statement is not None and not _STATEMENT.fullmatch(
        _text(message.statement, "statement")
    ):
        raise SiweError("The statement has a line break or a character outside RFC 3986.")
    _too_long("URI", _text(message.uri, "URI"))
    if parse_uri(message.uri) is None:
        raise SiweError("The URI is not an RFC 3986 URI.")
    if message.version != "1":
        raise SiweError("The Version must be 1.")
    chain_id = message.chain_id
    if not isinstance(chain_id, int) or isinstance(chain_id, bool):
        raise SiweError(f"The Chain ID must be a whole number, not {type(chain_id).__name__}.")
    if not 0 <= chain_id <= MAX_CHAIN_ID:
        raise SiweError("The Chain ID must be between 0 and 2^256 - 1.")
    if not _NONCE.fullmatch(_text(message.nonce, "nonce")):
        raise SiweError("The Nonce must be at least 8 letters or digits.")
    parse_time(message.issued_at, "Issued At")
    if message.expiration_time is not None:
        parse_time(message.expiration_time, "Expiration Time")
    if message.not_before is not None:
        parse_time(message.not_before, "Not Before")
    if message.request_id is not None and not _REQUEST_ID.fullmatch(
        _text(message.request_id, "Request ID")
    ):
        raise SiweError("The Request ID is not RFC 3986 pchar (a lone % or a delimiter).")
    if message.resources is not None:
        if not isinstance(message.resources, tuple):
            raise SiweError("The resources must be a list of URIs.")
        for resource in message.resources:
            _too_long("resource", _text(resource, "resource"))
            if parse_uri(resource) is None:
                raise SiweError(f'The resource "{resource[:60]}" is not an RFC 3986 URI.')


def format_message(message: SiweMessage) -> str:
    """The exact text to sign (no trailing newline), per the ABNF; SiweError if invalid."""
    _check(message)
    return _format(message)


def _format(message: SiweMessage) -> str:
    """The text of an already checked message."""
    origin = f"{message.scheme}://{message.domain}" if message.scheme else message.domain
    lines = [f"{origin}{HEADER_SUFFIX}", message.address, ""]
    if message.statement is not None:
        lines.append(message.statement)  # "" too: an empty statement is its own empty line
    lines += [
        "",
        f"URI: {message.uri}",
        f"Version: {message.version}",
        f"Chain ID: {message.chain_id}",
        f"Nonce: {message.nonce}",
        f"Issued At: {message.issued_at}",
    ]
    if message.expiration_time is not None:
        lines.append(f"Expiration Time: {message.expiration_time}")
    if message.not_before is not None:
        lines.append(f"Not Before: {message.not_before}")
    if message.request_id is not None:
        lines.append(f"Request ID: {message.request_id}")
    if message.resources is not None:
        lines.append("Resources:")
        lines += [f"- {resource}" for resource in message.resources]
    return "\n".join(lines)


_TAGGED = (
    ("URI: ", "uri", True),
    ("Version: ", "version", True),
    ("Chain ID: ", "chain_id", True),
    ("Nonce: ", "nonce", True),
    ("Issued At: ", "issued_at", True),
    ("Expiration Time: ", "expiration_time", False),
    ("Not Before: ", "not_before", False),
    ("Request ID: ", "request_id", False),
)


def _header(line: str) -> tuple[str | None, str]:
    """(scheme, domain) from the first line; the domain is checked by `_check`."""
    if not line.endswith(HEADER_SUFFIX):
        raise SiweError(f'The first line must be "<domain>{HEADER_SUFFIX}".')
    origin = line[: -len(HEADER_SUFFIX)]
    # An authority has no "/", so a "://" can only end the optional scheme.
    scheme, separator, domain = origin.partition("://")
    if not separator:
        return None, origin
    if not scheme:
        raise SiweError('The first line has "://" with no scheme before it.')
    return scheme, domain


def _statement(rest: list[str]) -> tuple[str | None, list[str]]:
    """The statement and the lines after it; `rest` starts right after the address's LF.

    The ABNF is `address LF LF [ statement LF ] LF "URI: "`: after the address and an
    empty line, either a second empty line (no statement) or the statement line and an
    empty one. A statement may itself be empty, which gives three empty lines.
    """
    if len(rest) >= 2 and rest[1] == "":
        return rest[0], rest[2:]
    if rest and rest[0] == "":
        return None, rest[1:]
    raise SiweError("The statement must be one line, with an empty line before and after it.")


@lru_cache(maxsize=4096)
def parse_message(text: str) -> SiweMessage:
    """Parse a message, refusing anything the ABNF does not allow (SiweError says what).

    Accepts CRLF line ends (some chat clients add them) and one trailing newline (copy
    and paste adds it) but nothing else loose: the lines, their order, the prefixes and
    every field value are exact.

    Memoised on the exact text: parsing is a pure function of it, so a remembered answer
    is the answer a fresh process gives (refusals are not remembered; they raise). Only
    parsing fills the memo, never formatting. /link parses each message it issues (a
    self-check), so /verify reads that parse back instead of costing ~14 µs again.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 3:
        raise SiweError("That is not a Sign-In with Ethereum message (too short).")
    scheme, domain = _header(lines[0])
    address = lines[1]
    if not _ADDRESS.fullmatch(address):
        raise SiweError("The second line must be the address (0x and 40 hex digits).")
    if lines[2] != "":
        raise SiweError("An empty line must follow the address.")
    statement, rest = _statement(lines[3:])
    values: dict[str, str] = {}
    at, end = 0, len(rest)  # an index, not slices: /verify parses on its hot path
    for prefix, name, required in _TAGGED:
        if at < end and rest[at].startswith(prefix):
            values[name] = rest[at][len(prefix) :]
            at += 1
        elif required:
            raise SiweError(f'Missing the "{prefix.strip()}" line (or it is out of order).')
    resources: list[str] | None = None
    if at < end and rest[at] == "Resources:":
        resources = []
        for line in rest[at + 1 :]:
            if not line.startswith("- "):
                raise SiweError(f'After "Resources:", the line "{line[:60]}" is not "- <URI>".')
            resources.append(line[2:])
        at = end
    if at < end:
        raise SiweError(f'Unexpected line "{rest[at][:60]}" (a field out of order or unknown).')
    if not _CHAIN_ID.fullmatch(values["chain_id"]):
        raise SiweError("The Chain ID must be a number.")
    if values["chain_id"] != str(int(values["chain_id"])):
        # 1*DIGIT allows "01", but it would format as "1": not the text that was signed.
        raise SiweError("The Chain ID must be written without leading zeros.")
    message = SiweMessage(
        domain=domain,
        scheme=scheme,
        address=address,
        statement=statement,
        uri=values["uri"],
        version=values["version"],
        chain_id=int(values["chain_id"]),
        nonce=values["nonce"],
        issued_at=values["issued_at"],
        expiration_time=values.get("expiration_time"),
        not_before=values.get("not_before"),
        request_id=values.get("request_id"),
        resources=None if resources is None else tuple(resources),
    )
    _check(message)
    if _format(message) != "\n".join(lines):
        raise SiweError("The message is not in the standard's exact form.")
    return message


def bound_to(message: SiweMessage, domain: str) -> bool:
    """Whether the message asks to sign in to `domain` (over https, or no scheme given).

    Exact comparison: the domain names the site, and a signature for another one (or
    for the same one over plain http) is not a signature for us.
    """
    return message.domain == domain and message.scheme in (None, "https")


def time_problem(message: SiweMessage, now: float) -> str | None:
    """Why `message` is not valid at `now` ("expired", "not yet valid"), or None.

    A message is refused at and after its Expiration Time (the instant written in the
    text, which is what was signed), before its Not Before, and while its Issued At is
    still in the future (stricter than EIP-4361, which leaves Issued At unchecked:
    govbot issues its messages itself, so one from the future means a clock went back).
    """
    expires = message.expires_at_ts
    if expires is not None and now >= expires:
        return "expired"
    not_before = message.not_before_ts
    if now < message.issued_at_ts or (not_before is not None and now < not_before):
        return "not yet valid"
    return None


def verify_message(
    message: SiweMessage,
    signature: bytes,
    *,
    domain: str,
    now: float,
    nonce: str | None = None,
) -> str:
    """The checks /verify makes of an EOA's signed message, without storage: the address.

    Raises VerifyError (domain, nonce, time window, signer) or SignatureError. /verify
    runs these same functions (`bound_to`, `time_problem`, `recover_signer`) with the
    nonce it issued; EIP-1271 contract wallets need the chain and are checked there.
    """
    if not bound_to(message, domain):
        raise VerifyError("domain", f'The message is for "{message.domain}", not "{domain}".')
    if nonce is not None and message.nonce != nonce:
        raise VerifyError("nonce", "The message's nonce is not the one issued.")
    problem = time_problem(message, now)
    if problem is not None:
        raise VerifyError(problem, f"The message is {problem}.")
    signer = recover_signer(format_message(message), signature)
    if signer != message.address:
        raise VerifyError("signer", f"Signed by {signer}, not by {message.address}.")
    return signer


def checksum(address: str) -> str:
    """The EIP-55 form of a 0x address; ValueError for anything else (mixed case checked)."""
    text = address.strip()
    if not _ADDRESS.fullmatch(text):
        raise ValueError("not an address")
    digits = text[2:]
    if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(text):
        raise ValueError("wrong checksum")
    return eip55(digits.lower())


def parse_signature(text: str) -> bytes:
    """Hex (0x optional) → bytes. Malformed text raises SignatureError.

    Any even length is kept (EIP-1271 contract wallets define their own formats); a
    65-byte signature must also be a canonical ECDSA one: r and s in range, low s
    (EIP-2: the high-s twin of a valid signature is refused, not silently accepted),
    and v 27/28 (or 0/1).
    """
    raw = text.strip()
    if raw[:2] in ("0x", "0X"):
        raw = raw[2:]
    if not raw or len(raw) % 2 or len(raw) > 4096 or not re.fullmatch(r"[0-9a-fA-F]+", raw):
        raise SignatureError("A signature is 0x followed by hex digits (65 bytes for a wallet).")
    signature = bytes.fromhex(raw)
    if len(signature) == 65:
        check_ecdsa(signature)
    return signature


def check_ecdsa(signature: bytes) -> None:
    if len(signature) != 65:
        raise SignatureError(f"A wallet signature is 65 bytes, not {len(signature)}.")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (0, 1, 27, 28):
        raise SignatureError(f"The signature's v byte must be 27 or 28, not {v}.")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise SignatureError("The signature's r or s is out of range.")
    if s > HALF_N:
        raise SignatureError(
            "The signature has a high s value (a malleable duplicate); wallets produce low-s "
            "signatures, so sign again with your wallet."
        )


def recover_signer(text: str, signature: bytes) -> str:
    """The checksummed address that personal_sign-ed `text` (EIP-191 version 0x45).

    Recovers with libsecp256k1 (coincurve) straight from the EIP-191 hash: ~50 µs,
    against ~90 µs through eth-account's object layers; the result is the same (a test
    compares both).
    """
    check_ecdsa(signature)
    recovery_id = signature[64] - 27 if signature[64] >= 27 else signature[64]
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes([recovery_id]), personal_hash(text), hasher=None
        )
    except Exception as error:  # libsecp256k1 refuses points that do not recover
        raise SignatureError("The signature does not recover to any address.") from error
    return eip55(keccak(public.format(compressed=False)[1:])[-20:].hex())


def keccak(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's hash, not NIST SHA3-256)."""
    return bytes(keccak_256(data).digest())


def personal_hash(text: str) -> bytes:
    """The EIP-191 hash a wallet signs for `text`; EIP-1271 contracts are asked about it."""
    body = text.encode()
    return bytes(keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body))
