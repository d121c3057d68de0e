-- Tickets v2: bookkeeping of the ticket domain (detection latency, event throttling, clear hold-off) and tick indexes.
ALTER TABLE tickets
    ADD COLUMN source_received_at     timestamptz,  -- when ingest stored the reading that opened it: detection latency
    ADD COLUMN last_evidence_event_at timestamptz,  -- the last 'updated' event: at most one an hour unless material
    ADD COLUMN clear_since            timestamptz;  -- reading time from which the condition has stayed clear
-- What tick looks for: unescalated work past due_by, and resolved tickets in their verification window.
CREATE INDEX tickets_late ON tickets (due_by)
    WHERE status IN ('open', 'assigned', 'in_progress') AND NOT escalated;
CREATE INDEX tickets_verifying ON tickets (resolved_at) WHERE status = 'resolved';
