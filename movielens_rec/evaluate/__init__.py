"""Rating and ranking metrics on one bootstrap, models as rankers, and the provenance of every result."""
