"""The ranking stage: candidates from several retrievers, point-in-time features, a ranker."""
