-- Reader interactions, cleaned: one row per event_id, bot traffic removed, each event tagged with the
-- creator of its post. Events of posts missing from stg_posts have no creator and are dropped by the
-- inner join; events of unknown types or users are kept, so the tests on this model catch them.
with source as (
    select * from {{ source('raw', 'events') }}
),

deduplicated as (
    -- A re-delivered event keeps its earliest delivery; ordering by every column makes it
    -- deterministic, with nulls last on every key (DuckDB's default, not Spark's) so that both
    -- engines keep the same row.
    select *
    from source
    qualify row_number() over (
        partition by event_id
        order by
            event_date nulls last,
            event_at nulls last,
            user_id nulls last,
            post_id nulls last,
            event_type nulls last,
            dwell_seconds nulls last
    ) = 1
),

typed as (
    select
        cast(event_id as bigint) as event_id,
        cast(user_id as bigint) as user_id,
        cast(post_id as bigint) as post_id,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(event_at as timestamp) as event_at,
        cast(event_date as date) as event_date,
        cast(dwell_seconds as double) as dwell_seconds
    from deduplicated
)

select
    typed.event_id,
    typed.user_id,
    typed.post_id,
    posts.creator_id,
    typed.event_type,
    typed.event_at,
    typed.event_date,
    typed.dwell_seconds
from typed
inner join {{ ref('stg_posts') }} as posts on typed.post_id = posts.post_id
where not exists (
    select 1 from {{ ref('stg_bot_users') }} as bots where bots.user_id = typed.user_id
)
