-- One row per creator; a re-delivered creator row is kept once (earliest created_at).
with source as (
    select * from {{ source('raw', 'creators') }}
)

select
    cast(creator_id as bigint) as creator_id,
    cast(name as varchar) as creator_name,
    cast(category as varchar) as category,
    cast(created_at as timestamp) as created_at
from source
qualify row_number() over (partition by creator_id order by created_at, name, category) = 1
