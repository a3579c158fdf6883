"""Mutation testing of the modules that carry residents' promises (`make mutation`).

For each module, one at a time: a scratch copy of the working tree, mutmut (pinned in the test
extras) configured to mutate that one file and to run only the fast tests that guard it, then
the score: killed / (killed + survived + no tests + timeouts + suspicious). Skipped mutants
(none here) and mutants that could not be built are left out. The machine is shared, so each
module runs with one child process; a full run takes long (see docs/testing.md).

    python tools/mutation.py                    # every module below
    python tools/mutation.py tickets/sweeps.py  # one module (any listed name, or a prefix)
    python tools/mutation.py --list             # the modules and their tests
    python tools/mutation.py --again tickets/sweeps.py  # only the last run's survivors

Survivors are printed (mutmut's name and diff) and written to var/mutation/<module>.txt.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path(os.environ.get("MUTATION_SCRATCH", "/tmp/hotline-mutation"))
REPORTS = ROOT / "var" / "mutation"


@dataclass(frozen=True)
class Target:
    path: str
    tests: tuple[str, ...]
    # fnmatch patterns of mutant names to run (default: all of the file's mutants)
    only: tuple[str, ...] = ()
    note: str = ""
    extra_pytest_args: tuple[str, ...] = field(default_factory=tuple)


TARGETS: tuple[Target, ...] = (
    Target("tickets/deadlines.py",
           ("tests/tickets/test_deadline_calendar.py", "tests/tickets/test_deadlines.py")),
    Target("tickets/policy.py",
           ("tests/tickets/test_policy_rules.py", "tests/tickets/test_deadline_calendar.py",
            "tests/tickets/test_deadlines.py",
            "tests/tickets/test_reopen_deadlines.py", "tests/tickets/test_overdue_agrees.py",
            "tests/tickets/test_lifecycle_rules.py", "tests/tickets/test_outcomes.py",
            "tests/notify/test_is_it_fixed.py")),
    Target("tickets/workflow.py",
           ("tests/tickets/test_transition_rules.py", "tests/tickets/test_lifecycle_rules.py",
            "tests/tickets/test_reopen_deadlines.py", "tests/tickets/test_workflow.py",
            "tests/tickets/test_workflow_events.py", "tests/tickets/test_deadlines.py"),
           only=("*x_reopen__*", "*x_resolve__*", "*x_transfer__*", "*x_request_information__*",
                 "*x_take_answer__*", "*x_start_work__*", "*x__transition__*", "*x_can_reopen__*"),
           note="the transitions named by issue 19: reopen, resolve, transfer, pause/answer"),
    Target("tickets/redact.py", ("tests/tickets/test_public_masking.py",)),
    Target("tickets/public.py",
           ("tests/tickets/test_public_view.py", "tests/tickets/test_public_masking.py",
            "tests/staff/test_public_record.py")),
    Target("tickets/sweeps.py",
           ("tests/tickets/test_sweep_rules.py", "tests/tickets/test_sweeps.py",
            "tests/tickets/test_concurrent_sweeps.py")),
    Target("core/outbox.py",
           ("tests/core/test_outbox_rules.py", "tests/core/test_outbox_guards.py",
            "tests/core/test_outbox_commit.py")),
    Target("core/runner.py",
           ("tests/core/test_runner_rules.py", "tests/core/test_outbox_guards.py",
            "tests/core/test_outbox_commit.py")),
    Target("staff/service.py", ("tests/staff/test_access.py", "tests/staff/test_access_rules.py"),
           only=("*can_view*", "*check_view*", "*check_act*"),
           note="the access checks only (accounts and sessions are not in scope)"),
    Target("intake/twilio_auth.py",
           ("tests/intake/test_twilio_auth.py", "tests/intake/test_twilio_signature_rules.py")),
)

COUNTED = ("killed", "survived", "no_tests", "timeout", "suspicious", "segfault")


def existing(paths: tuple[str, ...]) -> list[str]:
    return [p for p in paths if (ROOT / p).exists()]


def copy_tree(target: Path) -> None:
    """The working tree as git sees it (tracked and new files), without var/ and mutants/."""
    if target.exists():
        shutil.rmtree(target)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
        capture_output=True, text=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if not source.is_file() or name.startswith(("var/", "mutants/")):
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def configure(copy: Path, module: Target, tests: list[str]) -> None:
    package = module.path.split("/")[0]
    others = sorted(
        p.name for p in copy.iterdir()
        if p.name not in (package, "mutants") and not p.name.startswith(".")
    )
    settings = {
        "source_paths": [package],
        "only_mutate": [module.path],
        "also_copy": others,
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x",
                                *module.extra_pytest_args],
        "use_git_change_detection": False,
        # a mutant that hangs (a sweep looping for ever) is given up after 4 x its tests' time
        # + 15 s: at 10 x + 30 s, each such mutant cost up to ten minutes of the shared machine
        "timeout_multiplier": 4.0,
        "timeout_constant": 15.0,
        "debug": True,
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8") + "\n".join(lines) + "\n", "utf-8")


def database(copy: Path) -> str:
    return f"hotline_mutation_{copy.name}"[:63]


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin_url = os.environ.get(
        "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def mutmut(copy: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(copy / "mutants"), "PYTHONDONTWRITEBYTECODE": "1",
           # one database, migrated once, for the hundreds of pytest sessions of a run
           "HOTLINE_TEST_KEEP_DB": database(copy),
           # mutmut forks each mutant's run from a process that has already run the tests: a
           # fork inherits torch's OpenMP pool without its threads, and the next embedding
           # (the duplicates' subscriber) then waits for them for ever. One thread, no pool
           # (tests/conftest.py also keeps classify from asking for two).
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOTLINE_TEST_ONE_TORCH_THREAD": "1"}
    command = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True,
                              check=False)
    with log.open("w") as out:
        return subprocess.run(command, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT,
                              text=True, check=False)


def statuses_all(copy: Path) -> dict[str, str]:
    return statuses(copy, Target(path="", tests=()))


def statuses(copy: Path, module: Target) -> dict[str, str]:
    """mutant name -> status, from mutmut's own results (all of them)."""
    listed = mutmut(copy, "results", "--all", "true").stdout
    found: dict[str, str] = {}
    for line in listed.splitlines():
        if ":" not in line:
            continue
        name, status = (part.strip() for part in line.rsplit(":", 1))
        found[name] = status.replace(" ", "_")
    if module.only:
        found = {n: s for n, s in found.items()
                 if any(fnmatch.fnmatch(n, pattern) for pattern in module.only)}
    return found


