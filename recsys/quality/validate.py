"""Run a contract suite with Great Expectations 1.x on an in-memory DataFrame and report failures.

GX is imported inside `validate` only: importing it costs seconds, and the Dagster code location
imports this package at load. GX on DuckDB SQL does not work here, so tables are read into pandas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.quality.contract import Expectation, Severity

MAX_OFFENDING_IDS = 5


@dataclass(frozen=True)
class Failure:
    """One failed expectation, with a few ids of the rows that broke it (none for table-level)."""

    table: str
    name: str
    column: str | None
    expectation_type: str
    severity: Severity
    unexpected_count: int | None
    unexpected_percent: float | None
    offending_ids: list[Any] = field(default_factory=list)
    error: str | None = None

    def describe(self) -> str:
        if self.error is not None:
            detail = f"could not be evaluated: {self.error}"
        elif self.unexpected_count is None:
            detail = "failed"
        else:
            detail = f"{self.unexpected_count} rows ({self.unexpected_percent or 0.0:.2f}%)"
            if self.offending_ids:
                detail += f", e.g. ids {self.offending_ids}"
        return f"[{self.severity}] {self.name} ({self.expectation_type}): {detail}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one table's suite: passed means no error-severity expectation failed."""

    table: str
    rows: int
    evaluated: int
    failures: list[Failure]

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.failures)

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warning"]

    def summary(self) -> str:
        head = (
            f"{self.table}: {'passed' if self.passed else 'FAILED'} "
            f"({self.rows} rows, {self.evaluated} expectations, "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings)"
        )
        return "\n".join([head, *(f"  {f.describe()}" for f in self.failures)])


def validate(
    frame: pd.DataFrame, table: str, expectations: Sequence[Expectation], id_column: str
) -> ValidationReport:
    """Validate `frame` against `expectations` with GX (ephemeral context, whole-frame batch)."""
    import great_expectations as gx
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.registry import get_expectation_impl

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch_definition = (
        context.data_sources.add_pandas(name="frame")
        .add_dataframe_asset(name=table)
        .add_batch_definition_whole_dataframe("whole")
    )
    # Expectations on a contracted column that is missing would each raise; the one failure
    # that matters is "column exists", so the others are not run.
    runnable = [e for e in expectations if _columns_present(e, frame)]
    suite = gx.ExpectationSuite(
        name=f"{table}_contract",
        expectations=[
            get_expectation_impl(e.type)(
                **e.kwargs,
                severity=FailureSeverity.CRITICAL if e.severity == "error" else "warning",
            )
            for e in runnable
        ],
    )
    with _without_batch_fingerprint():
        batch = batch_definition.get_batch(
            batch_parameters={
                "dataframe": _text_as_strings(_nanosecond_timestamps(frame), runnable)
            }
        )
        # BASIC has the counts and percents a Failure needs; SUMMARY would add value counts of
        # the unexpected values, a pass over each failing column that nothing here reads.
        result = batch.validate(suite, result_format={"result_format": "BASIC"})

    failures: list[Failure] = []
    for outcome in result.results:
        if outcome.success:
            continue
        expectation = _match(outcome.expectation_config, runnable)
        failures.append(_failure(table, expectation, outcome, frame, id_column))
    # GX reports the worst failed severity; it must agree with the contract's own reading.
    gx_blocking = result.get_max_severity_failure() == FailureSeverity.CRITICAL
    order = {e.name: i for i, e in enumerate(expectations)}
    failures.sort(key=lambda f: order[f.name])
    report = ValidationReport(table, len(frame), len(runnable), failures)
    assert report.passed != gx_blocking, "GX severity disagrees with the contract"
    return report


@contextlib.contextmanager
def _without_batch_fingerprint() -> Iterator[None]:
    """Turn off GX's fingerprint of pandas batches while validating.

    GX 1.x hashes every frame it is given (md5 over pd.util.hash_pandas_object, twice per
    validation: once for the batch, once when the validator fetches it again) when the frame's
    shallow size is under HASH_THRESHOLD, for a batch marker nothing here reads. On text columns
    that hashing is most of the check: 1M posts took 37 s with it, 10 s without. The threshold is
    read at each batch, so zero skips it.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    threshold = pandas_execution_engine.HASH_THRESHOLD
    pandas_execution_engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        pandas_execution_engine.HASH_THRESHOLD = threshold


def _nanosecond_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with datetime64[us] (DuckDB's unit) columns as datetime64[ns].

    GX compares only ns timestamps vectorised; other units go value by value in Python, about
    10x slower (6 s instead of 0.5 s per range check on 1M rows). Timestamps outside the ns range
    (after 2262) stay as they are and take the slow path.
    """
    slow = [
        c
        for c in frame.columns
        if pd.api.types.is_datetime64_dtype(frame[c].dtype)
        and not pd.api.types.is_datetime64_ns_dtype(frame[c].dtype)
    ]
    if not slow:
        return frame
    converted = frame.copy(deep=False)
    for column in slow:
        with contextlib.suppress(OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            converted[column] = frame[column].astype("datetime64[ns]")
    return converted


def _text_as_strings(frame: pd.DataFrame, expectations: Sequence[Expectation]) -> pd.DataFrame:
    """The frame with each text column contracted as a string (its type list accepts StringDtype)
    and holding only str values as pandas' string dtype.

    GX checks an object column's type value by value in Python (1 of the 1.7 s the events suite
    takes on a day of 870k events); a string-dtype column it checks once, by its dtype. A column
    with any value that is not a str stays object, so GX still finds and names it.
    """
    text = {
        e.kwargs["column"]
        for e in expectations
        if e.type == "expect_column_values_to_be_in_type_list"
        and "StringDtype" in e.kwargs["type_list"]
        and e.kwargs["column"] in frame.columns
        and frame[e.kwargs["column"]].dtype == object
    }
    strings = [c for c in text if pd.api.types.infer_dtype(frame[c], skipna=True) == "string"]
    if not strings:
        return frame
    converted = frame.copy(deep=False)
    for column in strings:
        converted[column] = frame[column].astype(pd.StringDtype())
    return converted


def _columns_present(expectation: Expectation, frame: pd.DataFrame) -> bool:
    if expectation.type == "expect_column_to_exist":
        return True
    columns = [expectation.kwargs.get(k) for k in ("column", "column_A", "column_B")]
    return all(c in frame.columns for c in columns if c is not None)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b) or pd.Timestamp(a) == pd.Timestamp(b)
    except (TypeError, ValueError):
        return False


