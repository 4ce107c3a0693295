"""Software-defined assets, one module per group of the data flow: raw -> dbt -> models."""
