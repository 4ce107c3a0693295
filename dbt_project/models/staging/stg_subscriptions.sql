-- One row per subscription; ended_at is null while it runs.
with source as (
    select * from {{ source('raw', 'subscriptions') }}
)

select
    cast(subscription_id as bigint) as subscription_id,
    cast(user_id as bigint) as user_id,
    cast(creator_id as bigint) as creator_id,
    cast(tier as {{ dbt.type_string() }}) as tier,
    cast(started_at as timestamp) as started_at,
    cast(ended_at as timestamp) as ended_at,
    ended_at is null as is_active
from source
-- Every column orders the copies, nulls last (DuckDB's default, not Spark's): both engines keep
-- the same row.
qualify row_number() over (
    partition by subscription_id
    order by
        started_at nulls last,
        ended_at nulls last,
        user_id nulls last,
        creator_id nulls last,
        tier nulls last
) = 1
