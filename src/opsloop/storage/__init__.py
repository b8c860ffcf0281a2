"""Storage: SQL engine and sessions, schema and migrations, artifact stores. No domain rules."""
