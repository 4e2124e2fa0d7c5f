"""EIP-4361 (Sign-In with Ethereum) messages, formatted and parsed to the standard's ABNF.

Written here rather than taken from the `siwe` package, which pins old web3 and
eth-account releases. `format_message` and `parse_message` are exact inverses for every
valid message: a message parses only if formatting the parsed fields gives back the
very same text, so "conforms to the ABNF" and "is byte-for-byte what we issued" are
checked by the same code. Signature recovery (EIP-191 personal_sign, low-s only) is
here too, so every caller refuses a malleable duplicate the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import coincurve
from sha3 import keccak_256  # safe-pysha3: ~1.5 µs a hash, against ~4 µs via eth_hash

HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2

_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"
# RFC 3986 authority: [userinfo "@"] host [":" port]; no whitespace, "/", "?" or "#".
_AUTHORITY = r"[A-Za-z0-9\-._~%!$&'()*+,;=:@\[\]]+"
_HEADER = re.compile(rf"^(?:(?P<scheme>{_SCHEME})://)?(?P<domain>{_AUTHORITY}){HEADER_SUFFIX}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
# statement = *( reserved / unreserved / " " ): RFC 3986 characters, no line break.
_STATEMENT = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]*$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
_CHAIN_ID = re.compile(r"^[0-9]+$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-._~%!$&'()*+,;=:@]*$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
)


class SiweError(ValueError):
    """The text is not a conforming EIP-4361 message; the message says which part."""


class SignatureError(ValueError):
    """The signature is malformed, malleable (high s) or does not recover."""


@dataclass(frozen=True, slots=True)
class SiweMessage:
    """The fields of one EIP-4361 message; times are kept as the RFC 3339 text signed."""

    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: str
    version: str = "1"
    scheme: str | None = None
    statement: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        return format_message(self)

    @property
    def issued_at_ts(self) -> float:
        return parse_time(self.issued_at)

    @property
    def expires_at_ts(self) -> float | None:
        return None if self.expiration_time is None else parse_time(self.expiration_time)

    @property
    def not_before_ts(self) -> float | None:
        return None if self.not_before is None else parse_time(self.not_before)


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
    """RFC 3339 in UTC with a Z and whole seconds, the form wallets display."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> float:
    if not _DATE_TIME.match(text):
        raise SiweError(f'"{text[:40]}" is not an RFC 3339 date-time.')
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise SiweError(f'"{text[:40]}" is not a valid date-time.') from None
    return moment.timestamp()


def _check(message: SiweMessage) -> None:
    """Every field against its ABNF rule; raises SiweError naming the first bad one."""
    if message.scheme is not None and not re.fullmatch(_SCHEME, message.scheme):
        raise SiweError("The scheme is not a URI scheme.")
    if not re.fullmatch(_AUTHORITY, message.domain):
        raise SiweError("The domain is not an RFC 3986 authority.")
    if not _ADDRESS.match(message.address):
        raise SiweError("The address is not 0x followed by 40 hex digits.")
    digits = message.address[2:]
    mixed = digits not in (digits.lower(), digits.upper())
    if mixed and not is_checksum_address(message.address):
        raise SiweError("The address has a wrong EIP-55 checksum (mixed case).")
    if message.statement is not None and not _STATEMENT.match(message.statement):
        raise SiweError("The statement has a line break or a character outside RFC 3986.")
    if not _URI.match(message.uri):
        raise SiweError("The URI is not an RFC 3986 URI.")
    if message.version != "1":
        raise SiweError("The version must be 1.")
    if message.chain_id < 0:
        raise SiweError("The chain id must be a non-negative number.")
    if not _NONCE.match(message.nonce):
        raise SiweError("The nonce must be at least 8 letters or digits.")
    for name in ("issued_at", "expiration_time", "not_before"):
        value = getattr(message, name)
        if value is not None:
            parse_time(value)
    if message.request_id is not None and not _REQUEST_ID.match(message.request_id):
        raise SiweError("The request id has characters outside RFC 3986 pchar.")
    for resource in message.resources:
        if not _URI.match(resource):
            raise SiweError(f'The resource "{resource[:60]}" is not a URI.')


# Texts this process formatted, with their message: formatting and parsing are exact
# inverses, so `parse_message` answers these without parsing again (/verify re-reads the
# message /link issued; parsing it costs about a third of the checks before recovery).
_FORMATTED: dict[str, SiweMessage] = {}
_FORMATTED_MAX = 10_000


def format_message(message: SiweMessage) -> str:
    """The exact text to sign (no trailing newline), per the ABNF."""
    _check(message)
    text = _format(message)
    if len(_FORMATTED) >= _FORMATTED_MAX:
        _FORMATTED.pop(next(iter(_FORMATTED)))  # the oldest
    _FORMATTED[text] = message
    return text


def _format(message: SiweMessage) -> str:
    """The text of an already checked message."""
    origin = f"{message.scheme}://{message.domain}" if message.scheme else message.domain
    lines = [f"{origin}{HEADER_SUFFIX}", message.address, ""]
    if message.statement is not None:
        lines.append(message.statement)
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
    if message.resources:
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


def parse_message(text: str) -> SiweMessage:
    """Parse a message, refusing anything the ABNF does not allow (SiweError says what).

    Accepts CRLF line ends (some chat clients add them) but nothing else loose: the
    lines, their order, the prefixes and every field value are exact.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # one trailing newline, as copy-paste adds
    known = _FORMATTED.get("\n".join(lines))
    if known is not None:
        return known
    if len(lines) < 3:
        raise SiweError("That is not a Sign-In with Ethereum message (too short).")
    header = _HEADER.match(lines[0])
    if header is None:
        raise SiweError(
            f'The first line must be "<domain>{HEADER_SUFFIX}".'
            if HEADER_SUFFIX not in lines[0]
            else "The domain in the first line is not a valid authority."
        )
    address = lines[1]
    if not _ADDRESS.match(address):
        raise SiweError("The second line must be the address (0x and 40 hex digits).")
    if lines[2] != "":
        raise SiweError("An empty line must follow the address.")
    rest = lines[3:]
    statement: str | None = None
    if rest and rest[0] == "":
        rest = rest[1:]
    elif len(rest) >= 2 and rest[1] == "":
        statement, rest = rest[0], rest[2:]
    else:
        raise SiweError("The statement must be one line between empty lines.")
    values: dict[str, str] = {}
    for prefix, name, required in _TAGGED:
        if rest and rest[0].startswith(prefix):
            values[name] = rest[0][len(prefix) :]
            rest = rest[1:]
        elif required:
            raise SiweError(f'Missing the "{prefix.strip()}" line (or it is out of order).')
    resources: list[str] = []
    if rest and rest[0] == "Resources:":
        for line in rest[1:]:
            if not line.startswith("- "):
                raise SiweError('Each resource line must start with "- ".')
            resources.append(line[2:])
        rest = []
    if rest:
        raise SiweError(f'Unexpected line "{rest[0][:60]}".')
    if not _CHAIN_ID.match(values["chain_id"]) or len(values["chain_id"]) > 30:
        raise SiweError("The chain id must be a number.")
    message = SiweMessage(
        domain=header["domain"],
        scheme=header["scheme"],
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
        resources=tuple(resources),
    )
    _check(message)
    if _format(message) != "\n".join(lines):
        raise SiweError("The message is not in the standard's exact form.")
    return message


def checksum(address: str) -> str:
    """The EIP-55 form of a 0x address; ValueError for anything else (mixed case checked)."""
    text = address.strip()
    if not _ADDRESS.match(text):
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
