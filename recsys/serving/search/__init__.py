"""Search over posts and creators with the content model: the bundle (engine) and its CLI."""
