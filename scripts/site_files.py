"""The built site's files as `scripts/deploy` uploads them (content type, cache header), and the CSP
hashes of the inline scripts its pages run."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HTML_CACHE = "public, max-age=0, must-revalidate"  # always revalidated (ETag): a deploy shows at once
HASHED_CACHE = "public, max-age=31536000, immutable"  # the file name changes with the content
OTHER_CACHE = "public, max-age=3600"  # our own CSS/JS/images keep their names: one hour at most
_HASHED = re.compile(r"\.[0-9a-f]{8,}\.(min\.)?(js|css)(\.map)?$")
_NO_CACHE_SUFFIXES = (".html", ".xml", ".xml.gz", ".json", ".txt")
_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ics": "text/calendar; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".gz": "application/gzip",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}


# --- What is uploaded, and how -------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    path: Path
    key: str
    content_type: str
    cache_control: str


def site_build_env(report_address: str | None) -> dict[str, str]:
    """The environment of the deploy's site build: production, so example contacts stop it
    (theme/hooks/site_build/branches.py); the manual names the report address
    (theme/hooks/site_build/report_address.py)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "CAMPAIGN_BUILD": "production"}
    if report_address:
        env["CAMPAIGN_REPORT_ADDRESS"] = report_address
    return env


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _TEXT_TYPES:
        return _TEXT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def cache_control(key: str) -> str:
    if _HASHED.search(key):
        return HASHED_CACHE
    if key.endswith(_NO_CACHE_SUFFIXES):
        return HTML_CACHE
    return OTHER_CACHE


def site_uploads(site_dir: Path) -> list[Upload]:
    return [
        Upload(path, key, content_type(key), cache_control(key))
        for path in sorted(site_dir.rglob("*"))
        if path.is_file()
        for key in [path.relative_to(site_dir).as_posix()]
    ]


def inline_scripts(html: str) -> Iterator[str]:
    """The bodies of a page's inline scripts that a browser would run (JSON data blocks are not)."""
    for match in _SCRIPT.finditer(html):
        attrs = match.group("attrs")
        if re.search(r"\bsrc\s*=", attrs, re.IGNORECASE):
            continue
        kind = _SCRIPT_TYPE.search(attrs)
        if (kind.group(1).lower() if kind else "") in _EXECUTABLE_TYPES:
            yield match.group("body")


def script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def inline_script_hashes(site_dir: Path) -> list[str]:
    """CSP source expressions for every distinct inline script of the built pages (sorted)."""
    return sorted(
        {
            script_hash(body)
            for page in site_dir.rglob("*.html")
            for body in inline_scripts(page.read_text("utf-8"))
        }
    )
