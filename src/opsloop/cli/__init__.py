"""The command line: `opsloop up`, `opsloop db`, `opsloop experiments`, `opsloop runs`."""
