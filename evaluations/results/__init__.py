"""What Concord says about results: a run's score estimates and intervals (`scores`, their one
owner), comparisons and replications, the results matrix, exports and transcripts."""
