-- Training interactions: only events strictly before the cutoff, decayed as of the cutoff, so nothing
-- a model is evaluated on leaks into what it (or its confidence weights) learned from.
with cutoff as (
    select cutoff_at from {{ ref('split_cutoff') }}
),

train_events as (
    select *
    from {{ ref('stg_events') }}
    where event_at < (select cutoff_at from cutoff)
),

interactions as (
    {{ aggregate_interactions('train_events', '(select cutoff_at from cutoff)') }}
)

select
    interactions.*,
    cutoff.cutoff_at
from interactions
cross join cutoff
