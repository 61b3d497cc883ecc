"""Expert panels, reviews, collective decisions, letters, obligations and integrity records."""
