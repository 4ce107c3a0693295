"""Models: interactions, ALS, popularity, oracle, content, evaluation, training, tracking, the gate,
and the artifact store that hands them from asset to asset."""
