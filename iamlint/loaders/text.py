"""Decoding source bytes to text, with a located error when that fails."""

from __future__ import annotations

from iamlint.loaders import LoadError


def decode(data: bytes) -> str:
    """UTF-8 text with a leading BOM dropped; LoadError on invalid bytes.

    A NUL byte marks a binary file: no IaC format allows one.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul != -1:
        raise LoadError("binary content (NUL byte): not a text file", _char_offset(data, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x}): the file must be UTF-8 text",
            _char_offset(data, exc.start),
        ) from None


def _char_offset(data: bytes, byte_offset: int) -> int:
    """Character offset of a byte offset, counting what decodes before it."""
    return len(data[:byte_offset].decode("utf-8", errors="replace"))
