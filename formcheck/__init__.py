"""formcheck: running-form analysis from video, aimed at the faults behind a sore neck."""

__version__ = "0.2.0"

#: The revision of the analysis: raised by every change that moves a result (a metric, a
#: step count, a fault or its severity) for the same clip and settings. Stored in every
#: summary.json; batch resume reruns clips analysed under another revision and compare
#: warns about it. tests/test_golden.py fails when the golden results are re-recorded
#: without raising it (see tests/golden.py).
ANALYSIS_REVISION = 11
