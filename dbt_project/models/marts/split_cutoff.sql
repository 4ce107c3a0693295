-- The global train/holdout cutoff: var('split_cutoff') when given, otherwise the start of the day
-- such that the holdout spans exactly var('holdout_days') whole days, the latest event's day
-- included. Under var('split_protocol') = 'global' every user is split there (user_split_cutoffs);
-- under 'per_user' each user has their own cutoff and this one is reported for reference.
{%- set explicit_cutoff = var('split_cutoff') %}

with latest as (
    select max(event_at) as latest_event_at from {{ ref('stg_events') }}
)

select
    {% if explicit_cutoff is none or explicit_cutoff == '' -%}
    {{ days_before(dbt.date_trunc('day', 'latest_event_at'), var('holdout_days') ~ ' - 1') }} as cutoff_at,
    'holdout_days' as cutoff_source,
    {%- else -%}
    cast('{{ explicit_cutoff }}' as timestamp) as cutoff_at,
    'split_cutoff' as cutoff_source,
    {%- endif %}
    cast({{ var('holdout_days') }} as integer) as holdout_days,
    '{{ var('split_protocol') }}' as split_protocol,
    latest_event_at
from latest
