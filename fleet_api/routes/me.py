"""Who the caller is: role, crew and zone of its token (any role), so the ops page shows the right side."""
from __future__ import annotations

from fastapi import APIRouter

from ..deps import AnyRole
from ..schemas import WhoAmI

router = APIRouter(prefix="/api/v1", tags=["me"])


@router.get("/me", response_model=WhoAmI)
def whoami(principal: AnyRole):
    """The caller's role, and for a crew its name and zone."""
    return WhoAmI(role=principal.role, crew=principal.crew, zone=principal.zone)
