"""CSV import of contacts: stream a file, normalise each row, upsert in chunks, report every row.

The import never commits. `ContactImport.run()` yields after each chunk so the caller (the CLI,
the web job) commits there — which is also its progress. Memory stays flat however long the
file: rows are read as a stream, the per-file duplicate check keeps one small int per distinct
number, and rejected rows beyond a few thousand are spooled to a temporary file. Where it is
safe, rows are parsed a chunk ahead in a forked child (`forked_reader`).
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import phonenumbers
from phonenumbers import PhoneNumberFormat
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.contacts.forked_reader import read_ahead
from outreach.contacts.lists import clean_list_name
from outreach.contacts.phones import INVALID, MISSING
from outreach.contacts.upsert import (
    CREATED,
    REJECTED,
    UPDATED,
    ConsentStamp,
    ContactRow,
    mrc_numbers,
    upsert_contacts,
)
from outreach.errors import ServiceError
from outreach.languages import parse_language
from outreach.models import ConsentChannel, Region

CHUNK_SIZE = 1000
COLUMNS = ("phone", "name", "language", "list")
DELIMITERS = (",", ";")
MAX_NAME = 200
MAX_LIST_NAME = 120
SPOOL_BYTES = 256 * 1024  # rejections kept in memory up to here, then on disk
_BLOCK = 1 << 20


class UnreadableFile(ServiceError):
    """The file cannot be imported at all (not UTF-8 text, no phone column, empty…)."""

    status = 422
    code = "unreadable_file"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported: its line in the file (the header is line 1) and why."""

    line: int
    reason: str


@dataclass
class ImportProgress:
    """Where an import stands after a chunk; `new_rejections` are this chunk's, by line."""

    processed_bytes: int
    total_bytes: int
    imported: int = 0
    updated: int = 0
    rejected: int = 0
    new_rejections: list[Rejection] = field(default_factory=list)
    done: bool = False


@dataclass(slots=True)
class _Chunk:
    rows: list[ContactRow] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    position: int = 0  # bytes of the file read up to the end of this chunk


class ContactImport:
    """One CSV file imported into one region.

    `run()` yields an `ImportProgress` after every chunk (commit there); `rejections()` then
    gives every rejected row in line order. `UnreadableFile` is raised before anything is
    written when the file cannot be read at all.
    """

    def __init__(
        self,
        session: Session,
        scope: Scope,
        region: Region,
        stream: BinaryIO,
        *,
        consent_source: str,
        filename: str,
        list_name: str | None = None,
        user_id: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        scope.check(region.id, "region")
        self.session, self.scope, self.region = session, scope, region
        self.stream = stream
        self.filename = filename
        self.list_names = (clean_list_name(list_name),) if list_name and list_name.strip() else ()
        source = (consent_source or "").strip()
        if not source:
            raise ServiceError("say where consent came from (the consent source)")
        self.consent = ConsentStamp(channel=ConsentChannel.IMPORT, source=source, user_id=user_id)
        self.chunk_size = chunk_size
        self.progress = ImportProgress(processed_bytes=0, total_bytes=0)
        # Lives as long as the import; `close()` (or leaving a `with` block) removes it.
        self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline="\n"
        )

    def run(self) -> Iterator[ImportProgress]:
        """Import the file chunk by chunk, yielding after each; the last yield has `done`."""
        progress = self.progress
        progress.total_bytes = _check_utf8(self.stream)
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", newline="")
        try:
            columns, delimiter = _read_header(text)
            reader = csv.reader(text, delimiter=delimiter)
            parse_row = _RowParser(self.region.country, columns, self.list_names)
            reserved = mrc_numbers(self.session)  # the MRCs' own numbers, read once per import
            with read_ahead(self._chunks(reader, parse_row)) as chunks:
                for chunk in chunks:
                    self._apply(chunk, reserved)
                    progress.processed_bytes = min(chunk.position, progress.total_bytes)
                    yield progress
            progress.processed_bytes = progress.total_bytes
            progress.new_rejections = []
            progress.done = True
            self._audit()
            yield progress
        finally:
            text.detach()

    def rejections(self) -> Iterator[Rejection]:
        """Every rejected row so far, in line order."""
        self._spool.seek(0)
        for entry in self._spool:
            line, reason = entry.rstrip("\n").split("\t", 1)
            yield Rejection(int(line), reason)
        self._spool.seek(0, io.SEEK_END)

    def close(self) -> None:
        """Drop the spooled rejections."""
        self._spool.close()

    def __enter__(self) -> ContactImport:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _chunks(self, reader, parse_row: _RowParser) -> Iterator[_Chunk]:
        """Parsed rows in chunks of up to `chunk_size` good rows, with the rows rejected there."""
        chunk = _Chunk()
        line = 1
        while True:
            first_line = line + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                line = 1 + reader.line_num  # the header was line 1
                chunk.rejections.append(Rejection(first_line, f"cannot read this line: {exc}"))
                continue
            line = 1 + reader.line_num  # the header was line 1
            result = parse_row(first_line, record)
            if result is None:
                continue
            if type(result) is Rejection:
                chunk.rejections.append(result)
            else:
                chunk.rows.append(result)
                if len(chunk.rows) >= self.chunk_size:
                    chunk.position = self.stream.tell()
                    yield chunk
                    chunk = _Chunk()
        chunk.position = self.stream.tell()
        yield chunk

    def _apply(self, chunk: _Chunk, reserved: frozenset[str]) -> None:
        progress = self.progress
        rejections = chunk.rejections
        outcomes = upsert_contacts(
            self.session, self.scope, self.region, chunk.rows, self.consent, reserved=reserved
        )
        for outcome in outcomes:
            status = outcome.status
            if status == CREATED:
                progress.imported += 1
            elif status == UPDATED:
                progress.updated += 1
            elif status == REJECTED:
                rejections.append(Rejection(outcome.key, outcome.reason or "rejected"))
        rejections.sort(key=lambda r: r.line)
        progress.rejected += len(rejections)
        progress.new_rejections = rejections
        self._spool.writelines(f"{r.line}\t{r.reason}\n" for r in rejections)

    def _audit(self) -> None:
        progress = self.progress
        record_audit(
            self.session,
            self.consent.user_id,
            "contacts.import",
            "region",
            self.region.id,
            file=self.filename,
            region=self.region.code,
            list=self.list_names[0] if self.list_names else None,
            consent_source=self.consent.source,
            imported=progress.imported,
            updated=progress.updated,
            rejected=progress.rejected,
        )


