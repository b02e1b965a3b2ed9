"""The upsert of a chunk of contacts on PostgreSQL: one statement decides and writes every row.

`outreach.contacts.upsert` takes its steps one statement at a time (find the numbers already
held, decide in Python, insert, update), which is what SQLite can do. PostgreSQL can do all of it
in one statement with data-modifying CTEs, and the rules are the same ones, written in SQL:

1. `given`: the rows, from one JSON parameter (an array of `[key, phone, language, name]`).
2. `fate`: each row with the contact already holding its number, and what happens to it —
   `unavailable` (an MRC's own number, or a contact of a region the caller may not see; checked
   before the contact's consent, so the refusal tells nothing about it; its id is not returned),
   `created`, `opted_out` (an opt-out stands: reported, left untouched) or `updated`.
3. `created` and `opt_ins`: the new opted-in contacts and their opt-in events.
4. `changed`: the contacts updated (moved to this region; name and language kept unless given).
   Its WHERE checks consent again: a person who opts out while the statement waits for their
   row is re-read when the row is free (PostgreSQL re-checks an UPDATE's WHERE on the newest
   version of a row it waited for), left untouched, and reported as an opt-out that stands.

It answers `(key, fate, contact_id)` per row. List memberships stay with the caller, which
creates a list only when an accepted row names it.

Why one statement: the engine's wall-clock time is mostly the database's, and every statement
costs a round trip, a plan and an executor start; the Python loop deciding each row is gone too.
Why the held contact is found with `LATERAL (… LIMIT 1)`: psycopg prepares a statement run five
times, and PostgreSQL then keeps a generic plan made while the import's table was still small.
A plain join was kept as a hash join over a scan of every contact — each chunk read the whole
table again. `LIMIT 1` makes the lookup one probe of the phone index per row, whatever the plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ARRAY, DateTime, Integer, String, bindparam, text
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.models import ConsentAction, ConsentState, Region, utcnow

# A row's fate, as the statement names it.
CREATED, UPDATED, OPTED_OUT, UNAVAILABLE = "created", "updated", "opted_out", "unavailable"

UPSERT_CHUNK = text(
    """
WITH given AS MATERIALIZED (
    SELECT (r ->> 0)::integer AS key, (r ->> 1)::varchar AS phone,
           nullif(r ->> 2, '')::varchar AS language, nullif(r ->> 3, '')::varchar AS name
    FROM json_array_elements(CAST(:rows AS json)) AS r
),
fate AS MATERIALIZED (
    SELECT given.*, held.id AS contact_id,
           CASE
               WHEN given.phone = ANY(:reserved) THEN 'unavailable'
               WHEN held.id IS NULL THEN 'created'
               WHEN held.region_id <> :region_id
                    AND NOT (:sees_all OR held.region_id = ANY(:visible)) THEN 'unavailable'
               WHEN held.consent = :opted_out THEN 'opted_out'
               ELSE 'updated'
           END AS fate
    FROM given
    LEFT JOIN LATERAL (
        SELECT contacts.id, contacts.region_id, contacts.consent
        FROM contacts WHERE contacts.phone = given.phone LIMIT 1
    ) AS held ON true
),
created AS (
    INSERT INTO contacts (phone, language, name, region_id, consent, consent_changed_at,
                          created_at, updated_at)
    SELECT phone, coalesce(language, :default_language), name, :region_id, :opted_in, :given_at,
           :now, :now
    FROM fate WHERE fate = 'created'
    RETURNING id, phone
),
opt_ins AS (
    INSERT INTO consent_events (contact_id, action, channel, source, user_id, at, recorded_at)
    SELECT id, :opt_in, :channel, :source, :user_id, :given_at, :now FROM created
),
changed AS (
    UPDATE contacts
    SET region_id = :region_id, name = coalesce(fate.name, contacts.name),
        language = coalesce(fate.language, contacts.language), updated_at = :updated_at
    FROM fate
    WHERE fate.fate = 'updated' AND contacts.id = fate.contact_id
      AND contacts.consent <> :opted_out
    RETURNING contacts.id
)
-- A refusal names no contact: its id never leaves the database.
SELECT fate.key,
       CASE WHEN fate.fate = 'updated' AND changed.id IS NULL THEN 'opted_out' ELSE fate.fate END,
       CASE WHEN fate.fate <> 'unavailable' THEN coalesce(fate.contact_id, created.id) END
FROM fate
LEFT JOIN created ON created.phone = fate.phone
LEFT JOIN changed ON changed.id = fate.contact_id
"""
).bindparams(
    bindparam("reserved", type_=ARRAY(String)),
    bindparam("visible", type_=ARRAY(Integer)),
    bindparam("given_at", type_=DateTime(timezone=True)),
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("updated_at", type_=DateTime(timezone=True)),
    bindparam("user_id", type_=Integer),
)


def upsert_chunk(
    session: Session,
    scope: Scope,
    region: Region,
    rows: Sequence,
    consent,
    reserved: frozenset[str],
) -> list[tuple[int, str, int | None]]:
    """Write `rows` (`ContactRow`s, distinct phones) with the `ConsentStamp` `consent`, in one
    statement; `(key, fate, contact_id)` per row."""
    given = json.dumps([(r.key, r.phone, r.language, r.name) for r in rows], ensure_ascii=False)
    now = consent.recorded_at
    params = {
        "rows": given,
        "reserved": sorted(reserved),
        "region_id": region.id,
        "visible": None if scope.region_ids is None else sorted(scope.region_ids),
        "sees_all": scope.region_ids is None,
        "default_language": region.default_language,
        "opted_in": ConsentState.OPTED_IN.value,
        "opted_out": ConsentState.OPTED_OUT.value,
        "opt_in": ConsentAction.OPT_IN.value,
        "channel": consent.channel.value,
        "source": consent.source,
        "user_id": consent.user_id,
        "given_at": consent.at or now,
        "now": now,
        "updated_at": utcnow(),  # a contact held before is updated now, not when consent was
    }
    return session.execute(UPSERT_CHUNK, params).all()
