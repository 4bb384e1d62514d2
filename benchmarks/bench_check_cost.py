"""The proofreader's cost per letter at two or more commits, side by side in one run.

Issue 12 asks that `lettergen check` cost no more per letter than before its checks landed.
Each commit is checked out into a temporary worktree; every run is a fresh process that imports
that tree's `lettergen` and checks N CSV records of the sample (benchmarks/bench_text.py's rows);
the trees alternate, and the minimum CPU time of the runs is reported (CPU seconds of the child:
steadier than wall time on a shared machine).

    .venv/bin/python benchmarks/bench_check_cost.py 3e3e49b HEAD --records 5000 --runs 7
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_text

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import resource, sys
from pathlib import Path
from lettergen.checks.checker import check_files
from lettergen.options import MergeOptions
tree, records = Path(sys.argv[1]), Path(sys.argv[2])
start = resource.getrusage(resource.RUSAGE_SELF)
report = check_files(MergeOptions(template=tree / "templates/appeal.txt.j2", recipients=[records]))
end = resource.getrusage(resource.RUSAGE_SELF)
print(end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime, len(report.findings))
"""


def cpu_of_child(tree: Path, records: Path) -> tuple[float, float, int]:
    """Run one check of ``records`` with ``tree``'s code: (process CPU s, check CPU s, findings)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(records)],
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tree,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    inner, findings = done.stdout.split()
    return process, float(inner), int(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commits", nargs="+")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lettergen-check-cost-") as work:
        folder = Path(work)
        bench_text.write_inputs(folder, args.records, ["csv"])
        [records] = folder.glob("*.csv")
        trees = {}
        for commit in args.commits:
            tree = folder / commit
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit],
                check=True,
            )
            trees[commit] = tree
        try:
            runs: dict[str, list[tuple[float, float, int]]] = {c: [] for c in trees}
            for _ in range(args.runs):
                for commit, tree in trees.items():
                    runs[commit].append(cpu_of_child(tree, records))
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
        first = min(r[1] for r in runs[args.commits[0]])
        print(f"{args.records} records, best of {args.runs} runs (CPU seconds)")
        print("| commit | process | check_files | / first | findings |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for commit, results in runs.items():
            process, inner = min(r[0] for r in results), min(r[1] for r in results)
            ratio, findings = inner / first, results[0][2]
            print(f"| {commit} | {process:.3f} | {inner:.3f} | {ratio:.2f} | {findings} |")


if __name__ == "__main__":
    main()
