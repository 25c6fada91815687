"""formcheck: running-form analysis from video, aimed at the faults behind a sore neck."""

__version__ = "0.2.0"
