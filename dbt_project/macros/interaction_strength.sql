{#-
    The one definition of interaction strength: every event contributes
        event_weight(event_type) * 0.5 ^ (age_days / decay_half_life_days)
    where age is measured from `as_of`. Used by int_user_creator_interactions (as of the latest event),
    interactions_train (as of the split cutoff) and interactions_holdout.
-#}

{#- Weight of one event, from var('event_weights'); a type without a weight counts 0. -#}
{% macro event_weight(event_type_column) -%}
    case {{ event_type_column }}
    {%- for event_type, weight in var('event_weights').items() %}
        when '{{ event_type }}' then cast({{ weight }} as double)
    {%- endfor %}
        else 0.0
    end
{%- endmacro %}

{#- Age of an event in (fractional) days as of `as_of`. -#}
{% macro age_days(event_at_column, as_of) -%}
    ({{ epoch_seconds(as_of) }} - {{ epoch_seconds(event_at_column) }}) / 86400.0
{%- endmacro %}

{#-
    One row per (user_id, creator_id) of `events` (a relation or CTE with user_id, creator_id,
    event_type, event_at) with n_events, strength, first_event_at and last_event_at.
    `as_of` is a timestamp SQL expression, e.g. a scalar subquery on the split_cutoff model.
-#}
{% macro aggregate_interactions(events, as_of) -%}
    select
        user_id,
        creator_id,
        count(*) as n_events,
        sum(
            {{ event_weight('event_type') }}
            * power(0.5, {{ age_days('event_at', as_of) }} / {{ var('decay_half_life_days') }})
        ) as strength,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from {{ events }}
    group by user_id, creator_id
{%- endmacro %}
