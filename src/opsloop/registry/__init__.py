"""The model registry: registered models, immutable versions, aliases, audit, gates and events."""
