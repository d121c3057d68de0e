-- Fleet Health schema v1: readings hypertables, vehicles, dead letters, tickets and their events, API tokens.
CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE vehicles (
    vehicle_id  text PRIMARY KEY,
    type        text,
    model       text,
    zone        text,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz,
    presence    text,
    presence_at timestamptz
);

-- Wide where the shape is fixed; idempotent on (vehicle, ts); implausible fields listed, not dropped.
CREATE TABLE battery_readings (
    vehicle_id  text NOT NULL,
    ts          timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    seq         bigint,
    soc_pct     double precision,
    voltage_v   double precision,
    current_a   double precision,
    temp_c      double precision,
    cell_v_min  double precision,
    cell_v_max  double precision,
    cycles      integer,
    implausible text[],
    UNIQUE (vehicle_id, ts)
);
CREATE TABLE brake_readings (
    vehicle_id   text NOT NULL,
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    seq          bigint,
    pad_front_mm double precision,
    pad_rear_mm  double precision,
    decel_mps2   double precision,
    lever_pct    double precision,
    brake_temp_c double precision,
    implausible  text[],
    UNIQUE (vehicle_id, ts)
);
-- Narrow: one row per tire position, since two-wheelers and cars differ.
CREATE TABLE tire_readings (
    vehicle_id   text NOT NULL,
    ts           timestamptz NOT NULL,
    position     text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    seq          bigint,
    pressure_kpa double precision,
    temp_c       double precision,
    implausible  text[],
    UNIQUE (vehicle_id, ts, position)
);
CREATE TABLE status_readings (
    vehicle_id  text NOT NULL,
    ts          timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    seq         bigint,
    lat         double precision,
    lon         double precision,
    speed_kmh   double precision,
    odometer_km double precision,
    state       text,
    implausible text[],
    UNIQUE (vehicle_id, ts)
);
SELECT create_hypertable('battery_readings', 'ts', chunk_time_interval => interval '1 day');
SELECT create_hypertable('brake_readings', 'ts', chunk_time_interval => interval '1 day');
SELECT create_hypertable('tire_readings', 'ts', chunk_time_interval => interval '1 day');
SELECT create_hypertable('status_readings', 'ts', chunk_time_interval => interval '1 day');
-- The detector runner reads what arrived since its cursor.
CREATE INDEX battery_readings_received ON battery_readings (received_at);
CREATE INDEX brake_readings_received ON brake_readings (received_at);
CREATE INDEX tire_readings_received ON tire_readings (received_at);
CREATE INDEX status_readings_received ON status_readings (received_at);

CREATE TABLE deadletters (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic       text NOT NULL,
    reason      text NOT NULL,
    detail      text,
    raw         bytea NOT NULL
);
CREATE INDEX deadletters_reason ON deadletters (reason, received_at DESC);

CREATE TABLE tickets (
    id                   bigserial PRIMARY KEY,
    vehicle_id           text NOT NULL,
    component            text NOT NULL,
    fault_code           text NOT NULL,
    severity             text NOT NULL CHECK (severity IN ('low','medium','high','critical')),
    status               text NOT NULL CHECK (status IN ('open','assigned','in_progress','resolved','closed','cancelled')),
    opened_at            timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    due_by               timestamptz NOT NULL,
    predicted_failure_at timestamptz,
    escalated            boolean NOT NULL DEFAULT false,
    reopen_count         integer NOT NULL DEFAULT 0,
    detector             text NOT NULL,
    confidence           double precision,
    evidence             jsonb NOT NULL DEFAULT '{}',
    assigned_crew        text,
    zone                 text,
    resolution           jsonb,
    detected_from        timestamptz,  -- ts of the first reading that showed the fault
    resolved_at          timestamptz,
    closed_at            timestamptz
);
-- One live ticket per (vehicle, fault), enforced by the database itself.
CREATE UNIQUE INDEX tickets_one_live ON tickets (vehicle_id, fault_code)
    WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX tickets_status ON tickets (status, severity);
CREATE INDEX tickets_vehicle ON tickets (vehicle_id);

CREATE TABLE ticket_events (
    id        bigserial PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES tickets (id),
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    kind      text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);

CREATE TABLE api_tokens (
    id          serial PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('ops','crew','admin')),
    crew        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (role <> 'crew' OR crew IS NOT NULL)
);

CREATE TABLE detector_cursors (
    name        text PRIMARY KEY,
    received_to timestamptz NOT NULL
);
