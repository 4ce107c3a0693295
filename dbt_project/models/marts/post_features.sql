-- One row per post: its text and creator (for content models and search) and its engagement.
with engagement as (
    select
        post_id,
        count(*) as n_events,
        count(*) filter (where event_type = 'view') as n_views,
        count(*) filter (where event_type = 'read') as n_reads,
        count(*) filter (where event_type = 'like') as n_likes,
        count(distinct user_id) as n_distinct_readers,
        count(distinct user_id) filter (where event_type = 'read') as n_distinct_full_readers,
        avg(dwell_seconds) as mean_dwell_seconds
    from {{ ref('stg_events') }}
    group by post_id
)

select
    posts.post_id,
    posts.creator_id,
    creators.category,
    posts.title,
    posts.body,
    posts.published_at,
    posts.is_paid,
    coalesce(engagement.n_events, 0) as n_events,
    coalesce(engagement.n_views, 0) as n_views,
    coalesce(engagement.n_reads, 0) as n_reads,
    coalesce(engagement.n_likes, 0) as n_likes,
    coalesce(engagement.n_distinct_readers, 0) as n_distinct_readers,
    engagement.n_distinct_full_readers / nullif(engagement.n_distinct_readers, 0) as read_rate,
    engagement.mean_dwell_seconds
from {{ ref('stg_posts') }} as posts
left join {{ ref('stg_creators') }} as creators on posts.creator_id = creators.creator_id
left join engagement on posts.post_id = engagement.post_id
