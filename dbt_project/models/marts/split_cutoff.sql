-- The one train/holdout cutoff both split models read: var('split_cutoff') when given, otherwise the
-- start of the day such that the holdout spans exactly var('holdout_days') whole days, the latest
-- event's day included.
{%- set explicit_cutoff = var('split_cutoff') %}

with latest as (
    select max(event_at) as latest_event_at from {{ ref('stg_events') }}
)

select
    {% if explicit_cutoff is none or explicit_cutoff == '' -%}
    date_trunc('day', latest_event_at) - interval ({{ var('holdout_days') }} - 1) day as cutoff_at,
    'holdout_days' as cutoff_source,
    {%- else -%}
    cast('{{ explicit_cutoff }}' as timestamp) as cutoff_at,
    'split_cutoff' as cutoff_source,
    {%- endif %}
    cast({{ var('holdout_days') }} as integer) as holdout_days,
    latest_event_at
from latest
