-- One row per creator and day on which one of their posts was read or published: their audience
-- and catalogue through the end of that day, read as of a label time (recsys/ranking/features.py)
-- from available_at on. A window's figure (new readers in the last week) is the difference of two
-- rows read at both ends of the window, so a quiet creator needs no row on quiet days.
{{ config(**feature_snapshot_config()) }}
{%- set current_daily -%}
    select as_of_day, sum(n) as n
    from (
        {{ events_per_day() }}
        union all
        select cast(published_at as date) as as_of_day, count(*) as n
        from {{ ref('stg_posts') }}
        group by cast(published_at as date)
    ) as changes
    group by as_of_day
{%- endset %}
{%- set days_to_build = snapshot_days_to_build(current_daily, 'sum(n_events_on_day + n_posts_on_day)') %}

with events as (
    select user_id, creator_id, event_at, cast(event_at as date) as as_of_day
    from {{ ref('stg_events') }}
),

engagement as (
    select creator_id, as_of_day, count(*) as n_events_on_day, max(event_at) as last_event_at
    from events
    group by creator_id, as_of_day
),

first_meetings as (
    select user_id, creator_id, min(as_of_day) as as_of_day
    from events
    group by user_id, creator_id
),

new_readers as (
    select creator_id, as_of_day, count(*) as n_new_readers
    from first_meetings
    group by creator_id, as_of_day
),

posting as (
    select
        creator_id,
        cast(published_at as date) as as_of_day,
        count(*) as n_posts_on_day,
        max(published_at) as last_post_at
    from {{ ref('stg_posts') }}
    group by creator_id, cast(published_at as date)
),

changed_days as (
    select creator_id, as_of_day from engagement
    union
    select creator_id, as_of_day from posting
),

daily as (
    select
        changed_days.creator_id,
        changed_days.as_of_day,
        coalesce(engagement.n_events_on_day, 0) as n_events_on_day,
        coalesce(new_readers.n_new_readers, 0) as n_new_readers_on_day,
        coalesce(posting.n_posts_on_day, 0) as n_posts_on_day,
        engagement.last_event_at,
        posting.last_post_at
    from changed_days
    left join engagement
        on changed_days.creator_id = engagement.creator_id
        and changed_days.as_of_day = engagement.as_of_day
    left join new_readers
        on changed_days.creator_id = new_readers.creator_id
        and changed_days.as_of_day = new_readers.as_of_day
    left join posting
        on changed_days.creator_id = posting.creator_id
        and changed_days.as_of_day = posting.as_of_day
),

snapshots as (
    select
        creator_id,
        as_of_day,
        {{ snapshot_available_at('as_of_day') }} as available_at,
        n_events_on_day,
        n_posts_on_day,
        {{ running_total('n_events_on_day', 'creator_id') }} as n_events,
        {{ running_total('n_new_readers_on_day', 'creator_id') }} as n_readers,
        {{ running_total('n_posts_on_day', 'creator_id') }} as n_posts,
        {{ running('max', 'last_event_at', 'creator_id') }} as last_event_at,
        {{ running('max', 'last_post_at', 'creator_id') }} as last_post_at
    from daily
)

select *
from snapshots
where {{ days_to_build }}
