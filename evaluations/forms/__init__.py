"""Page forms of the evaluations app, one module per page family; `fields` holds what they share."""
