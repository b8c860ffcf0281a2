"""Model serving: request payloads, prediction endpoints (issue 3, in progress)."""
