-- One row per reader account; a re-delivered account row is kept once (earliest signup).
with source as (
    select * from {{ source('raw', 'users') }}
)

select
    cast(user_id as bigint) as user_id,
    cast(signup_at as timestamp) as signup_at,
    cast(country as varchar) as country
from source
qualify row_number() over (partition by user_id order by signup_at, country) = 1
