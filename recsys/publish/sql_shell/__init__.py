"""The analysts' SQL shell over the published snapshot."""
