"""Response models: what each route returns, and so what OpenAPI documents."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    pool: dict[str, int]


class Resolution(BaseModel):
    outcome: Literal["repaired", "replaced", "no_fault_found"]
    notes: str = ""
    parts: list[str] = []
    by: str | None = None
    at: datetime | None = None


class TicketPublic(BaseModel):
    id: int
    vehicle_id: str
    component: str
    fault_code: str
    severity: Literal["low", "medium", "high", "critical"]
    status: Literal["open", "assigned", "in_progress", "resolved", "closed", "cancelled"]
    opened_at: datetime
    updated_at: datetime
    due_by: datetime
    predicted_failure_at: datetime | None
    escalated: bool
    reopen_count: int
    detector: str
    confidence: float | None
    evidence: dict[str, Any]
    assigned_crew: str | None
    zone: str | None
    resolution: Resolution | None


class TicketsPublic(BaseModel):
    data: list[TicketPublic]
    count: int = Field(description="tickets matching the filters, all pages")


class VehiclePublic(BaseModel):
    vehicle_id: str
    type: str | None
    model: str | None
    zone: str | None
    first_seen: datetime
    last_seen: datetime | None
    presence: str | None
    health: int = Field(ge=0, le=100, description="0..100; see docs/health.md")
    latest: dict[str, dict[str, Any] | None] = Field(description="latest reading per component")
    live_tickets: list[TicketPublic]


class DeadLetterPublic(BaseModel):
    id: int
    received_at: datetime
    topic: str
    reason: str
    detail: str | None
    raw_text: str = Field(description="the rejected bytes (capped at 4 KiB) as UTF-8, undecodable bytes replaced")
    raw_base64: str


class DeadLettersPublic(BaseModel):
    data: list[DeadLetterPublic]
    count: int
    by_reason: dict[str, int]
