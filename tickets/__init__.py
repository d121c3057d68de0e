"""The ticket domain of CONTRACT section 3: raising, updating and working maintenance tickets.

`rules` (pure policy: due_by, windows), `domain` (the Ticket aggregate and its events, no I/O), `ports` (the
repository port), `repository` (PostgreSQL adapter), `memory` (in-memory adapter), `service` (use cases).
"""
