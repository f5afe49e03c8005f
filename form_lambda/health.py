"""`GET /api/health`: what a load balancer or a newcomer checks first."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__, url_prefix="/api")


@bp.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
