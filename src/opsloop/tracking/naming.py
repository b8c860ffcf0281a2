"""Readable default run names ("brave-otter-42"), as MLflow and W&B give."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber",
    "bold",
    "brave",
    "bright",
    "calm",
    "clever",
    "crisp",
    "eager",
    "fair",
    "fast",
    "gentle",
    "glad",
    "grand",
    "keen",
    "kind",
    "lively",
    "lucid",
    "merry",
    "neat",
    "noble",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "sharp",
    "shy",
    "silent",
    "steady",
    "swift",
    "witty",
)
_NOUNS = (
    "badger",
    "bear",
    "crane",
    "deer",
    "dolphin",
    "eagle",
    "falcon",
    "fox",
    "gecko",
    "hare",
    "heron",
    "ibis",
    "koala",
    "lark",
    "lynx",
    "moose",
    "newt",
    "otter",
    "owl",
    "panda",
    "puffin",
    "raven",
    "seal",
    "shark",
    "sparrow",
    "swan",
    "tiger",
    "trout",
    "wolf",
    "wren",
)


def default_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(1, 999)}"
