-- One row per reader: profile, activity and subscriptions, as of the latest event.
with as_of as (
    select max(event_at) as as_of_at from {{ ref('stg_events') }}
),

activity as (
    select
        user_id,
        count(*) as n_events,
        {%- for event_type in event_types() %}
        count(*) filter (where event_type = '{{ event_type }}') as n_{{ event_type }}s,
        {%- endfor %}
        count(distinct event_at::date) as active_days,
        count(distinct creator_id) as n_distinct_creators,
        count(distinct post_id) as n_distinct_posts,
        avg(dwell_seconds) as mean_dwell_seconds,
        max(event_at) as last_event_at
    from {{ ref('stg_events') }}
    group by user_id
),

subscriptions as (
    select
        user_id,
        count(*) filter (where is_active) as n_active_subscriptions,
        count(*) filter (where is_active and tier = 'paid') as n_active_paid_subscriptions
    from {{ ref('stg_subscriptions') }}
    group by user_id
)

select
    users.user_id,
    users.signup_at,
    users.country,
    coalesce(activity.n_events, 0) as n_events,
    {%- for event_type in event_types() %}
    coalesce(activity.n_{{ event_type }}s, 0) as n_{{ event_type }}s,
    {%- endfor %}
    coalesce(activity.active_days, 0) as active_days,
    coalesce(activity.n_distinct_creators, 0) as n_distinct_creators,
    coalesce(activity.n_distinct_posts, 0) as n_distinct_posts,
    activity.mean_dwell_seconds,
    coalesce(subscriptions.n_active_subscriptions, 0) as n_active_subscriptions,
    coalesce(subscriptions.n_active_paid_subscriptions, 0) as n_active_paid_subscriptions,
    activity.last_event_at,
    {{ dbt.datediff('users.signup_at', 'as_of.as_of_at', 'day') }} as days_since_signup,
    bots.user_id is not null as is_bot
from {{ ref('stg_users') }} as users
cross join as_of
left join activity on users.user_id = activity.user_id
left join subscriptions on users.user_id = subscriptions.user_id
left join {{ ref('stg_bot_users') }} as bots on users.user_id = bots.user_id
