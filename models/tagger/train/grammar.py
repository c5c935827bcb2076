"""A small phrase grammar that composes template strings from hand-written fragments.

The fixed templates in templates.py give realistic whole messages; this grammar multiplies the
contexts an entity is seen in (many verbs, prepositions, openings and endings in many orders),
so that the model learns the cues rather than memorising a few hundred sentences. It is used
for training only: the held-out test set uses held-out fixed templates alone.
"""

OPENINGS = ["", "", "", "Can you ", "Could you ", "Please ", "pls ", "I need to ", "I want to ",
            "Remind me to ", "Don't forget to ", "We should ", "Help me ", "Let's ", "I'll ",
            "Could you help me ", "Time to ", "Quick one: can you ", "Hey, can you ", "Ok, ",
            "Also, ", "Tomorrow I have to ", "Before lunch, ", "Would you mind if I ",
            "Is it ok to ", "Why didn't you ", "Did you ", "Did anyone ", "Can someone ",
            "Note to self: ", "Next step: ", "TODO: ", "Action item: ", "Reminder: "]

PERSON_VERBS = ["email", "call", "ring", "text", "message", "ping", "thank", "invite", "ask",
                "tell", "meet", "meet with", "introduce me to", "send the report to",
                "schedule a call with", "cc", "forward this to", "reply to", "follow up with",
                "congratulate", "check in with", "write to", "book a table for", "pay",
                "reimburse", "add", "notify", "update", "interview", "onboard", "visit",
                "pick up", "drop off the keys with", "share the doc with", "set up a meeting with",
                "apologise to", "get back to", "loop in", "wish happy birthday to", "pay back",
                "send flowers to", "sit next to", "have lunch with", "talk to", "warn",
                "say goodbye to", "review the draft with", "hand over the project to",
                "get the signature of", "confirm the booking for", "buy a gift for"]

NON_PERSON_OBJECTS = ["the team", "everyone", "the {JOB}", "{DEPT}", "the client", "the landlord",
                      "support", "the {DEPT} team", "HR", "the vendor", "my manager", "the admins",
                      "the {PRODUCT} admins", "the whole group", "the new hire", "my boss",
                      "the supplier", "the bank", "the doctor", "the school", "legal", "IT",
                      "the on-call engineer", "the customer", "all attendees", "the board",
                      "the {DEPT} lead", "them", "her", "him", "my parents", "my neighbour"]

PERSON_FORMS = ["{PER}", "{PER}", "{PER}", "{FIRST}", "{FIRST}", "{FIRST}", "Mr. {LAST}",
                "Ms. {LAST}", "Dr. {LAST}", "Mrs. {LAST}", "Prof. {LAST}", "{FIRST} from {DEPT}",
                "{PER} ({ORG})", "my colleague {FIRST}", "our client {PER}", "{FIRST} at {ORG}",
                "{FIRST}'s manager", "{FIRST} and {FIRST}", "{PER} and {PER}", "{AMBPER}",
                "{AMBPER} {LAST}", "{FIRST} {AMBLAST}", "my sister {FIRST}", "my brother {FIRST}",
                "my mum, {FIRST},", "our {JOB} {PER}", "{LAST}", "{PER}, the {JOB},",
                "{FIRST} ({EMAIL})", "{PER} <{EMAIL}>", "{FIRST} in {DEPT}", "coach {LAST}",
                "aunt {FIRST}", "{FIRST} {LAST}"]

MIDDLES = ["about the {TOPIC} report", "about the invoice", "at {ORG}", "from {ORG}", "in {CITY}",
           "from the {CITY} office", "at {ADDR}", "at {FULLADDR}", "regarding order {TICKET}",
           "on {WEEKDAY}", "before {TIME}", "next {WEEKDAY}", "in {MONTH}", "when {FIRST} is back",
           "with {FIRST}", "about {FIRST}'s trip to {LOC}", "about the move to {CITY}",
           "who works at {ORG}", "who lives in {LOC}", "who just moved to {CITY}",
           "before the trip to {COUNTRY}", "about the {PRODUCT} licence", "about the {ACRO} issue",
           "about our {DEPT} budget", "at the {CITY} branch", "near {ADDR}", "in {REGION}",
           "about the offer from {ORG}", "about the parcel sent to {FULLADDR}",
           "for the {MONTH} newsletter", "about the visit to {ORG} in {CITY}", "at {TIME}",
           "on {DATE}", "about {TOPIC}", "before {FIRST} leaves for {COUNTRY}",
           "about the flat on {ADDR}", "once {ORG} replies", "after the call with {ORG}",
           "while I'm in {CITY}", "when we land in {CITY}", "about the {TECH} outage",
           "about the meeting with {ORG} and {ORG}", "and cc {PER}", "and {FIRST}"]

ENDINGS = [".", ".", ".", "?", "!", "", " please.", " asap.", " thanks!", " when you get a chance.",
           " tomorrow.", " today.", " tonight?", " first thing in the morning.", " :)",
           " if possible.", " - thx", "...", " again.", " as well.", " before it's too late.",
           " this week.", " too.", ", ok?", " for me."]

