"""``formcheck`` run as the program, with the time each phase of an analysis ends.

For the memory benchmark (benchmarks/run.py): ``python benchmarks/phases.py MARKS
analyze CLIP ...`` behaves as ``formcheck analyze CLIP ...`` (it calls the program's own
entry point without arguments, so the process is set up as the command sets it up) and
appends ``<phase> <unix time>`` lines to the file MARKS when the pose pass starts and
ends and when the analysis (cleaning, steps, metrics, faults) ends; what follows is
the writers' phase (tables, report, annotated video). The benchmark samples the
process's resident memory and splits its peak by these marks.
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    marks_path, *args = sys.argv[1:]
    import formcheck.assess.analysis as analysis
    import formcheck.pose.extract as extract

    def mark(phase: str) -> None:
        with open(marks_path, "a", encoding="utf-8") as f:
            f.write(f"{phase} {time.time()}\n")

    run_pose, analyse = extract.extract_runner, analysis.analyze_extracted

    def timed_pose(*a, **k):
        mark("pose_start")
        out = run_pose(*a, **k)
        mark("pose_end")
        return out

    def timed_analysis(*a, **k):
        out = analyse(*a, **k)
        mark("analysis_end")
        return out

    # analyze_video imports both names from their modules when it runs
    extract.extract_runner, analysis.analyze_extracted = timed_pose, timed_analysis
    from formcheck.cli.app import main as formcheck_main

    sys.argv = ["formcheck", *args]
    return formcheck_main()


if __name__ == "__main__":
    sys.exit(main())
