-- One row per creator; a re-delivered creator row is kept once (earliest created_at).
with source as (
    select * from {{ source('raw', 'creators') }}
)

select
    cast(creator_id as bigint) as creator_id,
    cast(name as {{ dbt.type_string() }}) as creator_name,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(created_at as timestamp) as created_at
from source
-- Nulls sort last on every key, as DuckDB does by default and Spark does not.
qualify row_number() over (
    partition by creator_id
    order by created_at nulls last, name nulls last, category nulls last
) = 1
