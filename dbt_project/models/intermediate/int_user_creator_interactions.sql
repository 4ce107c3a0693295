-- Time-decayed interaction strength of each reader with each creator, as of the latest event.
with as_of as (
    select max(event_at) as as_of_at from {{ ref('stg_events') }}
),

interactions as (
    {{ aggregate_interactions(ref('stg_events'), '(select as_of_at from as_of)') }}
)

select
    interactions.*,
    as_of.as_of_at
from interactions
cross join as_of
