{#-
    Point-in-time feature snapshots (models/features): one row per entity and day on which
    something about it changed, written incrementally a whole day at a time.

    A snapshot day is rebuilt when the events (or posts) behind it changed: its row count per day
    is compared with what the stored snapshot counted, and every day from the first mismatch on is
    recomputed (new days mismatch by definition, so a daily load rebuilds just the new day; a
    re-delivered or backfilled day rebuilds from that day on; another history loaded into the same
    warehouse rebuilds everything). The cumulative columns are computed over the whole history
    and only the rebuilt days are written.
-#}

{#- The config every snapshot model shares: incremental, replacing whole days. On Spark the same
    semantics is insert_overwrite of the as_of_day partitions. -#}
{% macro feature_snapshot_config() -%}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
                   'partition_by': ['as_of_day'], 'schema': 'features'}) }}
    {%- else -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
                   'unique_key': 'as_of_day', 'schema': 'features'}) }}
    {%- endif -%}
{%- endmacro %}

{#- The end of a snapshot day: the first moment its row may be read. -#}
{% macro snapshot_available_at(day_column) -%}
    cast({{ dbt.dateadd('day', 1, day_column) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Events per day, the measure the user and user x creator snapshots are checked against. -#}
{% macro events_per_day() -%}
    select cast(event_at as date) as as_of_day, count(*) as n
    from {{ ref('stg_events') }}
    group by cast(event_at as date)
{%- endmacro %}

{#-
    The filter on the days to write: all of them on a first build; on an incremental build the
    days from the first one whose `current_daily_sql` count (as_of_day, n) differs from the
    stored rows' `stored_measure` summed per day; none when nothing changed.
-#}
{% macro snapshot_days_to_build(current_daily_sql, stored_measure) -%}
    {%- if not is_incremental() -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {%- set query -%}
        with current_days as (
            {{ current_daily_sql }}
        ),

        stored_days as (
            select as_of_day, {{ stored_measure }} as n
            from {{ this }}
            group by as_of_day
        )

        select cast(min(coalesce(current_days.as_of_day, stored_days.as_of_day)) as {{ dbt.type_string() }})
        from current_days
        full outer join stored_days on current_days.as_of_day = stored_days.as_of_day
        where current_days.n is null or stored_days.n is null or current_days.n <> stored_days.n
    {%- endset -%}
    {%- set first_changed = run_query(query).columns[0].values()[0] -%}
    {%- if first_changed is none -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {{ return("as_of_day >= cast('" ~ first_changed ~ "' as date)") }}
{%- endmacro %}

{#- `aggregate` (sum, max, count) of `expression` over the entity's rows up to the current day. -#}
{% macro running(aggregate, expression, partition_by) -%}
    {{ aggregate }}({{ expression }}) over (
        partition by {{ partition_by }} order by as_of_day
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{#- A running total as a bigint (a sum of integers is wider on some adapters). -#}
{% macro running_total(expression, partition_by) -%}
    cast({{ running('sum', expression, partition_by) }} as {{ dbt.type_bigint() }})
{%- endmacro %}
