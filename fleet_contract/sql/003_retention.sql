-- Retention: hourly rollups per vehicle and component, kept after the raw readings are dropped.
-- Refreshed by ingest/retention.py for closed hours (late readings recompute their hour).
CREATE TABLE battery_hourly (
    vehicle_id      text NOT NULL,
    bucket          timestamptz NOT NULL,
    n               integer NOT NULL,
    soc_pct_avg     double precision,
    soc_pct_min     double precision,
    soc_pct_max     double precision,
    voltage_v_avg   double precision,
    current_a_avg   double precision,
    temp_c_avg      double precision,
    temp_c_max      double precision,
    cell_spread_max double precision,  -- max(cell_v_max - cell_v_min)
    cycles_max      integer,
    PRIMARY KEY (vehicle_id, bucket)
);
CREATE TABLE brake_hourly (
    vehicle_id       text NOT NULL,
    bucket           timestamptz NOT NULL,
    n                integer NOT NULL,
    pad_front_mm_min double precision,
    pad_rear_mm_min  double precision,
    decel_mps2_avg   double precision,
    lever_pct_avg    double precision,
    brake_temp_c_max double precision,
    PRIMARY KEY (vehicle_id, bucket)
);
CREATE TABLE tire_hourly (
    vehicle_id       text NOT NULL,
    position         text NOT NULL,
    bucket           timestamptz NOT NULL,
    n                integer NOT NULL,
    pressure_kpa_avg double precision,
    pressure_kpa_min double precision,
    pressure_kpa_max double precision,
    temp_c_avg       double precision,
    PRIMARY KEY (vehicle_id, position, bucket)
);
CREATE TABLE status_hourly (
    vehicle_id      text NOT NULL,
    bucket          timestamptz NOT NULL,
    n               integer NOT NULL,
    speed_kmh_avg   double precision,
    speed_kmh_max   double precision,
    odometer_km_max double precision,
    riding_n        integer NOT NULL,  -- readings in state riding
    PRIMARY KEY (vehicle_id, bucket)
);
CREATE INDEX battery_hourly_bucket ON battery_hourly (bucket);
CREATE INDEX brake_hourly_bucket ON brake_hourly (bucket);
CREATE INDEX tire_hourly_bucket ON tire_hourly (bucket);
CREATE INDEX status_hourly_bucket ON status_hourly (bucket);

-- Where the last refresh got to: readings received up to `received_to`, hours closed before `hours_to`.
CREATE TABLE rollup_progress (
    name        text PRIMARY KEY,
    received_to timestamptz NOT NULL,
    hours_to    timestamptz NOT NULL
);
