"""What both Flask apps check on a request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from campaign_core.settings import Settings


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(settings: Settings) -> bool:
    """A post must come from our own pages: Origin (or, without it, Referer) names our origin.

    Browsers send Origin with every form post; a request with neither header (some privacy tools
    strip both) is let through: the other checks still apply to it."""
    allowed = {_origin(settings.base_url), _origin(request.host_url)}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("Referer")
    if referer:
        return _origin(referer) in allowed
    return True
