"""The training-input fingerprint: equal for the same inputs, different when anything changes."""

from __future__ import annotations

import pandas as pd

from recsys.models.fingerprint import fingerprint

PARAMS = {"factors": 8, "regularization": 0.05, "seed": 1}


def interactions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3],
            "creator_id": [10, 11, 10, 12],
            "strength": [1.0, 0.5, 2.0, 0.25],
            "as_of_at": pd.to_datetime(["2026-09-01"] * 4, utc=True),
        }
    )


def test_the_same_inputs_give_the_same_fingerprint() -> None:
    assert fingerprint(interactions(), PARAMS, "als-1") == fingerprint(
        interactions(), dict(PARAMS), "als-1"
    )


def test_row_and_column_order_do_not_matter() -> None:
    shuffled = interactions().sample(frac=1.0, random_state=3).reset_index(drop=True)
    reordered = shuffled[["strength", "creator_id", "as_of_at", "user_id"]]

    assert fingerprint(reordered, PARAMS, "als-1") == fingerprint(interactions(), PARAMS, "als-1")


def test_a_changed_row_gives_another_fingerprint() -> None:
    changed = interactions()
    changed.loc[2, "strength"] = 2.5

    assert fingerprint(changed, PARAMS, "als-1") != fingerprint(interactions(), PARAMS, "als-1")


def test_a_missing_or_duplicated_row_gives_another_fingerprint() -> None:
    frame = interactions()
    doubled = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    reference = fingerprint(frame, PARAMS, "als-1")

    assert fingerprint(frame.iloc[1:], PARAMS, "als-1") != reference
    assert fingerprint(doubled, PARAMS, "als-1") != reference


def test_a_changed_parameter_gives_another_fingerprint() -> None:
    assert fingerprint(interactions(), PARAMS | {"factors": 16}, "als-1") != fingerprint(
        interactions(), PARAMS, "als-1"
    )


def test_a_changed_code_version_gives_another_fingerprint() -> None:
    assert fingerprint(interactions(), PARAMS, "als-2") != fingerprint(
        interactions(), PARAMS, "als-1"
    )


def test_named_frames_are_told_apart() -> None:
    train, holdout = interactions().iloc[:2], interactions().iloc[2:]

    swapped = fingerprint({"train": holdout, "holdout": train}, PARAMS, "als-1")

    assert swapped != fingerprint({"train": train, "holdout": holdout}, PARAMS, "als-1")


def test_float_noise_in_the_last_bits_does_not_matter() -> None:
    noisy = interactions()
    noisy["strength"] = noisy["strength"] + 1e-13

    assert fingerprint(noisy, PARAMS, "als-1") == fingerprint(interactions(), PARAMS, "als-1")
