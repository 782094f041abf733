"""The canvas and frame count a file declares, read from its header without any decoder.

Pillow's WebP reader allocates the whole RGBA canvas the header declares as soon
as the file is opened (libwebp's animation decoder does), so a 16383x16383 WebP
costs a gigabyte before any limit could be checked on the opened image; and a
GIF's or APNG's frames are only counted by Pillow by reading through them. These
readers walk the container's own structure (chunk and block lengths) and never
touch the compressed pixels, so the limits are checked first.

Only what the three containers declare is read; anything damaged or cut short
gives what was read so far, and the decoder reports the damage later.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Declared:
    """Canvas width and height (the largest any frame reaches) and the number of frames."""

    width: int
    height: int
    frames: int = 1

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def frame_pixels(self) -> int:
        """Pixels of every frame together: what decoding the whole animation would touch."""
        return self.pixels * self.frames


def _u16le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _u24le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def _png(data: bytes) -> Declared | None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    if zlib.crc32(data[12:29]) != int.from_bytes(data[29:33], "big"):
        return None  # a damaged header: Pillow says how
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    frames = 1
    offset = 8
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if kind == b"acTL" and offset + 12 <= len(data):
            frames = max(1, int.from_bytes(data[offset + 8 : offset + 12], "big"))
            break
        if kind == b"IDAT":  # acTL must come before the first IDAT
            break
        offset += 12 + length
    return Declared(width, height, frames)


def _skip_sub_blocks(data: bytes, offset: int) -> int:
    """The offset after a GIF data sub-block chain (length-prefixed blocks ending with 0)."""
    while offset < len(data):
        size = data[offset]
        offset += 1 + size
        if size == 0:
            break
    return offset


def _gif(data: bytes) -> Declared | None:
    if len(data) < 13:
        return None
    width, height = _u16le(data, 6), _u16le(data, 8)
    flags = data[10]
    offset = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    while offset < len(data):
        block = data[offset]
        if block == 0x2C and offset + 10 <= len(data):  # an image descriptor: one frame
            left, top = _u16le(data, offset + 1), _u16le(data, offset + 3)
            width = max(width, left + _u16le(data, offset + 5))
            height = max(height, top + _u16le(data, offset + 7))
            frames += 1
            local = data[offset + 9]
            offset += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            offset = _skip_sub_blocks(data, offset + 1)  # +1: the LZW minimum code size
        elif block == 0x21:  # an extension: label, then sub-blocks
            offset = _skip_sub_blocks(data, offset + 2)
        else:  # the trailer (0x3B) or damage: stop counting
            break
    return Declared(width, height, max(1, frames))


def _webp(data: bytes) -> Declared | None:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        width, height = _u24le(data, 24) + 1, _u24le(data, 27) + 1
        frames = 0
        offset = 12
        while offset + 8 <= len(data):
            chunk, length = (
                data[offset : offset + 4],
                int.from_bytes(data[offset + 4 : offset + 8], "little"),
            )
            frames += chunk == b"ANMF"
            offset += 8 + length + (length & 1)
        return Declared(width, height, max(1, frames))
    if kind == b"VP8 " and len(data) >= 30:
        return Declared(_u16le(data, 26) & 0x3FFF, _u16le(data, 28) & 0x3FFF)
    if kind == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return Declared((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return None


_READERS = {"PNG": _png, "GIF": _gif, "WEBP": _webp}


def declared(data: bytes, fmt: str) -> Declared | None:
    """What a PNG, GIF or WebP declares; None for other formats (Pillow's header reading is
    enough there: it reads no pixels and allocates none) or a header too damaged to read."""
    reader = _READERS.get(fmt)
    return None if reader is None else reader(data)
