"""The service's routes, one module per kind of question."""
