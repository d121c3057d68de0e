-- A vehicle's last service, from its `meta` (optional): where SERVICE_DUE counts from.
ALTER TABLE vehicles ADD COLUMN IF NOT EXISTS last_service_at timestamptz;
ALTER TABLE vehicles ADD COLUMN IF NOT EXISTS last_service_km double precision;