def previous_run(module: Target, copy: Path) -> dict[str, str] | str:
    """The statuses of the last run's mutants, for --again; or why they cannot be reused."""
    source = copy / module.path
    if not source.exists() or source.read_bytes() != (ROOT / module.path).read_bytes():
        return f"{module.path} changed since the last run (or its scratch copy is gone)"
    finished = copy / "mutation-statuses.json"  # written at the end of a run (also --again)
    if finished.exists():
        return dict(json.loads(finished.read_text()))
    listed = mutmut(copy, "results", "--all", "true").stdout
    found = {}
    for line in listed.splitlines():
        if ":" in line:
            name, status = (part.strip() for part in line.rsplit(":", 1))
            found[name] = status.replace(" ", "_")
    if not found:
        return "the last run has no results"
    return found  # an interrupted run's unchecked mutants are run again with its survivors


def run(module: Target, again: bool = False) -> dict[str, object]:
    tests = existing(module.tests)
    if not (ROOT / module.path).exists():
        return {"module": module.path, "error": "module not found"}
    if not tests:
        return {"module": module.path, "error": "no tests found"}
    slug = module.path.replace("/", "_").removesuffix(".py")
    copy = SCRATCH / slug
    earlier: dict[str, str] = {}
    if again:  # only the last run's survivors are run; its killed mutants stay killed
        last = previous_run(module, copy)
        if isinstance(last, str):
            return {"module": module.path, "error": f"--again: {last}"}
        earlier = last
    copy_tree(copy)
    configure(copy, module, tests)
    # on PYTHONPATH before mutmut fills it: an entry missing at start-up is never looked at again
    (copy / "mutants").mkdir()
    REPORTS.mkdir(parents=True, exist_ok=True)
    log = REPORTS / f"{slug}.log"
    started = time.monotonic()
    drop_database(database(copy))
    try:
        chosen = [n for n, s in sorted(earlier.items()) if s != "killed" and (
            not module.only or any(fnmatch.fnmatch(n, pattern) for pattern in module.only))]
        mutmut(copy, "run", "--max-children", "1", *(chosen or module.only), log=log)
    finally:
        drop_database(database(copy))
    found = statuses(copy, module)
    if again:
        rerun = {n: s for n, s in found.items() if s != "not_checked"}
        found = {n: rerun.get(n, s) for n, s in earlier.items()}
        if module.only:
            found = {n: s for n, s in found.items()
                     if any(fnmatch.fnmatch(n, pattern) for pattern in module.only)}
    counts = {status: sum(1 for s in found.values() if s == status)
              for status in sorted(set(found.values()))}
    killed = counts.get("killed", 0)
    counted = sum(counts.get(s, 0) for s in COUNTED)
    survivors = sorted(n for n, s in found.items() if s != "killed")
    all_statuses = found if again else {**statuses_all(copy), **found}
    (copy / "mutation-statuses.json").write_text(json.dumps(all_statuses, indent=1))
    report = REPORTS / f"{slug}.txt"
    with report.open("w") as out:
        out.write(f"{module.path}: {killed}/{counted} killed\n{json.dumps(counts)}\n\n")
        for name in survivors:  # the diff of each survivor; only the names of untested ones
            out.write(f"## {name} ({found[name]})\n")
            if found[name] != "no_tests":
                out.write(mutmut(copy, "show", name).stdout + "\n")
    return {
        "module": module.path,
        "tests": tests,
        "killed": killed,
        "counted": counted,
        "score": round(killed / counted, 3) if counted else None,
        "counts": counts,
        "survivors": survivors,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "report": str(report.relative_to(ROOT)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: all)")
    parser.add_argument("--list", action="store_true", help="print the modules and tests")
    parser.add_argument("--floor", type=float, default=0.8, help="score each module must reach")
    parser.add_argument(
        "--again", action="store_true",
        help="run only the last run's survivors (the module unchanged since), with the tests "
             "as they are now; the mutants it killed are counted as killed",
    )
    options = parser.parse_args()
    chosen = [t for t in TARGETS
              if not options.modules or any(t.path.startswith(m) for m in options.modules)]
    if options.list:
        for target in chosen:
            print(target.path, "<-", " ".join(existing(target.tests)) or "(no tests yet)")
        return 0
    results = []
    for target in chosen:
        print(f"mutating {target.path} ...", flush=True)
        result = run(target, again=options.again)
        results.append(result)
        if "error" in result or result.get("score") is None:
            print(f"  {target.path}: {result.get('error', 'no mutant was tested')}", flush=True)
        else:
            print(f"  {target.path}: {result['killed']}/{result['counted']} killed "
                  f"({result['score']:.0%}) in {result['minutes']} min; "
                  f"survivors in {result['report']}", flush=True)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "scores.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\nmodule                          score")
    below = 0
    for result in results:
        score = result.get("score")
        shown = f"{score:.0%}" if isinstance(score, float) else str(result.get("error"))
        print(f"{result['module']:<32}{shown}")
        if not isinstance(score, float) or score < options.floor:
            below += 1
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
