-- Holdout interactions: each user's events at or after their own cutoff (user_split_cutoffs),
-- decayed as of the latest event, with whether the pair already interacted before that cutoff
-- (evaluation of discovery scores the pairs first met after it).
with cutoffs as (
    select user_id, cutoff_at from {{ ref('user_split_cutoffs') }}
    where cutoff_at is not null
),

latest as (
    select latest_event_at from {{ ref('split_cutoff') }}
),

holdout_events as (
    select events.*
    from {{ ref('stg_events') }} as events
    inner join cutoffs on events.user_id = cutoffs.user_id
    where events.event_at >= cutoffs.cutoff_at
),

interactions as (
    {{ aggregate_interactions('holdout_events', '(select latest_event_at from latest)') }}
)

select
    interactions.user_id,
    interactions.creator_id,
    interactions.n_events,
    interactions.strength,
    interactions.first_event_at,
    interactions.last_event_at,
    train.user_id is not null as seen_in_train,
    cutoffs.cutoff_at
from interactions
inner join cutoffs on interactions.user_id = cutoffs.user_id
left join {{ ref('interactions_train') }} as train
    on interactions.user_id = train.user_id
    and interactions.creator_id = train.creator_id
