"""Data quality: the data contract as GX suites (contract, validate) and pandas checks (coverage,
volume).

Nothing here imports great_expectations at import time; `validate` does, when called.
"""

from recsys.quality.contract import Expectation, suite
from recsys.quality.coverage import referential_coverage
from recsys.quality.validate import Failure, ValidationReport, validate
from recsys.quality.volume import VolumeRule, judge_volume

__all__ = [
    "Expectation",
    "Failure",
    "ValidationReport",
    "VolumeRule",
    "judge_volume",
    "referential_coverage",
    "suite",
    "validate",
]
