"""The tracking-store contract over HTTP, for SDKs and tools that talk to an opsloop server."""

from opsloop.client.http_store import HttpTrackingStore

__all__ = ["HttpTrackingStore"]
