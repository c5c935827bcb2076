#!/usr/bin/env python3
"""Writes the two sets benches/eval_privacy.py measures the masking policy on:

- benches/data/everyday_public.jsonl: prompts about the world that name public people, places,
  works and organisations and nothing personal. 292 are every single-line prompt of at most 160
  characters with a capitalised word after its start in ../shared/data/draft/draft_heldout.jsonl
  (databricks-dolly-15k and OASST1 prompts, CC BY-SA 3.0 / Apache-2.0, real text people wrote;
  see that folder's SOURCE.md), the rest written here. They must reach the cloud unchanged.
- benches/data/personal_planted.jsonl: personal text in the shapes people paste (e-mails with
  signatures, CVs, support tickets, CSV, logs, code, chats in German, Spanish and French, one
  person named several ways) with planted values: names drawn with a fixed seed from the 1990
  US Census lists (public domain; models/tagger/*.txt) and from per-language lists written
  here, e-mails, phones, streets. Every planted value must be masked; every person must have
  one placeholder.

    python3 benches/data/make_privacy_sets.py
"""
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
rng = random.Random(20261207)

WRITTEN = [
    "What is the capital of Australia?", "Who was Albert Einstein?", "Who painted the Mona Lisa?",
    "What happened at the Battle of Waterloo?", "Who won the FIFA World Cup in 2018?",
    "Is Paris bigger than London?", "How tall is Mount Everest?", "When did the Berlin Wall fall?",
    "What is the population of Tokyo?", "Explain the causes of World War I.",
    "Who wrote Pride and Prejudice?", "What does NASA do?", "How long is the Nile?",
    "Which countries border Germany?", "What language is spoken in Brazil?",
    "Summarise the plot of Harry Potter and the Philosopher's Stone.",
    "What is the time difference between New York and Sydney?",
    "Why is Venice sinking?", "What are the main exports of Canada?",
    "Compare the economies of Japan and South Korea.", "Who founded Microsoft?",
    "What is the tallest building in Dubai?", "How did the Roman Empire fall?",
    "Plan three days in Barcelona for a family with kids.", "What is the climate like in Kenya?",
    "Who discovered penicillin?", "What is the European Union?", "Where is the Great Barrier Reef?",
    "What currency does Switzerland use?", "Tell me about the history of Istanbul.",
    "Who is the author of One Hundred Years of Solitude?", "What is Amazon's main business?",
    "How many states are in the United States?", "What is the longest river in Europe?",
    "Describe the architecture of the Taj Mahal.", "What did Marie Curie discover?",
    "Which is colder, Moscow or Helsinki?", "What is the best time to visit Iceland?",
    "Translate 'good morning' into Italian.", "What are the rules of cricket?",
]

GIVEN = {
    "de": ["Jürgen", "Anneliese", "Matthias", "Sabine", "Klaus", "Friederike"],
    "es": ["Alejandro", "Lucía", "Santiago", "Valentina", "Joaquín", "Ximena"],
    "fr": ["Amélie", "Benoît", "Clémence", "Thibault", "Aurélie", "Guillaume"],
}
SURNAMES = {
    "de": ["Schäfer", "Hoffmann", "Krüger", "Wagner", "Zimmermann", "Böhm"],
    "es": ["García", "Fernández", "Navarro", "Domínguez", "Castillo", "Ortega"],
    "fr": ["Lefèvre", "Moreau", "Girard", "Rousseau", "Fontaine", "Chevalier"],
}
STREETS = ["Elm Street", "Maple Avenue", "Cedar Lane", "Harbour Road", "Mill Lane", "Oak Drive"]


def census(name):
    words = set(open(os.path.join(ROOT, "models", "tagger", "common_words.txt")).read().split())
    path = os.path.join(ROOT, "models", "tagger", name)
    return [w.capitalize() for w in open(path).read().split()
            if not w.startswith("#") and w.isalpha() and w not in words and len(w) > 3]


