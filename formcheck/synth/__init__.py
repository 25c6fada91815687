"""Synthetic runner clips with exact ground truth (tests, samples); not on the runtime path."""
