-- API: a crew token's zone (its job list covers it; none = all zones), and indexes for the crew job list,
-- the ticket list, KPIs and the vehicle list.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS zone text;
CREATE INDEX IF NOT EXISTS tickets_live_zone ON tickets (zone, severity, due_by)
    WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX IF NOT EXISTS tickets_opened ON tickets (opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS ticket_events_at ON ticket_events (at);
CREATE INDEX IF NOT EXISTS vehicles_zone_type ON vehicles (zone, type);
