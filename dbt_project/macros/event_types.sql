{#- The accepted event types of the landing contract (recsys/ingest/landing.py EVENT_TYPES). -#}
{% macro event_types() -%}
    {{ return(['view', 'read', 'like', 'comment', 'share']) }}
{%- endmacro %}
