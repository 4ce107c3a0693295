"""The history resource: the rules and windows fitted to the platform's own history.

Built in definitions.py from recsys.settings.Settings, where each knob has its environment variable
and default; run config may still override a window per run (the launchpad shows these values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg

from recsys.settings import Settings

if TYPE_CHECKING:
    from recsys.quality.volume import VolumeRule

_DEFAULTS = Settings.from_env({})


class History(dg.ConfigurableResource):
    """The events contract's volume rule, the bot threshold and the windows measured back from
    the data's own latest day (recsys.settings documents each)."""

    volume_window_days: int = _DEFAULTS.volume_window_days
    volume_min_ratio: float = _DEFAULTS.volume_min_ratio
    volume_max_ratio: float = _DEFAULTS.volume_max_ratio
    volume_min_rows: int = _DEFAULTS.volume_min_rows
    volume_mode: str = _DEFAULTS.volume_mode
    volume_missing_days: str = _DEFAULTS.volume_missing_days
    bot_max_events_per_day: int = _DEFAULTS.bot_max_events_per_day
    holdout_days: int = _DEFAULTS.holdout_days
    split_protocol: str = _DEFAULTS.split_protocol
    new_creator_days: int = _DEFAULTS.new_creator_days
    recent_activity_days: int = _DEFAULTS.recent_activity_days
    fresh_post_days: float = _DEFAULTS.fresh_post_days
    drift_current_days: int = _DEFAULTS.drift_current_days
    drift_reference_days: int = _DEFAULTS.drift_reference_days
    taste_divergence: float = _DEFAULTS.taste_divergence
    taste_max_share_increase: float = _DEFAULTS.taste_max_share_increase
    served_quality_trailing_days: int = _DEFAULTS.served_quality_trailing_days
    served_quality_band_width: float = _DEFAULTS.served_quality_band_width
    reader_history_posts: int = _DEFAULTS.reader_history_posts

    @classmethod
    def from_settings(cls, settings: Settings) -> History:
        return cls(**{name: getattr(settings, name) for name in cls.model_fields})

    @property
    def settings(self) -> Settings:
        """These values as Settings (paths left at their defaults): one home for derived values."""
        from dataclasses import replace

        return replace(_DEFAULTS, **{name: getattr(self, name) for name in type(self).model_fields})

    def volume_rule(self) -> VolumeRule:
        return self.settings.volume_rule

    def dbt_vars(self) -> dict[str, Any]:
        return dict(self.settings.dbt_vars)
