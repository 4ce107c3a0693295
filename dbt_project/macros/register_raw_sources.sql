{#-
    The on-run-start hook (dbt_project.yml). On Spark it declares each raw source as an external
    Parquet table over var('spark_dir')/raw/<table>/: the DuckDB raw schema exported as Parquet, so
    that both engines start from the rows the landing contract converted and Great Expectations
    accepted (the loader stays one, in recsys/ingest), and any difference between their tables is
    the SQL's. Declared again on every run, so a new export is picked up (dropping an external
    table leaves its files alone). On DuckDB the raw loader has written the raw schema: the hook
    renders no SQL and dbt runs nothing.
-#}
{% macro register_raw_sources() %}
    {%- if execute and target.type == 'spark' -%}
        {%- set raw_dir = var('spark_dir', '../data/spark') ~ '/raw' -%}
        {%- set sources = graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | list -%}
        {%- for schema in sources | map(attribute='schema') | unique -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for source in sources -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ " using parquet location '"
                ~ raw_dir ~ '/' ~ source.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
