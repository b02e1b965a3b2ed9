"""Demo data for trying the product: staff accounts, lists and contacts in every region.

Names are in the scripts the MRCs meet (Urdu, Pashto and Dari in Arabic script; Tajik, Kyrgyz
and Russian in Cyrillic; Uzbek in Latin). Numbers are valid but made up. Some contacts are
migrants abroad with a foreign SIM, and a few have opted out.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.accounts.service import DEFAULT_PASSWORD_METHOD, create_user
from outreach.contacts.consent import apply_consent
from outreach.contacts.phones import InvalidPhone, normalise_phone
from outreach.contacts.upsert import ConsentStamp, ContactRow, upsert_contacts
from outreach.models import ConsentAction, ConsentChannel, Contact, Region, User

# email, role, regions, password — shown by `outreach demo` and `make run`.
DEMO_USERS = [
    ("admin@mrc.example", "admin", [], "demo-admin-2026"),
    (
        "coordinator.pk@mrc.example",
        "coordinator",
        ["pk-isb", "pk-lhr", "pk-pew"],
        "demo-coord-2026",
    ),
    ("coordinator.osh@mrc.example", "coordinator", ["kg-osh"], "demo-coord-2026"),
    ("counsellor.dyu@mrc.example", "counsellor", ["tj-dyu"], "demo-couns-2026"),
]

NAMES = {
    "ur": ["محمد علی", "فاطمہ بی بی", "عمران خان", "عائشہ نور", "بلال احمد", "زینب اختر"],
    "ps": ["ګل احمد", "نازیه ګله", "شاه ولي", "ملالۍ", "اسد الله", "زرمینه"],
    "fa-AF": ["احمد شاه", "مریم رحیمی", "فرید نوری", "شبنم حیدری", "نجیب الله", "ثریا"],
    "tg": ["Фарҳод Раҳимов", "Зарина Шарипова", "Бахтиёр Назаров", "Мадина Саидова"],
    "ru": ["Алексей Иванов", "Наталья Смирнова", "Рустам Каримов", "Ольга Ким"],
    "ky": ["Айгүл Токтосунова", "Бакыт Асанов", "Нургүл Жумабаева", "Эрлан Осмонов"],
    "uz": ["Dilnoza Karimova", "Jasur Toshmatov", "Malika Yusupova", "Otabek Rahimov"],
    "en": ["Sana Malik", "Omar Farooq", "Hina Aslam", "Yusuf Khan"],
}

# Mobile number patterns per country; "#" is a random digit.
NUMBER_PATTERNS = {
    "PK": "+92 3## #######",
    "AF": "+93 7# ### ####",
    "TJ": "+992 9# ### ####",
    "KG": "+996 7## ### ###",
    "UZ": "+998 9# ### ####",
    "RU": "+7 9## ### ## ##",
    "AE": "+971 5# ### ####",
}
ABROAD = {"PK": "AE", "AF": "AE", "TJ": "RU", "KG": "RU", "UZ": "RU"}

LISTS = ["Returnees", "Job fair 2026", "Community sessions"]
# Made-up MRC phone numbers for the demo ({mrc_phone} in texts); admins set the real ones.
DEMO_MRC_PHONES = {
    "pk-isb": "+92 51 555 0101",
    "pk-lhr": "+92 42 555 0102",
    "pk-pew": "+92 91 555 0103",
    "af-virtual": "+93 20 555 0104",
    "tj-dyu": "+992 37 555 0105",
    "kg-osh": "+996 3222 50106",
    "uz-tas": "+998 71 555 0107",
}
PER_REGION = 40


def database_is_empty(session: Session) -> bool:
    """True when no user and no contact exists yet."""
    users = session.execute(select(func.count()).select_from(User)).scalar_one()
    contacts = session.execute(select(func.count()).select_from(Contact)).scalar_one()
    return users == 0 and contacts == 0


def _number(rng: random.Random, country: str) -> str | None:
    raw = "".join(str(rng.randint(0, 9)) if c == "#" else c for c in NUMBER_PATTERNS[country])
    try:
        return normalise_phone(raw, country)
    except InvalidPhone:
        return None


def _rows_for(region: Region, rng: random.Random) -> list[ContactRow]:
    rows, seen = [], set()
    while len(rows) < PER_REGION:
        abroad = rng.random() < 0.2
        phone = _number(rng, ABROAD[region.country] if abroad else region.country)
        if phone is None or phone in seen:
            continue
        seen.add(phone)
        language = rng.choice(region.languages)
        lists = (rng.choice(LISTS),) if rng.random() < 0.6 else ()
        name = rng.choice(NAMES[language]) if rng.random() < 0.85 else None
        rows.append(ContactRow(len(rows), phone, language, name, lists))
    return rows


def load_demo(
    session: Session, seed: int = 2026, password_method: str = DEFAULT_PASSWORD_METHOD
) -> None:
    """Create the demo users and about forty contacts per region, a few of them opted out."""
    rng = random.Random(seed)
    for email, role, regions, password in DEMO_USERS:
        create_user(session, email, role, regions, password, password_method)
    stamp = ConsentStamp(channel=ConsentChannel.IMPORT, source="Demo data: outreach event sign-up")
    for region in session.execute(select(Region).order_by(Region.code)).scalars():
        region.phone = region.phone or DEMO_MRC_PHONES.get(region.code)
        outcomes = upsert_contacts(
            session, Scope.everything(), region, _rows_for(region, rng), stamp
        )
        for outcome in outcomes[::9]:
            contact = session.get(Contact, outcome.contact_id)
            apply_consent(session, contact, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    session.flush()
