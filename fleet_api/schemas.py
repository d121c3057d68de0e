"""Response models: what each route returns, and so what OpenAPI documents."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

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


class VehicleListItem(BaseModel):
    vehicle_id: str
    type: str | None
    model: str | None
    zone: str | None
    last_seen: datetime | None
    lat: float | None
    lon: float | None
    state: str | None = Field(description="latest status reading's state")
    soc_pct: float | None
    health: int = Field(ge=0, le=100)
    live_tickets: int
    disabled: bool = Field(description="a live critical ticket exists")


class VehiclesPublic(BaseModel):
    data: list[VehicleListItem]
    count: int = Field(description="vehicles matching the filters, all pages")


class TelemetryPoint(BaseModel):
    ts: datetime
    values: dict[str, float | None]


class TelemetryPublic(BaseModel):
    vehicle_id: str
    component: Literal["battery", "brakes", "tires", "status"]
    bucket: str | None = Field(description="time_bucket width, or null for raw readings")
    fields: list[str]
    data: list[TelemetryPoint]


class TicketEventPublic(BaseModel):
    id: int
    ticket_id: int
    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]


class TicketEventsPublic(BaseModel):
    data: list[TicketEventPublic]
    count: int


class AssignBody(BaseModel):
    crew: str = Field(min_length=1, max_length=64)


class ResolveBody(BaseModel):
    outcome: Literal["repaired", "replaced", "no_fault_found"]
    notes: str = Field("", max_length=4000)
    parts: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=50)


class CancelBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class JobPublic(BaseModel):
    ticket: TicketPublic
    lat: float | None
    lon: float | None
    distance_m: float | None = Field(description="great-circle distance from the given position")


class StopPublic(BaseModel):
    lat: float | None
    lon: float | None
    distance_m: float | None
    jobs: list[JobPublic]


class JobsPublic(BaseModel):
    crew: str
    zone: str | None = Field(description="the crew's zone; null: all zones")
    walk_m: float
    data: list[StopPublic]
    count: int = Field(description="stops, all pages")
    jobs: int = Field(description="jobs in all stops")


class FleetSummary(BaseModel):
    vehicles: int
    by_state: dict[str, int]
    by_type: dict[str, int]
    in_service: int
    disabled: int
    live_tickets_by_severity: dict[str, int]
    health_distribution: dict[str, int] = Field(description="vehicles per health band: 0-49, 50-79, 80-99, 100")


class KpisPublic(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    mean_time_to_repair_h: float | None
    resolved_within_respond_by: float | None = Field(ge=0, le=1)
    first_time_fix_rate: float | None = Field(ge=0, le=1)
    false_alarm_rate: float | None = Field(ge=0, le=1)
    mean_detection_lead_time_h: float | None
    availability: float | None = Field(ge=0, le=1)
    resolutions: int
    predictive_tickets_opened: int
    model_config = {"populate_by_name": True}


class GbfsVehicle(BaseModel):
    vehicle_id: str
    lat: float | None = None
    lon: float | None = None
    is_reserved: bool
    is_disabled: bool
    current_fuel_percent: float | None = Field(None, ge=0, le=1)
    vehicle_type_id: str | None = None
    last_reported: datetime | None = None


class GbfsVehicleData(BaseModel):
    vehicles: list[GbfsVehicle]


class GbfsVehicleStatus(BaseModel):
    last_updated: datetime
    ttl: int
    version: Literal["3.0"]
    data: GbfsVehicleData


class GbfsBike(BaseModel):
    bike_id: str
    lat: float | None = None
    lon: float | None = None
    is_reserved: bool
    is_disabled: bool
    current_fuel_percent: float | None = Field(None, ge=0, le=1)
    vehicle_type_id: str | None = None
    last_reported: int | None = None


class GbfsBikeData(BaseModel):
    bikes: list[GbfsBike]


class GbfsFreeBikeStatus(BaseModel):
    last_updated: int
    ttl: int
    version: Literal["2.3"]
    data: GbfsBikeData


class WhoAmI(BaseModel):
    role: Literal["ops", "crew", "admin"]
    crew: str | None
    zone: str | None
