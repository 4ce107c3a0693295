"""Deterministic generator of a creator platform's landing files and its true preferences."""

from recsys.datagen.platform import GenerationSummary, generate_platform
from recsys.datagen.population import FRONT_PAGE_SHARE
from recsys.datagen.scales import DEFAULT_START, SCALES, Scale, resolve_scale
from recsys.datagen.truth import (
    CREATORS_FILE,
    USER_TOPICS_FILE,
    true_affinity,
    true_top_creators,
)
from recsys.datagen.vocabulary import TOPICS

__all__ = [
    "CREATORS_FILE",
    "DEFAULT_START",
    "FRONT_PAGE_SHARE",
    "SCALES",
    "TOPICS",
    "USER_TOPICS_FILE",
    "GenerationSummary",
    "Scale",
    "generate_platform",
    "resolve_scale",
    "true_affinity",
    "true_top_creators",
]
