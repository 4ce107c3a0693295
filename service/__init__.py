"""The online service: the exported tables, search and "more like this" over HTTP (FastAPI)."""
