"""Models: interactions, ALS, popularity, oracle, content, evaluation, tracking, the gate."""
