-- One row per post; a re-delivered post row is kept once (earliest published_at).
with source as (
    select * from {{ source('raw', 'posts') }}
)

select
    cast(post_id as bigint) as post_id,
    cast(creator_id as bigint) as creator_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(body as {{ dbt.type_string() }}) as body,
    cast(published_at as timestamp) as published_at,
    cast(is_paid as boolean) as is_paid
from source
-- Every column orders the copies, nulls last (DuckDB's default, not Spark's): both engines keep
-- the same row.
qualify row_number() over (
    partition by post_id
    order by
        published_at nulls last,
        creator_id nulls last,
        title nulls last,
        body nulls last,
        is_paid nulls last
) = 1
