"""Request bodies as Duo's clients send them: urlencoded or multipart, whole or chunked.

Every official SDK posts ``application/x-www-form-urlencoded`` except PHP's, whose
``CURLOPT_POSTFIELDS`` array makes curl send ``multipart/form-data`` (duo_universal_php
src/Client.php, makeHttpsCall). Bodies are bounded: every legitimate one is a few KiB.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Protocol
from urllib.parse import parse_qsl

MAX_BODY = 64 * 1024
# An oversized body is still read (and dropped) up to this much before the 413: closing a
# socket with unread data makes the kernel reset it, and the client would lose our answer.
DRAIN_LIMIT = 1024 * 1024
_MAX_CHUNK_LINE = 1024


class _Reader(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...
    def readline(self, size: int = ..., /) -> bytes: ...


class BodyTooLarge(Exception):
    pass


class BadBody(Exception):
    pass


def read_body(rfile: _Reader, content_length: str | None, transfer_encoding: str | None) -> bytes:
    """The request body, at most MAX_BODY bytes (BodyTooLarge beyond, BadBody if garbled)."""
    if transfer_encoding is not None and transfer_encoding.strip().lower() == "chunked":
        return _read_chunked(rfile)
    if transfer_encoding is not None and transfer_encoding.strip():
        raise BadBody(f"unsupported transfer-encoding {transfer_encoding.strip()!r}")
    if not content_length:
        return b""
    try:
        length = int(content_length)
    except ValueError:
        raise BadBody("Content-Length is not a number") from None
    if length < 0:
        raise BadBody("Content-Length is negative")
    if length > MAX_BODY:
        _discard(rfile, min(length, DRAIN_LIMIT))
        raise BodyTooLarge
    body = rfile.read(length)
    if len(body) != length:
        raise BadBody("the body ended early")
    return body


def _discard(rfile: _Reader, size: int) -> None:
    while size > 0:
        got = len(rfile.read(min(size, 65536)))
        if not got:
            return
        size -= got


def _read_chunked(rfile: _Reader) -> bytes:
    body = bytearray()
    total = 0  # bytes received, kept or dropped
    while True:
        line = rfile.readline(_MAX_CHUNK_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadBody("bad chunk size") from None
        if size == 0:
            # Trailers (rare) end with an empty line, like the headers did.
            while rfile.readline(_MAX_CHUNK_LINE) not in {b"\r\n", b"\n", b""}:
                pass
            if total > MAX_BODY:
                raise BodyTooLarge
            return bytes(body)
        total += size
        if size < 0 or total > DRAIN_LIMIT:
            raise BodyTooLarge
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(_MAX_CHUNK_LINE) not in {b"\r\n", b"\n"}:
            raise BadBody("a chunk ended early")
        if total <= MAX_BODY:
            body += chunk


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """Form fields from a body; the last value wins for a repeated name."""
    if content_type is not None and content_type.strip().lower().startswith("multipart/"):
        return _parse_multipart(body, content_type)
    # urlencoded, and anything unlabelled: the stdlib parser ignores what is not a field.
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise BadBody("multipart body without parts (boundary missing or wrong)")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        fields[name] = _part_text(part)
    return fields


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")
