"""Outlook `.msg` files for the forwarded-report tests, written from scratch: a Compound File
(MS-CFB, version 3, 512-byte sectors, a mini stream for small streams) holding the MAPI properties
of a mail (MS-OXMSG): class, subject, plain and HTML body, transport headers, and attachments, either
a file (`.eml`) or another mail embedded the way Outlook attaches an item.

Only what Outlook itself writes for these properties, so the reader under test (extract-msg) reads
it as it reads a real Outlook file; nothing here is shared with the product.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class Stream:
    name: str
    data: bytes


@dataclass
class Storage:
    name: str
    children: list[Stream | Storage] = field(default_factory=list)


def _chain(first: int, count: int) -> list[int]:
    return [first + i + 1 for i in range(count - 1)] + [END] if count else []


def compound_file(root_children: Sequence[Stream | Storage]) -> bytes:
    """The bytes of a compound file whose root storage holds `root_children`."""
    entries: list[tuple[Stream | Storage, int, int, int]] = []  # (node, left, right, child)

    def add(node: Stream | Storage) -> int:
        entries.append((node, NOSTREAM, NOSTREAM, NOSTREAM))
        return len(entries) - 1

    def add_children(parent_index: int, children: Sequence[Stream | Storage]) -> None:
        # Children as a chain of right siblings: a valid (if unbalanced) tree for any reader.
        indices = [add(child) for child in children]
        for position, index in enumerate(indices):
            node, left, _right, child = entries[index]
            right = indices[position + 1] if position + 1 < len(indices) else NOSTREAM
            entries[index] = (node, left, right, child)
        if indices:
            node, left, right, _child = entries[parent_index]
            entries[parent_index] = (node, left, right, indices[0])
        for child_node, index in zip(children, indices, strict=True):
            if isinstance(child_node, Storage):
                add_children(index, child_node.children)

    root = Storage("Root Entry")
    add(root)
    add_children(0, root_children)

    # Small streams go to the mini stream (64-byte mini sectors), big ones to their own sectors.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    starts: dict[int, int] = {}
    big: list[tuple[int, bytes]] = []
    for index, (node, *_links) in enumerate(entries):
        if not isinstance(node, Stream):
            continue
        if len(node.data) < CUTOFF:
            first = len(mini_stream) // MINI
            count = -(-len(node.data) // MINI)
            starts[index] = first if count else END
            mini_fat += _chain(first, count)
            mini_stream += node.data + b"\0" * (count * MINI - len(node.data))
        else:
            big.append((index, node.data))

    def sectors(data: bytes) -> int:
        return -(-len(data) // SECTOR)

    directory = b"".join(_entry(entries, i, starts) for i in range(len(entries)))
    directory += b"\0" * (-len(directory) % SECTOR)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat) if mini_fat else b""
    mini_fat_bytes += b"\xff" * (-len(mini_fat_bytes) % SECTOR)
    blobs = [directory, mini_fat_bytes, bytes(mini_stream)] + [data for _, data in big]
    body_sectors = sum(sectors(b) for b in blobs)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < body_sectors + fat_sectors:
        fat_sectors += 1
    fat: list[int] = [FATSECT] * fat_sectors
    positions: list[int] = []
    for blob in blobs:
        positions.append(len(fat))
        fat += _chain(len(fat), sectors(blob))
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    dir_start, mini_fat_start, mini_stream_start = positions[0], positions[1], positions[2]
    for (index, _data), position in zip(big, positions[3:], strict=True):
        starts[index] = position
    starts[0] = mini_stream_start if mini_stream else END
    # The directory was laid out before the big streams' and the root's starts were known: redo it.
    directory = b"".join(_entry(entries, i, starts, len(mini_stream)) for i in range(len(entries)))
    directory += b"\0" * (-len(directory) % SECTOR)
    blobs[0] = directory

    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, fat_sectors, dir_start, 0, CUTOFF,
        mini_fat_start if mini_fat else END, sectors(mini_fat_bytes) if mini_fat else 0,
        END, 0, *difat,
    )  # fmt: skip
    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    for blob in blobs:
        out += blob + b"\0" * (-len(blob) % SECTOR)
    return bytes(out)


def _entry(
    entries: list[tuple[Stream | Storage, int, int, int]],
    index: int,
    starts: dict[int, int],
    root_size: int = 0,
) -> bytes:
    node, left, right, child = entries[index]
    name = node.name.encode("utf-16-le") + b"\0\0"
    kind = 5 if index == 0 else (2 if isinstance(node, Stream) else 1)
    size = len(node.data) if isinstance(node, Stream) else (root_size if index == 0 else 0)
    start = starts.get(index, END if index == 0 or isinstance(node, Stream) else 0)
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name), kind, 1, left, right, child, b"\0" * 16, 0, 0, 0, start, size,
    )  # fmt: skip


# -- MAPI properties (MS-OXMSG) ----------------------------------------------------------------

PT_LONG, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x0003, 0x001F, 0x0102, 0x000D


@dataclass
class Attachment:
    filename: str
    data: bytes = b""
    embedded: OutlookMail | None = None  # an Outlook item attached (attach method 5)


@dataclass
class OutlookMail:
    subject: str
    body: str
    html: str = ""
    headers: str = ""
    attachments: list[Attachment] = field(default_factory=list)


def _props(
    header: bytes, fixed: Sequence[tuple[int, int, int]], variable: Sequence[tuple[int, int, int]]
) -> bytes:
    """`__properties_version1.0`: a header, then 16 bytes a property (tag, flags, value or size)."""
    rows = [struct.pack("<IIQ", (pid << 16) | ptype, 6, value) for pid, ptype, value in fixed]
    rows += [struct.pack("<IIII", (pid << 16) | ptype, 6, size, 0) for pid, ptype, size in variable]
    return header + b"".join(rows)


def _string(pid: int, text: str) -> tuple[Stream, tuple[int, int, int]]:
    data = text.encode("utf-16-le")
    return Stream(f"__substg1.0_{pid:04X}{PT_UNICODE:04X}", data), (pid, PT_UNICODE, len(data) + 2)


def _binary(pid: int, data: bytes) -> tuple[Stream, tuple[int, int, int]]:
    return Stream(f"__substg1.0_{pid:04X}{PT_BINARY:04X}", data), (pid, PT_BINARY, len(data))


def _message_children(mail: OutlookMail, *, top: bool) -> list[Stream | Storage]:
    streams: list[Stream | Storage] = []
    variable: list[tuple[int, int, int]] = []
    for stream, prop in (
        _string(0x001A, "IPM.Note"),
        _string(0x0037, mail.subject),
        _string(0x1000, mail.body),
        *([_string(0x007D, mail.headers)] if mail.headers else []),
        *([_binary(0x1013, mail.html.encode("utf-8"))] if mail.html else []),
    ):
        streams.append(stream)
        variable.append(prop)
    count = len(mail.attachments)
    header = struct.pack(
        "<8sIIII8s" if top else "<8sIIII", b"\0" * 8, 0, count, 0, count, *([b"\0" * 8] if top else [])
    )
    streams.insert(0, Stream("__properties_version1.0", _props(header, [], variable)))
    for number, attachment in enumerate(mail.attachments):
        streams.append(_attachment_storage(number, attachment))
    if top:
        streams.append(
            Storage(
                "__nameid_version1.0",
                [Stream(f"__substg1.0_{n:04X}0102", b"") for n in (2, 3, 4)],
            )
        )
    return streams


def _attachment_storage(number: int, attachment: Attachment) -> Storage:
    children: list[Stream | Storage] = []
    variable: list[tuple[int, int, int]] = []
    name_stream, name_prop = _string(0x3707, attachment.filename)
    children.append(name_stream)
    variable.append(name_prop)
    if attachment.embedded is not None:
        method = 5
        children.append(Storage("__substg1.0_3701000D", _message_children(attachment.embedded, top=False)))
        variable.append((0x3701, PT_OBJECT, 0xFFFFFFFF))
    else:
        method = 1
        data_stream, data_prop = _binary(0x3701, attachment.data)
        children.append(data_stream)
        variable.append(data_prop)
    props = _props(b"\0" * 8, [(0x3705, PT_LONG, method)], variable)
    return Storage(
        f"__attach_version1.0_#{number:08X}", [Stream("__properties_version1.0", props), *children]
    )


def outlook_msg(mail: OutlookMail) -> bytes:
    """The `.msg` file of `mail`, as Outlook's 'Save as' or 'Forward as attachment' makes it."""
    return compound_file(_message_children(mail, top=True))
