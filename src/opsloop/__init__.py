"""opsloop: the whole loop of ML in production."""
