"""Monitoring: drift of the data a model serves on against the data it was trained on."""
