"""Domain logic of creator-discovery: plain typed functions with no Dagster import."""
