"""Monitoring: drift of the data a model serves on against the data it was trained on (features
and each reader's tastes), and the quality of what it served, day by day."""
