-- Holdout interactions: events at or after the cutoff, decayed as of the latest event, with whether the
-- pair already interacted before the cutoff (evaluation of discovery usually scores unseen pairs).
with cutoff as (
    select cutoff_at, latest_event_at from {{ ref('split_cutoff') }}
),

holdout_events as (
    select *
    from {{ ref('stg_events') }}
    where event_at >= (select cutoff_at from cutoff)
),

interactions as (
    {{ aggregate_interactions('holdout_events', '(select latest_event_at from cutoff)') }}
)

select
    interactions.user_id,
    interactions.creator_id,
    interactions.n_events,
    interactions.strength,
    interactions.first_event_at,
    interactions.last_event_at,
    train.user_id is not null as seen_in_train,
    cutoff.cutoff_at
from interactions
cross join cutoff
left join {{ ref('interactions_train') }} as train
    on interactions.user_id = train.user_id
    and interactions.creator_id = train.creator_id
