-- One row per post; a re-delivered post row is kept once (earliest published_at).
with source as (
    select * from {{ source('raw', 'posts') }}
)

select
    cast(post_id as bigint) as post_id,
    cast(creator_id as bigint) as creator_id,
    cast(title as varchar) as title,
    cast(body as varchar) as body,
    cast(published_at as timestamp) as published_at,
    cast(is_paid as boolean) as is_paid
from source
qualify row_number() over (partition by post_id order by published_at, creator_id, title) = 1
