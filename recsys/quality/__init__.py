"""Data quality: the data contract as GX suites (contract, validate) and pandas checks (coverage).

Nothing here imports great_expectations at import time; `validate` does, when called.
"""

from recsys.quality.contract import Expectation, suite
from recsys.quality.coverage import referential_coverage, volume_ratio
from recsys.quality.validate import Failure, ValidationReport, validate

__all__ = [
    "Expectation",
    "Failure",
    "ValidationReport",
    "referential_coverage",
    "suite",
    "validate",
    "volume_ratio",
]
