"""Tracking tokens in a forwarded mail's text, also where a mail system rewrote the links.

Companies' gateways rewrite every link of incoming mail before the participant sees it, and a
forward carries the rewritten link: Microsoft Defender's Safe Links puts the original, percent-encoded,
in `?url=`; Proofpoint URL Defense v1 in `u=` percent-encoded, v2 in `u=` with `-` for `%` and `_` for
`/`, v3 between `__` and `__;` with some characters replaced by `*` and carried base64-encoded after
`;`. Each is undone here the way the vendors' published decoders do it, and the text is searched
as it is, unescaped (HTML entities) and percent-decoded, so a token is found in whichever shape.
Gateways that swap the link for an opaque id of their own (no original inside) cannot be matched.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from urllib.parse import unquote

# /t/o/<token>.gif and /t/c/<token>?l=..., the token being itsdangerous' payload.stamp.signature
# (a compressed payload starts with a dot).
TRACKING = re.compile(r"/t/[oc]/(\.?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
MAX_TOKENS = 50  # distinct candidates checked per mail: a forward holds a few, never hundreds

_PROOFPOINT_V2 = re.compile(r"urldefense(?:\.proofpoint)?\.com/v2/url\?u=([^&\s\"'<>]+)")
_PROOFPOINT_V3 = re.compile(r"urldefense(?:\.proofpoint)?\.com/v3/__(.+?)__;([A-Za-z0-9_\-=]*)!")
_V3_TOKEN = re.compile(r"\*(\*.)?")
# A `**X` marker stands for a run of replaced characters: A = 2, B = 3, ... (Proofpoint's table).
_V3_RUNS = {
    c: i + 2 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}


def proofpoint_v2(encoded: str) -> str:
    """`u=` of a v2 link back to the original URL."""
    return unquote(encoded.replace("-", "%").replace("_", "/"))


def proofpoint_v3(url: str, replaced: str) -> str:
    """The original URL of a v3 link: `*` markers take the characters of the base64 tail in order."""
    try:
        characters = base64.urlsafe_b64decode(replaced + "==").decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        characters = ""
    position = 0
    pieces: list[str] = []
    last = 0
    text = unquote(url)
    for marker in _V3_TOKEN.finditer(text):
        pieces.append(text[last : marker.start()])
        length = _V3_RUNS.get(marker.group(0)[-1], 1) if marker.group(1) else 1
        pieces.append(characters[position : position + length])
        position += length
        last = marker.end()
    pieces.append(text[last:])
    return "".join(pieces)


def _variants(text: str) -> list[str]:
    plain = html.unescape(text.replace("=\r\n", "").replace("=\n", ""))  # soft breaks of raw QP
    once = unquote(plain)
    found = [plain, once, unquote(once)]  # Safe Links inside Safe Links encodes twice
    for source in (plain, once):
        found += [proofpoint_v2(m.group(1)) for m in _PROOFPOINT_V2.finditer(source)]
        found += [proofpoint_v3(m.group(1), m.group(2)) for m in _PROOFPOINT_V3.finditer(source)]
    return found


def candidate_tokens(texts: list[str]) -> list[str]:
    """Distinct token-shaped strings behind tracking paths, in the order they appear."""
    seen: dict[str, None] = {}
    for text in texts:
        for variant in _variants(text):
            for token in TRACKING.findall(variant):
                seen.setdefault(token, None)
                if len(seen) >= MAX_TOKENS:
                    return list(seen)
    return list(seen)