def everyday():
    out = []
    src = os.path.join(ROOT, "..", "shared", "data", "draft", "draft_heldout.jsonl")
    for line in open(src, encoding="utf-8"):
        p = json.loads(line)["prompt"]
        if "\n" not in p and len(p) <= 160 and "@" not in p and re.search(r"\s[A-Z][a-z]+", p):
            out.append({"text": p, "source": "draft_heldout"})
    out += [{"text": p, "source": "written"} for p in WRITTEN]
    return out


def personal():
    given, surnames = census("given_names.txt"), census("surnames.txt")
    out = []

    def person(lang=None):
        if lang:
            return rng.choice(GIVEN[lang]), rng.choice(SURNAMES[lang])
        return rng.choice(given), rng.choice(surnames)

    def email(first, last):
        strip = lambda s: s.lower().translate(str.maketrans("äöüéèáíóñç", "aoueeaiouc"))
        return f"{strip(first)}.{strip(last)}@{rng.choice(['mailbox.org', 'example-mail.com', 'posteo.de'])}"

    def phone():
        return f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"

    for i in range(40):
        f, l = person()
        f2, l2 = person()
        e, ph = email(f, l), phone()
        street = f"{rng.randint(2, 998)} {rng.choice(STREETS)}"
        shapes = [
            (f"Hi team,\n\nplease send the contract to {f2} {l2} by Friday.\n\nBest regards,\n{f} {l}\n"
             f"Senior Accountant\n{e} | {ph}", [f"{f} {l}", f"{f2} {l2}", e, ph], [(f"{f} {l}",)]),
            (f"CURRICULUM VITAE\n{f} {l}\n{street}, Springfield\n{e}\n\nEXPERIENCE\n2019-2024 Analyst",
             [f"{f} {l}", street, e], []),
            (f"Ticket #4411: customer {f} {l} ({e}) cannot log in since the update. "
             f"{f} says the reset mail never arrives.", [f"{f} {l}", e], [(f"{f} {l}", f)]),
            (f"name,email,phone\n{f} {l},{e},{ph}\n{f2} {l2},{email(f2, l2)},{phone()}",
             [f"{f} {l}", e, f"{f2} {l2}"], []),
            (f"2026-12-01T10:22:03Z WARN auth: login failed for user={e} name=\"{f} {l}\" ip=10.1.2.3",
             [e, f"{f} {l}"], []),
            (f"def notify():\n    send(to=\"{e}\", name=\"{f} {l}\")  # ask {f2} before merging",
             [e, f"{f} {l}"], []),
            (f"Maria told me that {f} {l} will join. Please reply to {f} today and cc {l}'s manager.",
             [f"{f} {l}"], [(f"{f} {l}", f, l)]),
        ]
        text, planted, people = shapes[i % len(shapes)]
        out.append({"text": text, "planted": planted, "people": [list(p) for p in people], "shape": i % len(shapes)})
    for lang, line in [("de", "Hallo {f}, kannst du {g} {h} morgen anrufen? Seine Nummer ist {ph}."),
                       ("es", "Hola, soy {f} {l}. Escríbeme a {e} o llama a {g} {h}."),
                       ("fr", "Bonjour, je suis {f} {l}, merci d'écrire à {g} {h} à propos du contrat.")]:
        for _ in range(10):
            f, l = person(lang)
            g, h = person(lang)
            e, ph = email(f, l), phone()
            text = line.format(f=f, l=l, g=g, h=h, e=e, ph=ph)
            planted = [v for v in [f"{f} {l}" if "{l}" in line else f, f"{g} {h}", e if "{e}" in line else None,
                                   ph if "{ph}" in line else None] if v]
            out.append({"text": text, "planted": planted, "people": [], "shape": lang})
    return out


for name, rows in [("everyday_public.jsonl", everyday()), ("personal_planted.jsonl", personal())]:
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            f.write(json.dumps({"id": i, **r}, ensure_ascii=False) + "\n")
    print(f"wrote benches/data/{name}: {len(rows)} rows")
