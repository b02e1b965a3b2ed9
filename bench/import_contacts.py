"""Benchmark: CSV import of contacts against a bare phonenumbers loop over the same rows.

    .venv/bin/python bench/import_contacts.py                      # 100,000 rows, SQLite file
    .venv/bin/python bench/import_contacts.py --database-url postgresql+psycopg://postgres@127.0.0.1/x
    .venv/bin/python bench/import_contacts.py --memory             # 1,000,000 rows, peak RSS

The baseline is `phonenumbers.parse` + `is_valid_number` + `format_number` over the phone cells
of the generated file. The import is the service the CLI uses (`ContactImport`), committing
after each chunk, into a fresh database brought to head by the real migrations: a SQLite file in
a temporary folder, or — for a PostgreSQL URL — a throwaway database created next to the one
named and dropped afterwards (the named database itself is not touched).

`BENCH_CHUNK_SIZE` (default 1000) sets the rows per chunk, to try other sizes.

Targets (issues 2 and 8): ratio ≤ 2.0 on SQLite, ≤ 2.5 on PostgreSQL; peak RSS (writer and file
reader together) for 1,000,000 rows under 300 MB. This is not a test; it prints figures.

Wall-clock time on a shared machine swings with the other loads, so the speed run also prints the
CPU seconds of the writer (this process), the file reader (its forked child) and, for a
PostgreSQL server on this machine, the import's database backend, with the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import phonenumbers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

REGION = "pk-isb"
COUNTRY = "PK"
CHUNK_SIZE = int(os.environ.get("BENCH_CHUNK_SIZE", "1000"))
TARGETS = {"sqlite": 2.0, "postgresql": 2.5}

NAMES = [
    "Ahmed Khan",
    "Fatima Bibi",
    "Muhammad Asif",
    "Ayesha Noor",  # Latin
    "Иван Петров",
    "Гулнора Рахимова",
    "Фарход Назаров",
    "Айгуль Садыкова",  # Cyrillic
    "علی خان",
    "فاطمہ بی بی",
    "محمد آصف",
    "زرمینه احمدزی",  # Arabic script (Urdu, Pashto)
    "Тоҷиддин Раҳмонов",
    "Oʻktam Yoʻldoshev",
    "",
]
LANGUAGES = ["", "", "ur", "ps", "en", "ru", "Tajik", "ky", "uz", "Dari"]


def _pk_local(rnd: random.Random) -> str:
    operator = rnd.choice(["300", "301", "303", "312", "321", "333", "345", "302", "331"])
    rest = f"{rnd.randrange(10**7):07d}"
    style = rnd.randrange(4)
    if style == 0:
        return f"0{operator} {rest}"
    if style == 1:
        return f"0{operator}-{rest}"
    if style == 2:
        return f"0{operator}{rest}"
    return f"0{operator} {rest[:3]} {rest[3:]}"


def _international(rnd: random.Random) -> str:
    kind = rnd.randrange(7)
    digits = f"{rnd.randrange(10**7):07d}"
    if kind == 0:
        return f"+92 3{rnd.choice('0123')}{rnd.randrange(10)} {digits}"
    if kind == 1:
        return f"0092{rnd.choice(['300', '333', '345'])}{digits}"
    if kind == 2:
        return f"+992 {rnd.choice(['93', '90', '92', '98', '55'])} {digits[:3]} {digits[3:]}"
    if kind == 3:
        return f"+996 {rnd.choice(['555', '700', '770', '505'])} {digits[1:]}"
    if kind == 4:
        return f"+7 9{rnd.randrange(10)}{rnd.randrange(10)} {digits[:3]}-{digits[3:5]}-{digits[5:]}"
    if kind == 5:
        return f"+971 5{rnd.choice('02568')} {digits}"
    return f"+966 5{rnd.randrange(10)} {digits[:3]} {digits[3:]}"


def _bad(rnd: random.Random) -> str:
    return rnd.choice(["12345", "not a number", "", "0300 12", "+92 000 0000000", "+1 555"])


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write a CSV of `rows` data rows (header with odd spacing); return the file's size."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([" Phone ", "Name", "LANGUAGE", "list"])
        recent: list[str] = []
        for i in range(rows):
            roll = rnd.random()
            if roll < 0.01:
                phone = _bad(rnd)
            elif roll < 0.015 and recent:
                phone = rnd.choice(recent)  # a duplicate in the file
            elif roll < 0.6:
                phone = _pk_local(rnd)
            else:
                phone = _international(rnd)
            if i % 97 == 0:
                recent = recent[-50:] + [phone]
            listed = "job fair" if i % 5 == 0 else ""
            writer.writerow([phone, rnd.choice(NAMES), rnd.choice(LANGUAGES), listed])
    return path.stat().st_size


def phone_cells(path: Path) -> list[str]:
    """The phone column of the generated file, for the baseline."""
    with path.open(encoding="utf-8-sig", newline="") as src:
        reader = csv.reader(src)
        next(reader)
        return [row[0] for row in reader]


def baseline(phones: list[str]) -> float:
    """Seconds for parse + is_valid_number + format_number (E.164) over every phone cell."""
    e164 = phonenumbers.PhoneNumberFormat.E164
    started = time.perf_counter()
    for raw in phones:
        try:
            number = phonenumbers.parse(raw, COUNTRY)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            phonenumbers.format_number(number, e164)
    return time.perf_counter() - started


def run_import(database_url: str, path: Path) -> tuple[float, object, dict]:
    """Migrate to head, then time the CLI's import service over the file, committing per chunk.

    Returns the seconds taken, the import's progress and the CPU seconds of each process.
    """
    import flask_migrate
    from sqlalchemy import select

    from outreach import create_app
    from outreach.access import Scope
    from outreach.contacts.importing import ContactImport
    from outreach.extensions import db
    from outreach.models import Region

    instance = path.parent / "instance"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    app.instance_path = str(instance)
    with app.app_context():
        with contextlib.redirect_stderr(open(os.devnull, "w")):  # noqa: SIM117
            flask_migrate.upgrade()
        region = db.session.execute(select(Region).where(Region.code == REGION)).scalar_one()
        server = _ServerCpu(db.session)
        cpu = _ProcessCpu()
        started = time.perf_counter()
        with (
            path.open("rb") as stream,
            ContactImport(
                db.session,
                Scope.everything(),
                region,
                stream,
                consent_source="benchmark sign-up sheet",
                filename=path.name,
                list_name="benchmark",
                chunk_size=CHUNK_SIZE,
            ) as job,
        ):
            for _step in job.run():
                db.session.commit()
            progress = job.progress
        elapsed = time.perf_counter() - started
        used = {**cpu.seconds(), "database server": server.seconds()}
        db.session.remove()
        db.engine.dispose()
    return elapsed, progress, used


class _ProcessCpu:
    """CPU seconds used from here on by this process (the writer) and its children (the reader)."""

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    def seconds(self) -> dict[str, float]:
        own, children = self._now()
        return {"writer": own - self.start[0], "file reader": children - self.start[1]}


class _ServerCpu:
    """CPU seconds of the session's PostgreSQL backend, read from /proc (a server on this machine).

    On a shared machine wall-clock time swings with the other loads; the work each process did
    does not, so the benchmark prints both. None where the backend cannot be seen (SQLite).
    """

    def __init__(self, session) -> None:
        from sqlalchemy import text

        self.stat = None
        if session.get_bind().dialect.name == "postgresql":
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            stat = Path(f"/proc/{pid}/stat")
            self.stat = stat if stat.exists() else None
        self.start = self._now()

    def _now(self) -> float:
        if self.stat is None:
            return 0.0
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def seconds(self) -> float | None:
        return None if self.stat is None else self._now() - self.start


def bench_speed(rows: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        path = folder / "contacts.csv"
        size = generate(path, rows)
        phones = phone_cells(path)
        base = baseline(phones)
        del phones
        with _common.fresh_database(url, folder, "bench_import") as database_url:
            dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
            elapsed, progress, used = run_import(database_url, path)
    ratio = elapsed / base
    print(f"rows: {rows:,} ({size / 1e6:.1f} MB), database: {dialect}")
    print(f"imported {progress.imported}, updated {progress.updated}, rejected {progress.rejected}")
    print(f"baseline (parse + is_valid_number + format_number): {base:.2f} s")
    print(f"import (ContactImport, commit per chunk):           {elapsed:.2f} s")
    print(f"ratio: {ratio:.2f} (target ≤ {TARGETS[dialect]})")
    used = {name: value for name, value in used.items() if value is not None}
    print(
        "CPU seconds: "
        + ", ".join(f"{name} {value:.2f}" for name, value in used.items())
        + f" (together {sum(used.values()) / base:.2f}× the baseline)"
    )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bench_memory(rows: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        path = folder / "contacts.csv"
        size = generate(path, rows)
        with _common.fresh_database(url, folder, "bench_import") as database_url:
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--database-url", database_url],
                check=True,
                capture_output=True,
                text=True,
            )
    print(f"rows: {rows:,} ({size / 1e6:.1f} MB)")
    print(child.stdout.strip())


def child(path: Path, database_url: str) -> None:
    """Import in this process alone and print its peak resident memory."""
    elapsed, progress, _used = run_import(database_url, path)
    writer_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The file is parsed in a forked child process (the CLI's way); count it too.
    reader_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"imported {progress.imported}, updated {progress.updated}, rejected {progress.rejected}"
        f" in {elapsed:.1f} s"
    )
    print(
        f"peak RSS: writer {writer_mb:.0f} MB + file reader {reader_mb:.0f} MB"
        f" = {writer_mb + reader_mb:.0f} MB at most (target < 300 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="rows to generate")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--memory", action="store_true", help="peak RSS for 1,000,000 rows")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.database_url)
    elif args.memory:
        bench_memory(args.rows or 1_000_000, args.database_url)
    else:
        bench_speed(args.rows or 100_000, args.database_url)


if __name__ == "__main__":
    main()