class _RowParser:
    """Turns one CSV record into a `ContactRow`, a `Rejection`, or None for a blank line."""

    def __init__(self, country: str, columns: dict[str, int], list_names: tuple[str, ...]):
        self.country = country
        self.phone_at = columns["phone"]
        self.name_at = columns.get("name")
        self.language_at = columns.get("language")
        self.list_at = columns.get("list")
        self.list_names = list_names
        # One int per distinct number (its E.164 digits) → the line it was first seen on.
        self.seen: dict[int, int] = {}

    def __call__(self, line: int, record: list[str]) -> ContactRow | Rejection | None:
        raw = _cell(record, self.phone_at)
        if not raw:
            return None if not any(cell.strip() for cell in record) else Rejection(line, MISSING)
        phone = self._normalise(raw)
        if phone is None:
            return Rejection(line, INVALID)
        digits = int(phone[1:])
        first = self.seen.get(digits)
        if first is not None:
            return Rejection(line, f"duplicate in file (first on line {first})")
        result = self._row(line, phone, record)
        if type(result) is ContactRow:
            self.seen[digits] = line
        return result

    def _normalise(self, raw: str) -> str | None:
        # The same three calls as `phones.normalise_phone`, without an exception per bad row.
        try:
            number = phonenumbers.parse(raw, self.country)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)

    def _row(self, line: int, phone: str, record: list[str]) -> ContactRow | Rejection:
        language = None
        if self.language_at is not None:
            given = _cell(record, self.language_at)
            if given:
                language = parse_language(given)
                if language is None:
                    return Rejection(line, f"unknown language {given!r}")
        name = None
        if self.name_at is not None:
            name = " ".join(_cell(record, self.name_at).split()) or None
        if name is not None and len(name) > MAX_NAME:
            return Rejection(line, f"name longer than {MAX_NAME} characters")
        list_names = self.list_names
        if self.list_at is not None:
            listed = " ".join(_cell(record, self.list_at).split())
            if len(listed) > MAX_LIST_NAME:
                return Rejection(line, f"list name longer than {MAX_LIST_NAME} characters")
            if listed and listed not in list_names:
                list_names = (*list_names, listed)
        return ContactRow(line, phone, language, name, list_names)


def _cell(record: list[str], index: int) -> str:
    return record[index].strip() if index < len(record) else ""


def _check_utf8(stream: BinaryIO) -> int:
    """Read the whole file once, block by block, to refuse non-UTF-8 text before importing.

    Returns the file's size in bytes; leaves the stream at its start.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    try:
        while block := stream.read(_BLOCK):
            size += len(block)
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the file is not UTF-8 text (bad byte at position {size - len(block) + exc.start}); "
            "save it as “CSV UTF-8” and try again"
        ) from None
    stream.seek(0)
    return size


def _read_header(text: io.TextIOBase) -> tuple[dict[str, int], str]:
    """The columns by name (lower-cased, trimmed) and the delimiter, from the header line."""
    header = text.readline()
    if not header.strip():
        raise UnreadableFile("the file is empty: the first line should name the columns")
    best: tuple[dict[str, int], str] | None = None
    for delimiter in DELIMITERS:
        names = next(csv.reader([header], delimiter=delimiter))
        columns: dict[str, int] = {}
        for index, name in enumerate(names):
            columns.setdefault(name.strip().lower(), index)
        if "phone" in columns and (best is None or len(columns) > len(best[0])):
            best = (columns, delimiter)
    if best is None:
        delimiter = max(DELIMITERS, key=header.count)
        found = ", ".join(repr(n.strip()) for n in header.strip().split(delimiter))
        raise UnreadableFile(
            f"no phone column: the first line must name the columns ({', '.join(COLUMNS)}; "
            f"phone is required), found {found}"
        )
    return best
