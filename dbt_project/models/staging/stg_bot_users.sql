-- Users whose events on some UTC day exceed var('bot_max_events_per_day'). Events are counted by
-- distinct event_id, so a re-delivered event never pushes a reader over the limit.
with daily_counts as (
    select
        cast(user_id as bigint) as user_id,
        cast(event_at as date) as event_day,
        count(distinct event_id) as n_events
    from {{ source('raw', 'events') }}
    where user_id is not null
    group by all
)

select
    user_id,
    max(n_events) as max_events_per_day,
    min(event_day) filter (where n_events > {{ var('bot_max_events_per_day') }}) as first_bot_day
from daily_counts
group by user_id
having max(n_events) > {{ var('bot_max_events_per_day') }}
