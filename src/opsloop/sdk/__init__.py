"""The Python SDK: `import opsloop as ol; with ol.start_run(...) as run: ...`."""
