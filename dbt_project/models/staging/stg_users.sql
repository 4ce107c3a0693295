-- One row per reader account; a re-delivered account row is kept once (earliest signup).
with source as (
    select * from {{ source('raw', 'users') }}
)

select
    cast(user_id as bigint) as user_id,
    cast(signup_at as timestamp) as signup_at,
    cast(country as {{ dbt.type_string() }}) as country
from source
-- Nulls sort last on every key, as DuckDB does by default and Spark does not.
qualify row_number() over (
    partition by user_id order by signup_at nulls last, country nulls last
) = 1