def _match(config: Any, expectations: Sequence[Expectation]) -> Expectation:
    """The contract expectation a GX result is for, by type and kwargs (results are reordered)."""
    for expectation in expectations:
        if expectation.type == config.type and all(
            _same(value, config.kwargs.get(key)) for key, value in expectation.kwargs.items()
        ):
            return expectation
    raise LookupError(f"GX result matches no contract expectation: {config.type} {config.kwargs}")


def _failure(
    table: str, expectation: Expectation, outcome: Any, frame: pd.DataFrame, id_column: str
) -> Failure:
    info = outcome.exception_info or {}
    if info.get("raised_exception"):
        message = str(info.get("exception_message", "")).splitlines()[0][:200]
        return Failure(
            table, expectation.name, expectation.column, expectation.type,
            expectation.severity, None, None, [], message,
        )  # fmt: skip
    stats = outcome.result or {}
    count = stats.get("unexpected_count")
    mask = offending_rows(frame, expectation)
    ids: list[Any] = []
    if mask is not None and id_column in frame.columns:
        offending = pd.unique(frame.loc[mask, id_column].dropna())[:MAX_OFFENDING_IDS]
        ids = [_plain(v) for v in offending]
        if count is None:
            count = int(mask.sum())
    return Failure(
        table=table,
        name=expectation.name,
        column=expectation.column,
        expectation_type=expectation.type,
        severity=expectation.severity,
        unexpected_count=None if count is None else int(count),
        unexpected_percent=stats.get("unexpected_percent"),
        offending_ids=ids,
    )


def offending_rows(frame: pd.DataFrame, expectation: Expectation) -> pd.Series | None:
    """The rows breaking a row-level expectation, recomputed in pandas from its kwargs.

    GX's partial_unexpected_list holds column values, not row ids, hence this. Returns None for
    table-level expectations (column exists, column type), which have no offending rows.
    """
    kind, kw = expectation.type, expectation.kwargs
    if kind == "expect_column_values_to_not_be_null":
        return frame[kw["column"]].isna()
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = frame[kw["column_A"]], frame[kw["column_B"]]
        broken = a < b if kw.get("or_equal") else a <= b
        return broken & a.notna() & b.notna()
    if kind == "expect_column_values_to_be_in_type_list":
        values = frame[kw["column"]]
        if values.dtype != object:
            return None  # the whole column has the wrong dtype: no row is to blame
        return values.notna() & ~values.map(lambda v: _fits(v, kw["type_list"]))
    if kind not in (
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
    ):
        return None
    values = frame[kw["column"]]
    present = values.notna()
    if kind == "expect_column_values_to_be_unique":
        return values.duplicated(keep=False) & present
    if kind == "expect_column_values_to_be_in_set":
        return ~values.isin(kw["value_set"]) & present
    broken = pd.Series(False, index=frame.index)
    low, high = kw.get("min_value"), kw.get("max_value")
    if low is not None:
        broken |= values <= low if kw.get("strict_min") else values < low
    if high is not None:
        broken |= values >= high if kw.get("strict_max") else values > high
    return broken & present


def _fits(value: Any, type_list: list[str]) -> bool:
    """Whether one value of an object column is of an accepted type (GX's per-value check)."""
    if type(value).__name__ in type_list:
        return True
    for name in type_list:
        try:
            kind = np.dtype(name).kind
        except TypeError:
            continue
        if kind == "i" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return True
        if kind == "f" and isinstance(value, (float, np.floating)):
            return True
        if kind == "b" and isinstance(value, (bool, np.bool_)):
            return True
        if kind == "M" and isinstance(value, (dt.datetime, np.datetime64)):
            return True
    return False


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
