-- Training interactions: each user's events strictly before their own cutoff (user_split_cutoffs:
-- the global cutoff, or the user's under the per-user protocol), decayed as of that cutoff, so
-- nothing a model is evaluated on leaks into what it (or its confidence weights) learned from. A
-- user without a cutoff (one creator, per-user protocol) trains on all their events, as of the
-- latest event.
with cutoffs as (
    select user_id, cutoff_at from {{ ref('user_split_cutoffs') }}
),

train_events as (
    select events.*, cutoffs.cutoff_at
    from {{ ref('stg_events') }} as events
    inner join cutoffs on events.user_id = cutoffs.user_id
    where cutoffs.cutoff_at is null or events.event_at < cutoffs.cutoff_at
),

interactions as (
    {{ aggregate_interactions(
        'train_events',
        "coalesce(cutoff_at, (select latest_event_at from " ~ ref('split_cutoff') ~ "))"
    ) }}
)

select
    interactions.*,
    cutoffs.cutoff_at
from interactions
inner join cutoffs on interactions.user_id = cutoffs.user_id
