"""Benchmark: our tally engine against pabutools on the same Pabulib files, in one run.

    .venv/bin/python bench/tally.py                       # Lodz 2022 and Warszawa 2026
    .venv/bin/python bench/tally.py FILE.pb ... --repeat 5 --pabutools-timeout 900
    .venv/bin/python bench/tally.py --skip-pabutools

Every (implementation, file, operation) runs in its own process, so its peak memory is that
process's peak resident size (ru_maxrss, interpreter included) and a slow or huge pabutools
run can be stopped by the timeout without disturbing the rest. Times are medians of
`--repeat` runs for our engine (one run for pabutools: minutes each); an operation's time
excludes reading the file, which has its own line ("parse").

Like is compared with like: both sides break ties by project id as text; equal shares uses
cost utilities; add-one starts at floor(B / n) per voter and adds one unit per voter per step
until the next step would overspend (Pabulib's definition; pabutools' own
exhaustion_by_budget_increase starts at B / n instead, so its method_of_equal_shares computes
each step here), then the money left is filled greedily by number of votes.

Default files: Poland_Lodz_2022.pb (160 projects, 90 494 voters) and Poland_Warszawa_2026.pb
(83 projects, 61 668 voters, 55 017 distinct ballots: the heaviest approval file in the
folder; Praga-Poludnie 2020 from the issue is not there).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = Path(os.environ.get("PB_PABULIB_DIR", ROOT / "../shared/data/pabulib"))
DEFAULT_FILES = ("Poland_Lodz_2022.pb", "Poland_Warszawa_2026.pb")
OPERATIONS = ("parse", "greedy", "equalshares", "equalshares/add1+greedy")
TARGETS = {"parse": 1.0, "greedy": 0.2, "equalshares/add1+greedy": 1.5}
MEMORY_TARGET_MB = 300
SPEEDUP_TARGET = 100


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- workers (each runs in its own process) ------------------------------------------------


def import_engine():
    """Import pb.tally without running pb/__init__.py (the web app): the engine is pure."""
    if "pb" not in sys.modules:
        package = types.ModuleType("pb")
        package.__path__ = [str(ROOT / "pb")]
        sys.modules["pb"] = package
    import pb.tally as engine

    return engine


def our_worker(path: Path, operation: str, repeat: int) -> dict:
    engine = import_engine()
    from pb.tally.tiebreak import PABUTOOLS_TIE_BREAK

    times = []
    if operation == "parse":
        for _ in range(repeat):
            start = time.perf_counter()
            engine.load_election(path)
            times.append(time.perf_counter() - start)
        return {"times": times, "winners": None, "peak_mb": peak_rss_mb()}
    election = engine.load_election(path).election
    winners: list[str] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = engine.tally(election, operation, tie_break=PABUTOOLS_TIE_BREAK)
        times.append(time.perf_counter() - start)
        winners = sorted(result.selected)
    return {"times": times, "winners": winners, "peak_mb": peak_rss_mb()}


def pabutools_worker(path: Path, operation: str, multiprofile: bool) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.tiebreaking import lexico_tie_breaking

    start = time.perf_counter()
    instance, profile = parse_pabulib(str(path))
    if operation == "parse":
        return {
            "times": [time.perf_counter() - start],
            "winners": None,
            "peak_mb": peak_rss_mb(),
        }

    def mes(budget):
        instance.budget_limit = budget
        return method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
        )

    if multiprofile:  # identical ballots once, with their count (not timed)
        profile = profile.as_multiprofile()
    budget = int(instance.budget_limit)  # costs are whole: the fraction cannot be spent
    start = time.perf_counter()
    if operation == "greedy":
        outcome = greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
        )
    elif operation == "equalshares":
        outcome = mes(instance.budget_limit)
    elif operation == "equalshares/add1+greedy":
        voters = profile.num_ballots()
        total = budget // voters * voters
        outcome = mes(total)
        while True:
            following = mes(total + voters)
            if sum(p.cost for p in following) > budget:
                break
            total += voters
            outcome = following
        instance.budget_limit = budget
        outcome = greedy_utilitarian_welfare(
            instance,
            profile,
            sat_class=Cost_Sat,
            tie_breaking=lexico_tie_breaking,
            initial_budget_allocation=outcome,
        )
    else:
        raise SystemExit(f"pabutools worker: no operation {operation}")
    elapsed = time.perf_counter() - start
    return {
        "times": [elapsed],
        "winners": sorted(p.name for p in outcome),
        "peak_mb": peak_rss_mb(),
    }


# -- the driver ------------------------------------------------------------------------------


def run_worker(
    kind: str, path: Path, operation: str, repeat: int, timeout: float | None, flag: str = "-"
) -> dict:
    command = [sys.executable, __file__, "--worker", kind, str(path), operation, str(repeat), flag]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def describe(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="Pabulib files (default: see above)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of our engine per timing")
    parser.add_argument("--skip-pabutools", action="store_true", help="time our engine only")
    parser.add_argument(
        "--pabutools-timeout",
        type=float,
        default=600,
        help="seconds before a pabutools operation is stopped (default 600)",
    )
    parser.add_argument(
        "--pabutools-multiprofile",
        action="store_true",
        help="give pabutools its multiprofile (identical ballots once); default: the profile "
        "parse_pabulib returns, as pabutools is usually called",
    )
    parser.add_argument(
        "--operations",
        default=",".join(OPERATIONS),
        help="comma-separated: " + ", ".join(OPERATIONS),
    )
    args = parser.parse_args(argv)
    files = args.files or [DEFAULT_FOLDER / name for name in DEFAULT_FILES]
    operations = [op.strip() for op in args.operations.split(",") if op.strip()]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"missing files: {', '.join(missing)} (set PB_PABULIB_DIR)", file=sys.stderr)
        return 2

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; ours: median of {args.repeat}"
        f" runs; pabutools: one run with its "
        + ("multiprofile" if args.pabutools_multiprofile else "plain profile")
        + f", stopped after {args.pabutools_timeout:.0f} s"
    )
    header = (
        f"{'file':<28} {'operation':<24} {'ours':>9} {'ours MB':>8} "
        f"{'pabutools':>10} {'pabu MB':>8} {'speed-up':>9}  same winners"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for path in files:
        for operation in operations:
            ours = run_worker("ours", path, operation, args.repeat, None)
            if "times" not in ours:
                print(f"{path.name:<28} {operation:<24} our engine failed: {ours}")
                failures.append(f"{path.name} {operation}: our engine failed")
                continue
            our_time = statistics.median(ours["times"])
            line = f"{path.stem[:28]:<28} {operation:<24} {describe(our_time):>9} "
            line += f"{ours['peak_mb']:>8.0f} "
            target = TARGETS.get(operation)
            if path.name == DEFAULT_FILES[0] and target and our_time > target:
                failures.append(f"{path.name} {operation}: {describe(our_time)} > {target} s")
            if ours["peak_mb"] > MEMORY_TARGET_MB:
                failures.append(f"{path.name} {operation}: {ours['peak_mb']:.0f} MB")
            if args.skip_pabutools:
                print(line + f"{'skipped':>10}")
                continue
            flag = "multiprofile" if args.pabutools_multiprofile else "-"
            theirs = run_worker("pabutools", path, operation, 1, args.pabutools_timeout, flag)
            if "timeout" in theirs:
                limit = theirs["timeout"]
                line += (
                    f"{'>' + describe(limit):>10} {'?':>8} {'>' + f'{limit / our_time:.0f}x':>9}"
                )
                line += "  (pabutools stopped)"
            elif "error" in theirs:
                line += f"  pabutools failed: {theirs['error']}"
            else:
                their_time = theirs["times"][0]
                ratio = their_time / our_time
                same = "-" if ours["winners"] is None else str(ours["winners"] == theirs["winners"])
                line += (
                    f"{describe(their_time):>10} {theirs['peak_mb']:>8.0f} {ratio:>8.0f}x  {same}"
                )
                if ours["winners"] is not None and ours["winners"] != theirs["winners"]:
                    failures.append(f"{path.name} {operation}: winners differ")
                if ratio < SPEEDUP_TARGET and operation != "parse":
                    failures.append(f"{path.name} {operation}: only {ratio:.0f}x faster")
            print(line, flush=True)
    print()
    print(
        f"targets on {DEFAULT_FILES[0]}: parse < 1 s, greedy < 0.2 s, add-one + greedy fill "
        f"< 1.5 s; everywhere: peak < {MEMORY_TARGET_MB} MB, rules >= {SPEEDUP_TARGET}x "
        "pabutools (reading a file is bound by the csv module: no such target), same winners"
    )
    if failures:
        print("missed:", *failures, sep="\n  ")
        return 1
    print("all met")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, file, operation, repeat, flag = sys.argv[2:7]
        if kind == "ours":
            report = our_worker(Path(file), operation, int(repeat))
        else:
            report = pabutools_worker(Path(file), operation, flag == "multiprofile")
        print(json.dumps(report))
        sys.exit(0)
    sys.exit(main())
