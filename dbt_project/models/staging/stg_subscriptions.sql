-- One row per subscription; ended_at is null while it runs.
with source as (
    select * from {{ source('raw', 'subscriptions') }}
)

select
    cast(subscription_id as bigint) as subscription_id,
    cast(user_id as bigint) as user_id,
    cast(creator_id as bigint) as creator_id,
    cast(tier as varchar) as tier,
    cast(started_at as timestamp) as started_at,
    cast(ended_at as timestamp) as ended_at,
    ended_at is null as is_active
from source
qualify row_number() over (
    partition by subscription_id order by started_at, ended_at nulls last, user_id, creator_id
) = 1
