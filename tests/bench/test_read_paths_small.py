"""The read-path benchmark still runs end to end on a small database, and its search counts hold:
import through `kesu import complaints`, `kesu db upgrade` over the rows, `kesu serve`, every
measured request answered 200, every needle found exactly as often as the generator wrote it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# It runs its own SQLite file in both passes of the suite: a benchmark database of its own, never
# the test database the other tests share.


def _bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KESU_")}
    # The arguments are this file's own constants: no untrusted input reaches the command.
    return subprocess.run(  # noqa: S603
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_read_paths_runs_and_finds_every_needle(tmp_path: Path) -> None:
    section = tmp_path / "reads.md"
    done = _bench(
        "bench/read_paths.py",
        "--count",
        "1500",
        "--requests",
        "5",
        "--warmup",
        "2",
        "--data-dir",
        str(tmp_path / "data"),
        "--markdown",
        str(section),
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    checks = re.findall(r"^\| (\S+) \| ([\d,]+) \| ([\d,]+) \| \d+ \| (\w+) \|$", done.stdout, re.M)
    assert {word for word, *_ in checks} == {"漏水", "燃气热水", "客服态度", "量子纠缠"}
    assert all(expected == found and result == "pass" for _w, expected, found, result in checks)
    assert any(int(found.replace(",", "")) > 0 for _w, _e, found, _r in checks)
    text = section.read_text(encoding="utf-8")
    assert text.startswith("## Read paths at 1,500 complaints")
    assert "API list, sla=overdue" in text
    assert "/agent queue page, no filter" in text


def test_the_suite_plans_every_benchmark_in_both_sizes() -> None:
    small = _bench("bench/suite.py", "--small", "--dry-run")
    full = _bench("bench/suite.py", "--full", "--dry-run")
    assert small.returncode == 0, small.stderr
    assert full.returncode == 0, full.stderr
    for plan, count in ((small.stdout, "10000"), (full.stdout, "1000000")):
        scripts = [line.split()[1] for line in plan.splitlines()]
        assert scripts[:4] == [
            "bench/intake.py",
            "bench/http_intake.py",
            "bench/bulk_import.py",
            "bench/read_paths.py",
        ]
        assert f"bench/read_paths.py --count {count}" in plan
    # Small mode samples fewer requests and repeats; full mode keeps the scripts' defaults.
    assert "--requests 100 --warmup 10" in small.stdout
    assert "--repeats 10" in small.stdout.split("bench/dashboard.py", 1)[1]
    assert "--requests" not in full.stdout
    assert "bench/dashboard.py --database-url" in full.stdout
    assert "--repeats 10" not in full.stdout
