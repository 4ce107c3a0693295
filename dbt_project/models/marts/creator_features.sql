-- One row per creator: catalogue, audience and recent engagement, as of the latest event.
with as_of as (
    select max(event_at) as as_of_at from {{ ref('stg_events') }}
),

posts as (
    select
        creator_id,
        count(*) as n_posts,
        count(*) filter (where is_paid) as n_paid_posts,
        min(published_at) as first_post_at,
        max(published_at) as last_post_at
    from {{ ref('stg_posts') }}
    group by creator_id
),

subscribers as (
    select
        creator_id,
        count(distinct user_id) filter (where is_active) as n_active_subscribers,
        count(distinct user_id) filter (where is_active and tier = 'paid') as n_paid_subscribers
    from {{ ref('stg_subscriptions') }}
    group by creator_id
),

engagement as (
    select
        events.creator_id,
        count(*) as n_events,
        count(distinct events.user_id) as n_distinct_readers,
        count(*) filter (
            where events.event_at > {{ days_before('as_of.as_of_at', var('recent_activity_days')) }}
        ) as n_events_recent,
        count(distinct events.user_id) filter (
            where events.event_at > {{ days_before('as_of.as_of_at', var('recent_activity_days')) }}
        ) as n_distinct_readers_recent
    from {{ ref('stg_events') }} as events
    cross join as_of
    group by events.creator_id
)

select
    creators.creator_id,
    creators.creator_name,
    creators.category,
    creators.created_at,
    coalesce(posts.n_posts, 0) as n_posts,
    coalesce(posts.n_paid_posts, 0) as n_paid_posts,
    posts.first_post_at,
    posts.last_post_at,
    coalesce(subscribers.n_active_subscribers, 0) as n_active_subscribers,
    coalesce(subscribers.n_paid_subscribers, 0) as n_paid_subscribers,
    coalesce(engagement.n_events, 0) as n_events,
    coalesce(engagement.n_distinct_readers, 0) as n_distinct_readers,
    coalesce(engagement.n_events_recent, 0) as n_events_recent,
    coalesce(engagement.n_distinct_readers_recent, 0) as n_distinct_readers_recent,
    creators.created_at > {{ days_before('as_of.as_of_at', var('new_creator_days')) }} as is_new
from {{ ref('stg_creators') }} as creators
cross join as_of
left join posts on creators.creator_id = posts.creator_id
left join subscribers on creators.creator_id = subscribers.creator_id
left join engagement on creators.creator_id = engagement.creator_id
