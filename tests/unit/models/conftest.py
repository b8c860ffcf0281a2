"""Small datasets and fitted models shared by the model package tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 120),
            "income": rng.normal(50_000, 15_000, 120),
            "score": rng.random(120),
        }
    )
    y = ((X["score"] > 0.5) ^ (X["age"] > 50)).astype(int).to_numpy()
    return X, y
