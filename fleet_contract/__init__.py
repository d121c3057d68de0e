"""The contract every part shares: topics, payload validation, fault codes, the database schema, settings."""
