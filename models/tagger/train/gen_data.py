"""Generates the tagger's training data from the hand-written templates (templates.py), the
phrase grammar (grammar.py), hand-written word lists (lexicon.py) and Faker's locale data.

Each example is a JSON line {"text", "spans": [[start, end, TYPE], ...], "genre", "template"},
offsets in characters, TYPE one of PERSON LOCATION ORGANIZATION ADDRESS.

Splits:
  train  templates not held out, Faker seed S
  dev    templates not held out, Faker seed S+1 (in-distribution check, used for checkpoint choice)
  test   held-out templates only (every HOLDOUT_EVERY-th template of every genre, plus one
         structured format; no grammar sentences), Faker seed S+2, and only the held-out tenth
         of names, towns and companies (by hash): measures generalisation to sentence shapes and
         names the model never saw.

Training examples also get: names spliced from two real ones (MUTATE), context noise in a
share of examples (perturb), lowercase/uppercase variants, and multi-sentence messages.

    python gen_data.py --out data --train 110000 --dev 2000 --test 4000 --seed 13
"""

import argparse
import json
import os
import random
import re
import unicodedata
import zlib

from faker import Faker

import grammar
import lexicon as L
import templates as T

HOLDOUT_EVERY = 6
HOLDOUT_PHASE = 3
NAME_HOLDOUT_MOD = 10
MUTATE = 0.2  # share of names and towns spliced from two real ones

TYPE = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION", "ADDR": "ADDRESS"}

# Latin-script locales with good name data; weights are relative draw frequencies for names in
# English templates.
NAME_LOCALES = {
    "en_US": 18, "en_GB": 8, "en_IE": 2, "en_AU": 2, "en_CA": 2, "en_IN": 3, "en_NZ": 1,
    "de_DE": 6, "de_AT": 2, "de_CH": 1, "fr_FR": 6, "fr_CA": 1, "es_ES": 5, "es_MX": 3,
    "es_AR": 1, "es_CO": 1, "it_IT": 5, "nl_NL": 3, "nl_BE": 1, "pt_BR": 4, "pt_PT": 2,
    "pl_PL": 4, "sv_SE": 2, "da_DK": 1, "no_NO": 1, "fi_FI": 1, "cs_CZ": 2, "sk_SK": 1,
    "ro_RO": 2, "hu_HU": 1, "hr_HR": 1, "sl_SI": 1, "tr_TR": 2, "id_ID": 2,
}
# Locales whose Faker addresses look like real addresses.
ADDR_LOCALES = {
    "en_US": 14, "en_GB": 8, "en_IE": 2, "en_AU": 2, "en_CA": 2, "de_DE": 7, "de_AT": 2,
    "de_CH": 2, "fr_FR": 6, "es_ES": 4, "es_MX": 2, "it_IT": 4, "nl_NL": 3, "nl_BE": 1,
    "pt_BR": 3, "pt_PT": 2, "pl_PL": 3, "sv_SE": 1, "da_DK": 1, "fi_FI": 1, "cs_CZ": 1,
    "hr_HR": 1, "sl_SI": 1, "id_ID": 1,
}
CITY_LOCALES = ["en_US", "en_GB", "de_DE", "de_AT", "de_CH", "fr_FR", "es_ES", "it_IT", "nl_NL",
                "nl_BE", "pt_BR", "pt_PT", "pl_PL", "sv_SE", "da_DK", "fi_FI", "cs_CZ", "hr_HR",
                "sl_SI", "en_IN", "id_ID", "hu_HU", "ro_RO", "sk_SK"]
STATE_LOCALES = ["en_US", "en_AU", "de_DE", "de_AT", "es_ES", "es_MX", "pt_BR", "en_IN", "sv_SE",
                 "cs_CZ", "it_IT", "id_ID", "hr_HR", "ro_RO", "sk_SK"]
COMPANY_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR",
                   "pl_PL", "sv_SE", "da_DK", "cs_CZ", "fi_FI", "no_NO", "es_MX", "de_AT",
                   "en_AU", "hu_HU", "id_ID"]

SLOT_RE = re.compile(r"\{([A-Z]+)(\d?)\}|\(\((.*?)\)\)|<<(.+?):(PER|LOC|ORG|ADDR)>>")

EMAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "example.com", "proton.me", "gmx.de",
                 "web.de", "orange.fr", "libero.it", "acme.io", "corp.example.org", "mail.com"]
IDENT_WORDS = ("user order get set parse config cache invoice name address city token retry "
               "batch sync export import handler client server queue worker session payload "
               "request response item total count index buffer stream file path timeout max min "
               "default enable disable is has load save update delete create fetch send build "
               "run test first last street country company person customer email phone id key "
               "value list map filter sort format validate normalize encode decode").split()


def _seed_for(name, seed):
    return (zlib.crc32(name.encode()) + 1000003 * seed) % (2 ** 31)


def _one_line(s):
    s = re.sub(r"\s*\n\s*", ", ", s.strip())
    return re.sub(r"\s+", " ", s)


def _weighted(rng, table):
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


class Person:
    def __init__(self, first, last, full):
        self.first, self.last, self.full = first, last, full


class Filler:
    """Draws slot values; one instance per split so that splits use different Faker seeds."""

    def __init__(self, seed, heldout_names=False):
        self.rng = random.Random(seed)
        self.seed = seed
        # The test split draws only from the held-out tenth of names, cities and companies
        # (by hash), the other splits never do: test figures measure unseen names as well.
        self.heldout_names = heldout_names
        self.fakers = {}
        self.cities = L.world_cities()
        self.countries = L.split_pipe(L.COUNTRIES)
        self.regions = L.split_pipe(L.REGIONS)
        self.amb_first = sorted(set(L.split_ws(L.AMBIGUOUS_FIRST)))
        self.amb_last = sorted(set(L.split_ws(L.AMBIGUOUS_LAST)))
        self.amb_places = L.split_pipe(L.AMBIGUOUS_PLACES)
        self.orgs = L.split_pipe(L.WELL_KNOWN_ORGS)
        self.brands = L.split_ws(L.BRAND_STEMS)
        self.months = L.split_ws(L.MONTHS)
        self.months_short = L.split_ws(L.MONTHS_SHORT)
        self.weekdays = L.split_ws(L.WEEKDAYS)
        self.products = L.split_pipe(L.PRODUCTS)
        self.tech = L.split_pipe(L.TECH_TERMS)
        self.acronyms = L.split_pipe(L.ACRONYMS)
        self.headings = L.split_pipe(L.HEADINGS)
        self.depts = L.split_pipe(L.DEPARTMENTS)
        self.topics = L.split_pipe(L.TOPICS)
        self.jobs = L.split_pipe(L.JOB_TITLES)
        self.capwords = L.split_pipe(L.CAP_WORDS)
        self.lang = "en"
        self.noise_words = Faker("en_US").get_words_list()

    def _draw(self, gen, mutate=0.0):
        for _ in range(30):
            v = gen()
            if (zlib.crc32(v.lower().encode()) % NAME_HOLDOUT_MOD == 0) == self.heldout_names:
                break
        if mutate and self.rng.random() < mutate:
            v = self._splice(v, gen())
        return v

    def _splice(self, a, b):
        """A new name-like word from the head of one name and the tail of another ("Gue" +
        "nter"), so that the model sees many names it cannot have memorised as tokens."""
        if " " in a or " " in b or len(a) < 4 or len(b) < 4:
            return a
        i = self.rng.randint(2, len(a) - 1)
        j = self.rng.randint(1, len(b) - 2)
        v = a[:i] + b[j:]
        return v[0].upper() + v[1:] if a[0].isupper() else v

    def faker(self, locale):
        f = self.fakers.get(locale)
        if f is None:
            f = Faker(locale)
            f.seed_instance(_seed_for(locale, self.seed))
            self.fakers[locale] = f
        return f

    # -- people -------------------------------------------------------------------------------

    def _name_locale(self):
        if self.lang != "en" and self.rng.random() < 0.8:
            return self.rng.choice(T.FOREIGN_LOCALES[self.lang])
        return _weighted(self.rng, NAME_LOCALES)

    def first_name(self, loc=None):
        if self.lang == "en" and self.rng.random() < 0.07:
            return self.rng.choice(self.amb_first)
        f = self.faker(loc or self._name_locale())
        return self._draw(f.first_name, MUTATE)

    def last_name(self, loc=None):
        if self.lang == "en" and self.rng.random() < 0.07:
            return self.rng.choice(self.amb_last)
        f = self.faker(loc or self._name_locale())
        last = self._draw(f.last_name, MUTATE)
        if f.locales[0].startswith(("es_", "pt_")) and self.rng.random() < 0.3:
            last += " " + self._draw(f.last_name, MUTATE)
        return last

    def person(self):
        loc = self._name_locale()
        f = self.faker(loc)
        first = self.first_name() if self.rng.random() < 0.1 else self.first_name(loc)
        last = self.last_name(loc)
        r = self.rng.random()
        if r < 0.72:
            full = f"{first} {last}"
        elif r < 0.80:
            full = f"{first} {self._draw(f.first_name)} {last}"
        elif r < 0.87:
            full = f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
        elif r < 0.91:
            full = f"{first[0]}. {last}"
        elif r < 0.95:
            full = f"{first} {self.rng.choice(L.split_ws(L.AMBIGUOUS_LAST))}"
        else:
            full = f"{first} {last}-{self.last_name(loc)}"
        return Person(first, last, full)

    # -- places -------------------------------------------------------------------------------

    def city(self):
        r = self.rng.random()
        if self.lang != "en" and r < 0.6:
            return self._draw(self.faker(self.rng.choice(T.FOREIGN_LOCALES[self.lang])).city, MUTATE)
        if r < 0.45:
            return self._draw(lambda: self.rng.choice(self.cities))
        if r < 0.85:
            return self._draw(self.faker(self.rng.choice(CITY_LOCALES)).city, MUTATE)
        return self.rng.choice(self.amb_places)

    def country(self):
        r = self.rng.random()
        if self.lang != "en":
            return self.faker(self.rng.choice(T.FOREIGN_LOCALES[self.lang])).country()
        if r < 0.65:
            return self.rng.choice(self.countries)
        return self.faker("en_US").country()

    def region(self):
        if self.rng.random() < 0.65 and self.lang == "en":
            return self.rng.choice(self.regions)
        locs = T.FOREIGN_LOCALES.get(self.lang, STATE_LOCALES)
        for _ in range(4):
            loc = self.rng.choice(locs if self.rng.random() < 0.7 else STATE_LOCALES)
            try:
                return self.faker(loc).state()
            except AttributeError:
                continue
        return self.rng.choice(self.regions)

    def loc(self):
        r = self.rng.random()
        return self.city() if r < 0.6 else self.country() if r < 0.85 else self.region()

    # -- organizations and addresses ----------------------------------------------------------

    def org(self):
        r = self.rng.random()
        if r < 0.33:
            locs = T.FOREIGN_LOCALES.get(self.lang, COMPANY_LOCALES)
            f = self.faker(self.rng.choice(locs))
            return _one_line(self._draw(f.company))
        if r < 0.63:
            return self._draw(lambda: self.rng.choice(self.orgs))
        pat = self.rng.choice(L.ORG_PATTERNS)
        return (pat.replace("{CITY}", self.rng.choice(self.cities))
                .replace("{LAST2}", self.last_name()).replace("{LAST}", self.last_name())
                .replace("{FIRST}", self.first_name()).replace("{WORD}", self.rng.choice(self.brands))
                .replace("{REGION}", self.rng.choice(self.regions))
                .replace("{COUNTRY}", self.rng.choice(self.countries).removeprefix("the ")))

    def _addr_locale(self):
        if self.lang != "en" and self.rng.random() < 0.85:
            return self.rng.choice(T.FOREIGN_LOCALES[self.lang])
        return _weighted(self.rng, ADDR_LOCALES)

    def addr(self):
        return _one_line(self.faker(self._addr_locale()).street_address())

    def fulladdr(self, multiline=False):
        a = self.faker(self._addr_locale()).address().strip()
        if multiline:
            return a
        sep = ", " if self.rng.random() < 0.85 else " "
        return re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", sep, a))

    # -- hard negatives -----------------------------------------------------------------------

    def month(self):
        if self.lang != "en":
            return self.rng.choice(T.FOREIGN_DATES[self.lang][0].split())
        return self.rng.choice(self.months if self.rng.random() < 0.85 else self.months_short)

    def weekday(self):
        if self.lang != "en":
            return self.rng.choice(T.FOREIGN_DATES[self.lang][1].split())
        return self.rng.choice(self.weekdays)

    def date(self):
        d = self.rng.randint(1, 28)
        m = self.month()
        y = self.rng.randint(2019, 2027)
        mi = self.rng.randint(1, 12)
        forms = [f"{m} {d}", f"{d} {m}", f"{d} {m} {y}", f"{m} {d}, {y}", f"{y}-{mi:02d}-{d:02d}",
                 f"{d:02d}/{mi:02d}/{y}", f"{mi}/{d}/{y}", f"{d}.{mi}.{y}", f"{self.weekday()} {d} {m}"]
        if self.lang == "en":
            forms += [f"{m} {d}th", f"the {d}th of {m}"]
        return self.rng.choice(forms)

    def time(self):
        h = self.rng.randint(1, 12)
        return self.rng.choice([f"{h}pm", f"{h}am", f"{h}:30", f"{h + 8}:{self.rng.choice(['00', '15', '30', '45'])}",
                                f"{h}:00 AM", f"{h}:15 PM", "noon", "midday", f"{h} o'clock"])

    def email(self):
        p = self.person()
        local = unicodedata.normalize("NFKD", f"{p.first}.{p.last}").encode("ascii", "ignore").decode()
        local = re.sub(r"[^A-Za-z.]", "", local).lower().strip(".") or "info"
        if self.rng.random() < 0.3:
            local = local.split(".")[0] + str(self.rng.randint(1, 99))
        return f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"

    def ident(self):
        ws = self.rng.sample(IDENT_WORDS, self.rng.randint(1, 3))
        style = self.rng.random()
        if style < 0.45:
            return "_".join(ws)
        if style < 0.85:
            return ws[0] + "".join(w.capitalize() for w in ws[1:])
        return "".join(w.capitalize() for w in ws)

    def other(self, slot):
        rng = self.rng
        if slot == "MONTH":
            return self.month()
        if slot == "WEEKDAY":
            return self.weekday()
        if slot == "DATE":
            return self.date()
        if slot == "TIME":
            return self.time()
        if slot == "YEAR":
            return str(rng.randint(1950, 2026))
        if slot == "N":
            return str(rng.randint(1, 12))
        if slot == "NUM":
            return str(rng.randint(100, 99999))
        if slot == "MONEY":
            v = rng.choice([f"{rng.randint(5, 999)}", f"{rng.randint(1, 99)},{rng.randint(100, 999)}",
                            f"{rng.randint(5, 999)}.{rng.randint(10, 99)}"])
            return rng.choice([f"${v}", f"€{v}", f"£{v}", f"{v} EUR", f"{v} USD", f"{v} €", f"CHF {v}"])
        if slot == "PCT":
            return f"{rng.randint(1, 99)}%"
        if slot == "PRODUCT":
            return rng.choice(self.products)
        if slot == "TECH":
            return rng.choice(self.tech)
        if slot == "ACRO":
            return rng.choice(self.acronyms)
        if slot == "JOB":
            if rng.random() < 0.3:
                return self.faker(rng.choice(["en_US", "en_GB"])).job()
            return rng.choice(self.jobs)
        if slot == "TOPIC":
            return rng.choice(self.topics)
        if slot == "FILE":
            stem = self.ident()
            return f"{stem}.{rng.choice(['pdf', 'csv', 'xlsx', 'docx', 'json', 'png', 'rs', 'py', 'log', 'zip'])}"
        if slot == "EMAIL":
            return self.email()
        if slot == "PHONE":
            return _one_line(self.faker(_weighted(rng, ADDR_LOCALES)).phone_number())
        if slot == "TICKET":
            return rng.choice([f"#{rng.randint(100, 99999)}", f"INC-{rng.randint(1000, 99999)}",
                               f"{rng.choice(['JIRA', 'OPS', 'SUP', 'BUG', 'ORD'])}-{rng.randint(10, 9999)}",
                               f"ORD-{rng.randint(2019, 2026)}-{rng.randint(10000, 99999)}"])
        if slot == "URL":
            return rng.choice([f"https://api.example.com/v{rng.randint(1, 3)}/{self.ident()}",
                               f"https://hooks.{rng.choice(self.brands).lower()}.io/{rng.randint(100, 999)}",
                               f"http://localhost:{rng.randint(3000, 9000)}/{self.ident()}"])
        if slot == "VERSION":
            return rng.choice([f"v{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}",
                               f"{rng.randint(1, 20)}.{rng.randint(0, 9)}",
                               f"{rng.randint(1, 5)}.{rng.randint(0, 9)}.0-rc{rng.randint(1, 4)}"])
        if slot == "ERRCODE":
            return rng.choice([f"E{rng.randint(1000, 9999)}", "ERR_CONNECTION_RESET", "ECONNREFUSED",
                               f"HTTP {rng.choice([400, 401, 403, 404, 409, 500, 502, 503])}",
                               f"0x{rng.randint(0, 2 ** 31):08X}", "ETIMEDOUT", "EACCES"])
        if slot == "IDENT":
            return self.ident()
        if slot == "HOST":
            return rng.choice([f"db-prod-{rng.randint(1, 9):02d}", "api.internal", f"worker-{rng.randint(1, 20)}",
                               f"{self.ident().replace('_', '-').lower()}.svc.cluster.local",
                               f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(0, 255)}"])
        if slot == "IP":
            return ".".join(str(rng.randint(1, 254)) for _ in range(4))
        if slot == "DEPT":
            return rng.choice(self.depts)
        if slot == "HEADING":
            if rng.random() < 0.25:
                return self.faker("en_US").catch_phrase().title()
            return rng.choice(self.headings)
        if slot == "CAPWORD":
            return rng.choice(self.capwords)
        raise KeyError(slot)


class Builder:
    """Accumulates text and spans."""

    def __init__(self):
        self.parts = []
        self.n = 0
        self.spans = []

    def add(self, text, typ=None):
        if typ:
            text = re.sub(r"[ \t]+", " ", text).strip()
        if typ and text.startswith(("the ", "The ")) and self.parts and self.parts[-1].endswith(("the ", "The ")):
            text = text[4:]  # "The {ORG} press office" with "the BBC"
        if typ and text.startswith(("the ", "The ")) and len(text) > 4:
            # Articles stay outside entity spans ("the Netherlands", "the BBC").
            self.add(text[:4])
            text = text[4:]
        if (typ == "PERSON" and self.spans and self.spans[-1][2] == typ
                and self.spans[-1][1] == self.n - 1 and self.parts[-1] == " "):
            self.spans[-1][1] = self.n + len(text)  # "{FIRST} {LAST}" is one person
        elif typ:
            self.spans.append([self.n, self.n + len(text), typ])
        self.parts.append(text)
        self.n += len(text)

    def text(self):
        return "".join(self.parts)


def fill(template, filler, multiline_addr=False):
    b = Builder()
    people = {}
    bound = {}
    pos = 0
    template = template.replace("\\n", "\n")
    for m in SLOT_RE.finditer(template):
        b.add(template[pos:m.start()])
        pos = m.end()
        slot, idx, alts, lit, lit_type = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
        if alts is not None:
            b.add(filler.rng.choice(alts.split("|")))
            continue
        if lit is not None:
            b.add(lit, TYPE[lit_type])
            continue
        if slot in ("PER", "FIRST", "LAST"):
            if idx:
                p = people.get(idx) or people.setdefault(idx, filler.person())
                val = {"PER": p.full, "FIRST": p.first, "LAST": p.last}[slot]
            else:
                val = {"PER": lambda: filler.person().full, "FIRST": filler.first_name,
                       "LAST": filler.last_name}[slot]()
            b.add(val, "PERSON")
            continue
        key = (slot, idx)
        if idx and key in bound:
            val, typ = bound[key]
        else:
            typ = None
            if slot == "CITY":
                val, typ = filler.city(), "LOCATION"
            elif slot == "COUNTRY":
                val, typ = filler.country(), "LOCATION"
            elif slot == "REGION":
                val, typ = filler.region(), "LOCATION"
            elif slot == "LOC":
                val, typ = filler.loc(), "LOCATION"
            elif slot == "ORG":
                val, typ = filler.org(), "ORGANIZATION"
            elif slot == "ADDR":
                val, typ = filler.addr(), "ADDRESS"
            elif slot == "FULLADDR":
                val, typ = filler.fulladdr(multiline_addr and filler.rng.random() < 0.3), "ADDRESS"
            elif slot == "AMBPER":
                val, typ = filler.rng.choice(filler.amb_first), "PERSON"
            elif slot == "AMBLAST":
                val, typ = filler.rng.choice(filler.amb_last), "PERSON"
            elif slot == "AMBLOC":
                val, typ = filler.rng.choice(filler.amb_places), "LOCATION"
            else:
                val = filler.other(slot)
            bound[key] = (val, typ)
        b.add(val, typ)
    b.add(template[pos:])
    return b


# --- structured snippets (CSV, JSON, YAML, key-value, markdown tables) -------------------------

FIELDS = {
    "name": ("PERSON", lambda f: f.person().full),
    "full_name": ("PERSON", lambda f: f.person().full),
    "first_name": ("PERSON", lambda f: f.first_name()),
    "last_name": ("PERSON", lambda f: f.last_name()),
    "contact": ("PERSON", lambda f: f.person().full),
    "city": ("LOCATION", lambda f: f.city()),
    "country": ("LOCATION", lambda f: f.country().removeprefix("the ")),
    "region": ("LOCATION", lambda f: f.region()),
    "company": ("ORGANIZATION", lambda f: f.org().removeprefix("the ")),
    "employer": ("ORGANIZATION", lambda f: f.org().removeprefix("the ")),
    "address": ("ADDRESS", lambda f: f.fulladdr()),
    "street": ("ADDRESS", lambda f: f.addr()),
    "email": (None, lambda f: f.email()),
    "id": (None, lambda f: str(f.rng.randint(1, 99999))),
    "status": (None, lambda f: f.rng.choice(["active", "inactive", "pending", "Open", "Closed", "Done"])),
    "role": (None, lambda f: f.rng.choice(f.jobs)),
    "amount": (None, lambda f: f.other("MONEY")),
    "created_at": (None, lambda f: f.date()),
    "product": (None, lambda f: f.rng.choice(f.products)),
    "department": (None, lambda f: f.rng.choice(f.depts)),
    "phone": (None, lambda f: f.other("PHONE")),
    "month": (None, lambda f: f.month()),
    "plan": (None, lambda f: f.rng.choice(["Free", "Pro", "Enterprise", "Business", "Basic"])),
}
STRUCT_FORMATS = ["csv", "json", "json_compact", "yaml", "kv", "markdown"]
STRUCT_HELDOUT = "markdown"


def structured(filler, fmt):
    rng = filler.rng
    keys = list(FIELDS)
    ent = [k for k in keys if FIELDS[k][0]]
    cols = rng.sample(ent, rng.randint(1, 3)) + rng.sample([k for k in keys if not FIELDS[k][0]], rng.randint(1, 3))
    rng.shuffle(cols)
    if rng.random() < 0.3:
        cols = [c.upper() if rng.random() < 0.5 else c.replace("_", " ").title() for c in cols]
    rows = rng.randint(1, 4) if fmt in ("csv", "markdown") else 1
    b = Builder()

    def val(col):
        return FIELDS[col.lower().replace(" ", "_")]

    if fmt in ("csv", "markdown"):
        sep = rng.choice([",", ";", "\t", "|"]) if fmt == "csv" else " | "
        if fmt == "markdown":
            b.add("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n")
        else:
            b.add(sep.join(cols) + "\n")
        for r in range(rows):
            if fmt == "markdown":
                b.add("| ")
            for i, c in enumerate(cols):
                typ, gen = val(c)
                v = gen(filler)
                quote = fmt == "csv" and ("," in v or sep in v) and True
                if quote:
                    b.add('"')
                b.add(v, typ)
                if quote:
                    b.add('"')
                if i < len(cols) - 1:
                    b.add(sep)
            b.add(" |" if fmt == "markdown" else "")
            if r < rows - 1:
                b.add("\n")
        return b
    if fmt in ("json", "json_compact"):
        nl, ind = ("\n", "  ") if fmt == "json" else ("", "")
        b.add("{" + nl)
        for i, c in enumerate(cols):
            typ, gen = val(c)
            v = gen(filler)
            b.add(f'{ind}"{c}": "')
            b.add(v, typ)
            b.add('"' + ("," if i < len(cols) - 1 else "") + (nl if nl else (" " if i < len(cols) - 1 else "")))
        b.add("}")
        return b
    sep = ": " if fmt == "yaml" else rng.choice(["=", ": ", " = "])
    for i, c in enumerate(cols):
        typ, gen = val(c)
        b.add(f"{c}{sep}")
        b.add(gen(filler), typ)
        b.add("\n" if fmt == "yaml" else rng.choice([" ", "; ", ", "]) if i < len(cols) - 1 else "")
    return b


# --- free text negatives from Faker (word salad, catch phrases, job titles) ---------------------

def faker_negative(filler):
    rng = filler.rng
    loc = rng.choice(["en_US", "en_US", "en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL"])
    f = filler.faker(loc)
    r = rng.random()
    b = Builder()
    if r < 0.4:
        b.add(f.sentence(nb_words=rng.randint(4, 14)))
    elif r < 0.6:
        b.add(filler.faker("en_US").catch_phrase() + ".")
    elif r < 0.75:
        b.add(filler.faker("en_US").bs().capitalize() + ".")
    elif r < 0.87:
        b.add(f.sentence(nb_words=rng.randint(3, 7)).rstrip(".").title())
    else:
        b.add(f.job())
    return b


# --- split and sampling --------------------------------------------------------------------------

def split_templates():
    """{genre: (train_templates, test_templates)} including foreign-language genres."""
    out = {}
    genres = dict(T.GENRES)
    for lang, block in T.FOREIGN.items():
        genres["foreign_" + lang] = block.strip().splitlines()
    for g, lst in genres.items():
        lst = [t for t in lst if t.strip()]
        tr = [t for i, t in enumerate(lst) if i % HOLDOUT_EVERY != HOLDOUT_PHASE]
        te = [t for i, t in enumerate(lst) if i % HOLDOUT_EVERY == HOLDOUT_PHASE]
        out[g] = (tr, te)
    return out


GENRE_WEIGHTS = {
    "requests": 13, "emails": 11, "tickets": 7, "logs": 6, "code": 6, "chat": 14, "narrative": 8,
    "ambiguous": 10, "addresses": 6, "orgs": 7, "negatives": 13, "foreign": 10, "structured": 6,
    "faker_negative": 3, "grammar": 30,
}
# The phrase grammar is for training only; the test split uses held-out fixed templates alone.
TEST_EXCLUDED = {"grammar"}
# Genres whose single examples are short enough to be concatenated into longer messages.
CHAINABLE = {"requests", "chat", "narrative", "ambiguous", "addresses", "orgs", "negatives",
             "tickets", "faker_negative", "grammar"}


def perturb(text, spans, rng, words, p_del=0.04, p_rep=0.08, p_ins=0.03):
    """Context noise for training: outside entities, some words are dropped, replaced by a
    random common word or followed by one, so that the model cannot lean on exact template
    wording. Returns the new text and the re-aligned spans."""

    def noisy(seg):
        out = []
        for t in re.split(r"(\s+)", seg):
            if t and re.fullmatch(r"[A-Za-z]+", t):
                r = rng.random()
                w = words[rng.randrange(len(words))]
                w = w.upper() if t.isupper() and len(t) > 1 else w.capitalize() if t[0].isupper() else w
                if r < p_del:
                    t = ""
                elif r < p_del + p_rep:
                    t = w
                elif r < p_del + p_rep + p_ins:
                    t = t + " " + w
            out.append(t)
        return re.sub(r"(?<=\S) {2,}(?=\S)", " ", "".join(out))

    parts, new_spans, pos, n = [], [], 0, 0
    for s, e, typ in sorted(spans):
        seg = noisy(text[pos:s])
        parts.append(seg)
        n += len(seg)
        parts.append(text[s:e])
        new_spans.append([n, n + e - s, typ])
        n += e - s
        pos = e
    parts.append(noisy(text[pos:]))
    return "".join(parts), new_spans


def transform_case(b, rng, allow=True):
    """Lowercase or uppercase a whole example sometimes (character-wise, offsets unchanged)."""
    text = b.text()
    r = rng.random() if allow else 1.0
    if r < 0.06:
        text = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    elif r < 0.09:
        text = "".join(c.upper() if len(c.upper()) == 1 else c for c in text)
    elif r < 0.14 and text[:1].isupper() and len(text[0].lower()) == 1:
        text = text[0].lower() + text[1:]
    return text


def one(filler, split_map, which, genre):
    rng = filler.rng
    filler.lang = "en"
    if genre == "structured":
        fmts = [STRUCT_HELDOUT] if which == "test" else [f for f in STRUCT_FORMATS if f != STRUCT_HELDOUT]
        return structured(filler, rng.choice(fmts)), "structured"
    if genre == "faker_negative":
        return faker_negative(filler), "faker_negative"
    if genre == "grammar":
        return fill(grammar.template(rng), filler), "grammar"
    if genre == "foreign":
        lang = rng.choice(list(T.FOREIGN))
        filler.lang = lang
        genre = "foreign_" + lang
    tr, te = split_map[genre]
    pool = te if which == "test" else tr
    tpl = rng.choice(pool)
    b = fill(tpl, filler, multiline_addr=genre in ("emails", "addresses"))
    filler.lang = "en"
    return b, genre + ":" + str(zlib.crc32(tpl.encode()) % 100000)


def example(filler, split_map, which, noise=0.0):
    rng = filler.rng
    genres = [g for g in GENRE_WEIGHTS if not (which == "test" and g in TEST_EXCLUDED)]
    weights = [GENRE_WEIGHTS[g] for g in genres]
    if rng.random() < 0.25:
        # A longer message: several chainable examples joined.
        k = rng.randint(2, 5)
        b = Builder()
        tags = []
        for i in range(k):
            g = rng.choices(genres, weights)[0]
            while g not in CHAINABLE:
                g = rng.choices(genres, weights)[0]
            part, tag = one(filler, split_map, which, g)
            if i:
                b.add(rng.choice([" ", " ", "\n", "\n\n", " - ", "; "]))
            off = b.n
            b.add(part.text())
            b.spans.extend([[s + off, e + off, t] for s, e, t in part.spans])
            tags.append(tag)
        genre, tag = "multi", "+".join(tags)
    else:
        genre = rng.choices(genres, weights)[0]
        b, tag = one(filler, split_map, which, genre)
    spans = b.spans
    if noise and genre != "code" and rng.random() < noise:
        text, spans = perturb(b.text(), spans, rng, filler.noise_words)
        b.parts = [text]
    text = transform_case(b, rng, allow=genre != "code")
    return {"text": text, "spans": spans, "genre": genre, "template": tag}


def validate(ex):
    t = ex["text"]
    for s, e, typ in ex["spans"]:
        assert 0 <= s < e <= len(t), ex
        assert t[s:e] == t[s:e].strip(), ex


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="data")
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--dev", type=int, default=2000)
    ap.add_argument("--test", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--noise", type=float, default=0.3, help="share of training examples with context noise")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    Faker.seed(a.seed)
    split_map = split_templates()
    stats = {"templates_train": sum(len(v[0]) for v in split_map.values()),
             "templates_test": sum(len(v[1]) for v in split_map.values())}
    for i, (which, n) in enumerate([("train", a.train), ("dev", a.dev), ("test", a.test)]):
        filler = Filler(a.seed * 100 + i, heldout_names=which == "test")
        counts = {}
        with open(os.path.join(a.out, which + ".jsonl"), "w", encoding="utf-8") as fh:
            for _ in range(n):
                ex = example(filler, split_map, "test" if which == "test" else "train",
                             noise=a.noise if which == "train" else 0.0)
                validate(ex)
                for s in ex["spans"]:
                    counts[s[2]] = counts.get(s[2], 0) + 1
                fh.write(json.dumps(ex, ensure_ascii=False) + "\n")
        stats[which] = {"examples": n, "entities": counts}
        print(which, n, counts, flush=True)
    with open(os.path.join(a.out, "stats.json"), "w") as fh:
        json.dump(stats, fh, indent=2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
