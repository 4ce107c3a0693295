-- Each user's own train/holdout cutoff, read by interactions_train and interactions_holdout.
--
-- var('split_protocol') = 'global': every user with events gets the one cutoff of split_cutoff.
-- 'per_user': a user's creators are ordered by when the user first met each; the last
-- var('holdout_user_creators') of them (or the last var('holdout_user_fraction'), rounded up, when
-- set) are held out, never all: one always stays in train, so the model knows the user. The
-- cutoff is the first meeting with the earliest held-out creator, so the holdout judges creators
-- the user met for the first time at or after their own cutoff, and everything the user trains on
-- (their features included, decayed as of that cutoff) comes strictly before it. A user with a
-- single creator has no cutoff (null): all their events train, they are not judged.
{%- set protocol = var('split_protocol') %}
{%- set fraction = var('holdout_user_fraction') %}
{%- if protocol not in ['global', 'per_user'] %}
    {{ exceptions.raise_compiler_error(
        "var('split_protocol') must be 'global' or 'per_user', not '" ~ protocol ~ "'") }}
{%- endif %}

with first_meetings as (
    select user_id, creator_id, min(event_at) as first_event_at
    from {{ ref('stg_events') }}
    group by user_id, creator_id
),

{% if protocol == 'global' -%}
users as (
    select user_id, count(*) as n_creators
    from first_meetings
    group by user_id
)

select
    users.user_id,
    split.cutoff_at,
    'global' as protocol,
    users.n_creators,
    cast(null as bigint) as n_held_out
from users
cross join {{ ref('split_cutoff') }} as split
{%- else -%}
ranked as (
    select
        user_id,
        first_event_at,
        count(*) over (partition by user_id) as n_creators,
        -- 1 is the creator met last; ties broken by id so the count held out is exact.
        row_number() over (
            partition by user_id order by first_event_at desc, creator_id desc
        ) as recency
    from first_meetings
),

held_out as (
    select
        user_id,
        first_event_at,
        n_creators,
        recency,
        least(
            n_creators - 1,
            {% if fraction is none or fraction == '' -%}
            {{ var('holdout_user_creators') }}
            {%- else -%}
            cast(ceil({{ fraction }} * n_creators) as bigint)
            {%- endif %}
        ) as n_held_out
    from ranked
)

select
    user_id,
    max(case when recency = n_held_out then first_event_at end) as cutoff_at,
    'per_user' as protocol,
    any_value(n_creators) as n_creators,
    any_value(n_held_out) as n_held_out
from held_out
group by user_id
{%- endif %}
