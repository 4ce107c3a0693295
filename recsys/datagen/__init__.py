"""Deterministic generator of a creator platform's landing files and its true preferences."""

from recsys.datagen.platform import GenerationSummary, generate_platform
from recsys.datagen.population import FRONT_PAGE_SHARE
from recsys.datagen.profiles import PROFILES, Profile, resolve_profile
from recsys.datagen.scales import (
    DEFAULT_START,
    IRREGULAR_SCALES,
    IRREGULAR_START,
    SCALES,
    HistoryScale,
    Scale,
    resolve_scale,
)
from recsys.datagen.truth import (
    BOTS_FILE,
    CREATORS_FILE,
    USER_TOPICS_FILE,
    true_affinity,
    true_bot_users,
    true_top_creators,
)
from recsys.datagen.vocabulary import TOPICS

__all__ = [
    "BOTS_FILE",
    "CREATORS_FILE",
    "DEFAULT_START",
    "FRONT_PAGE_SHARE",
    "IRREGULAR_SCALES",
    "IRREGULAR_START",
    "PROFILES",
    "SCALES",
    "TOPICS",
    "USER_TOPICS_FILE",
    "GenerationSummary",
    "HistoryScale",
    "Profile",
    "Scale",
    "generate_platform",
    "resolve_profile",
    "resolve_scale",
    "true_affinity",
    "true_bot_users",
    "true_top_creators",
]
