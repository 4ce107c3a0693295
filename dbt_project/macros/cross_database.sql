{#-
    SQL that DuckDB (target dev) and Spark (target spark) spell differently, behind one name and
    dispatched on the target's adapter. Each duckdb__ form is the SQL the models held before, so
    DuckDB builds the same tables; dbt's own cross-database macros (dbt.datediff, dbt.type_string)
    are used wherever they give the same values on both engines.
-#}

{#- Seconds since the Unix epoch, microseconds included, as a double. -#}
{% macro epoch_seconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_seconds')(timestamp)) }}
{%- endmacro %}

{% macro duckdb__epoch_seconds(timestamp) -%}
    epoch({{ timestamp }})
{%- endmacro %}

{% macro spark__epoch_seconds(timestamp) -%}
    (unix_micros({{ timestamp }}) / 1e6)
{%- endmacro %}

{#-
    The timestamp `days` whole days (an integer SQL expression) before `timestamp`, to the
    microsecond. Not dbt.dateadd: on Spark it goes through to_unix_timestamp and drops the
    fraction of a second, which moves events across the windows' edges.
-#}
{% macro days_before(timestamp, days) -%}
    {{ return(adapter.dispatch('days_before')(timestamp, days)) }}
{%- endmacro %}

{% macro duckdb__days_before(timestamp, days) -%}
    ({{ timestamp }} - interval ({{ days }}) day)
{%- endmacro %}

{% macro spark__days_before(timestamp, days) -%}
    ({{ timestamp }} - make_dt_interval({{ days }}))
{%- endmacro %}
