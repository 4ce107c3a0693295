-- One row per reader, creator and day on which the reader engaged with the creator: the pair's
-- history through the end of that day (events, their weight by type, first and last), read as of
-- a label time (recsys/ranking/features.py) from available_at on.
{{ config(**feature_snapshot_config()) }}
{%- set days_to_build = snapshot_days_to_build(events_per_day(), 'sum(n_events_on_day)') %}

with daily as (
    select
        user_id,
        creator_id,
        cast(event_at as date) as as_of_day,
        count(*) as n_events_on_day,
        sum({{ event_weight('event_type') }}) as weight_on_day,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from {{ ref('stg_events') }}
    group by user_id, creator_id, cast(event_at as date)
),

snapshots as (
    select
        user_id,
        creator_id,
        as_of_day,
        {{ snapshot_available_at('as_of_day') }} as available_at,
        n_events_on_day,
        {{ running_total('n_events_on_day', 'user_id, creator_id') }} as n_events,
        {{ running('sum', 'weight_on_day', 'user_id, creator_id') }} as weighted_events,
        -- The pair's first event precedes every row of the pair: no later day leaks into it.
        min(first_event_at) over (partition by user_id, creator_id) as first_event_at,
        last_event_at
    from daily
)

select *
from snapshots
where {{ days_to_build }}