SUBJECT_FORMS = ["{PER}", "{PER}", "{FIRST}", "{FIRST}", "Mr. {LAST}", "{LAST}", "Dr. {LAST}",
                 "my sister {FIRST}", "our CEO, {PER},", "{FIRST} from {ORG}", "{FIRST} ({DEPT})",
                 "{AMBPER}", "{AMBLAST}", "{FIRST} {AMBLAST}", "{PER} of {ORG}",
                 "my neighbour {FIRST}", "{FIRST} and {FIRST}", "Both {FIRST} and {PER}",
                 "Apparently {FIRST}", "Yesterday {PER}", "In {MONTH}, {FIRST}", "So {FIRST}"]

SUBJECT_VPS = ["said it's fine", "says hi", "thinks we should wait", "wrote back", "asked about you",
               "called twice", "emailed the contract", "is out sick", "was right", "will join later",
               "has the keys", "approved it", "mentioned the {TOPIC} study", "confirmed",
               "replied", "left early", "joined the call", "moved house", "signed the contract",
               "wants a refund", "needs the login", "doesn't know yet", "can't make it",
               "is running late", "is on holiday", "will be in {CITY}", "moved to {LOC}",
               "lives in {LOC}", "works at {ORG}", "works for {ORG}", "joined {ORG}", "left {ORG}",
               "is based in {CITY}", "grew up in {LOC}", "flew to {LOC}", "is visiting {CITY}",
               "is back from {COUNTRY}", "sent the contract to {ORG}", "lives at {ADDR}",
               "moved to {FULLADDR}", "studied at {ORG}", "retired from {ORG}",
               "was promoted to {JOB}", "is the new {JOB} at {ORG}", "will present in {CITY}",
               "owns a flat on {ADDR}", "is driving from {CITY} to {CITY}",
               "stayed with us in {REGION}", "sold the company to {ORG}", "met {PER} in {CITY}",
               "and {FIRST} are getting married in {CITY}", "forgot the {PRODUCT} password",
               "fixed the {TECH} bug", "reported the {ACRO} error", "owes me {MONEY}",
               "booked the hotel near {ADDR}", "recommended {ORG}", "interviewed at {ORG}",
               "is allergic to nuts", "won the {CITY} marathon"]

NON_PERSON_SUBJECTS = ["The {JOB}", "Our {DEPT} team", "Everyone", "The client", "My manager",
                       "The vendor", "Support", "Nobody", "The landlord", "The new intern",
                       "Someone from {DEPT}", "The {PRODUCT} team", "{CAPWORD}", "My boss",
                       "The {ACRO} service", "This {TECH}", "{WEEKDAY}", "{MONTH}", "The {HEADING}"]

PLACE_FRAMES = ["The {CITY} office", "Our team in {CITY}", "Flights to {LOC}", "The weather in {LOC}",
                "Hotels near {CITY}", "The road from {CITY} to {CITY}", "Prices in {COUNTRY}",
                "Our warehouse at {FULLADDR}", "The shop on {ADDR}", "Customers in {REGION}",
                "The {ORG} branch in {CITY}", "{ORG}", "{ORG}", "{ORG}'s {CITY} office",
                "The deal with {ORG}", "The parcel for {ADDR}", "Trains between {CITY} and {CITY}",
                "Rent in {CITY}", "The conference in {CITY}", "Tax rules in {COUNTRY}"]

PLACE_VPS = ["is closed on {WEEKDAY}", "went up again", "is delayed", "looks great",
             "was cancelled", "needs a new manager", "opens in {MONTH}", "is fully booked",
             "has moved", "announced layoffs", "signed the deal", "is hiring",
             "is too expensive", "reported a loss", "was sold to {ORG}", "will be expanded",
             "got flooded", "is under review", "was mentioned by {PER}", "is managed by {PER}"]


def _pick(rng, xs):
    return xs[rng.randrange(len(xs))]


def template(rng):
    """One generated template string (slots are filled by gen_data.fill)."""
    r = rng.random()
    mids = " ".join(_pick(rng, MIDDLES) for _ in range(rng.choice([0, 1, 1, 1, 2])))
    mids = (" " + mids) if mids else ""
    if r < 0.40:
        obj = _pick(rng, PERSON_FORMS) if rng.random() < 0.8 else _pick(rng, NON_PERSON_OBJECTS)
        s = _pick(rng, OPENINGS) + _pick(rng, PERSON_VERBS) + " " + obj + mids + _pick(rng, ENDINGS)
    elif r < 0.75:
        subj = _pick(rng, SUBJECT_FORMS) if rng.random() < 0.8 else _pick(rng, NON_PERSON_SUBJECTS)
        tail = _pick(rng, ["", "", " yesterday", " last week", " on {WEEKDAY}", " in {MONTH}",
                           " again", " this morning", " apparently", ", I think"])
        s = subj + " " + _pick(rng, SUBJECT_VPS) + tail + _pick(rng, ENDINGS)
        if rng.random() < 0.2:
            s = s.rstrip(".!?") + ", " + _pick(rng, ["so ", "and ", "but "]) + \
                _pick(rng, PERSON_VERBS) + " " + _pick(rng, PERSON_FORMS) + _pick(rng, ENDINGS)
    else:
        s = _pick(rng, PLACE_FRAMES) + " " + _pick(rng, PLACE_VPS) + mids + _pick(rng, ENDINGS)
    if s[:1].islower() and rng.random() < 0.7:
        s = s[0].upper() + s[1:]
    return s
