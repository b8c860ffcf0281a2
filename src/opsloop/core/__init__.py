"""Pure types shared by both halves of opsloop. No I/O here."""
