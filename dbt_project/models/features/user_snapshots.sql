-- One row per reader and day on which the reader had an event: their activity through the end of
-- that day. A model reads the row as of a label time (recsys/ranking/features.py), never before
-- available_at, the end of the day it describes.
{{ config(**feature_snapshot_config()) }}
{%- set days_to_build = snapshot_days_to_build(events_per_day(), 'sum(n_events_on_day)') %}

with events as (
    select user_id, creator_id, event_type, event_at, cast(event_at as date) as as_of_day
    from {{ ref('stg_events') }}
),

activity as (
    select
        user_id,
        as_of_day,
        count(*) as n_events_on_day,
        {%- for event_type in event_types() %}
        sum(case when event_type = '{{ event_type }}' then 1 else 0 end) as n_{{ event_type }}s_on_day,
        {%- endfor %}
        max(event_at) as last_event_at
    from events
    group by user_id, as_of_day
),

first_meetings as (
    select user_id, creator_id, min(as_of_day) as as_of_day
    from events
    group by user_id, creator_id
),

new_creators as (
    select user_id, as_of_day, count(*) as n_new_creators
    from first_meetings
    group by user_id, as_of_day
),

daily as (
    select activity.*, coalesce(new_creators.n_new_creators, 0) as n_new_creators_on_day
    from activity
    left join new_creators
        on activity.user_id = new_creators.user_id and activity.as_of_day = new_creators.as_of_day
),

snapshots as (
    select
        user_id,
        as_of_day,
        {{ snapshot_available_at('as_of_day') }} as available_at,
        n_events_on_day,
        {{ running_total('n_events_on_day', 'user_id') }} as n_events,
        {%- for event_type in event_types() %}
        {{ running_total('n_' ~ event_type ~ 's_on_day', 'user_id') }} as n_{{ event_type }}s,
        {%- endfor %}
        {{ running_total('n_new_creators_on_day', 'user_id') }} as n_creators,
        {{ running_total('1', 'user_id') }} as active_days,
        -- The first active day precedes every row of the reader: no later day leaks into it.
        min(as_of_day) over (partition by user_id) as first_active_day,
        last_event_at
    from daily
)

select *
from snapshots
where {{ days_to_build }}
