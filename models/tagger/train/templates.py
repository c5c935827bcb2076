"""Sentence templates, written by hand for this project (none copied from any dataset).

Syntax (expanded by gen_data.py):
  {PER} {FIRST} {LAST}        PERSON: full name, first name only, surname only. A digit binds
                              slots to one person: {PER1} ... {FIRST1} is the same person.
  {CITY} {COUNTRY} {REGION} {LOC}   LOCATION (LOC: any of the three)
  {ORG}                       ORGANIZATION
  {ADDR} {FULLADDR}           ADDRESS: street + number; street + number + postcode + city
  {AMBPER} {AMBLAST} {AMBLOC} PERSON / PERSON / LOCATION drawn from words that are also
                              names, places or ordinary words (Washington, April, Will ...)
  other {UPPER} slots         always O: {MONTH} {WEEKDAY} {DATE} {TIME} {YEAR} {N} {NUM}
                              {MONEY} {PCT} {PRODUCT} {TECH} {ACRO} {JOB} {TOPIC} {FILE}
                              {EMAIL} {PHONE} {TICKET} {URL} {VERSION} {IDENT} {HOST} {DEPT}
                              {HEADING} {CAPWORD} {IP}
  ((a|b|c))                   one of the literal alternatives
  <<text:TYPE>>               literal entity (TYPE one of PER LOC ORG ADDR)
  \\n                          a line break

Each genre is a list; gen_data.py holds out every HOLDOUT_EVERY-th template of every genre
(never seen in training) to measure generalisation to new sentence shapes.
"""

REQUESTS = r"""
Can you ((write|draft|compose)) a ((polite|short|friendly|formal)) email to {PER} about the ((delayed shipment|contract renewal|budget review|offsite))?
Please summarise this ((thread|conversation|document)) for {FIRST} before the {WEEKDAY} meeting.
Help me write a thank-you note to {PER} for hosting us in {CITY}.
Translate this message for my colleague {PER}, who only reads ((German|French|Spanish|Italian|Portuguese|Dutch|Polish)).
I need a cover letter for a {JOB} position at {ORG}.
Write a LinkedIn recommendation for {PER}, who worked with me at {ORG} for {N} years.
Draft a reply to {FIRST} saying we can't make it to {CITY} on {DATE}.
Could you rewrite this so it sounds less harsh? It's for {FIRST}.
What's the best way to get from {CITY} to {CITY} by train?
Plan a {N}-day trip to {COUNTRY} for me and {FIRST}, starting in {CITY}.
I'm flying from {CITY} to {CITY} on {DATE}; what should I pack?
Make a packing list for a hiking trip in {REGION}.
Explain to {FIRST} why the {TECH} call is failing, in simple terms.
My landlord, {PER}, wants to raise the rent at {ADDR}. Can you help me respond?
Write a complaint letter to {ORG} about my order being sent to {FULLADDR} instead of my new flat.
Can you check this invoice from {ORG}? The billing address is {FULLADDR}.
Summarise the attached contract between {ORG} and {ORG}.
Give me talking points for my call with {PER} from {ORG} tomorrow.
I have an interview with {PER} at {ORG} next {WEEKDAY}. What questions should I ask?
Write a short bio for {PER}, a {JOB} based in {CITY}.
Suggest a birthday message for my sister {FIRST}.
Can you make this paragraph more concise? {FIRST} said it's too long.
Write a toast for {FIRST} and {FIRST}'s wedding in {CITY}.
Help me prepare a presentation for {ORG} about {TOPIC}.
Compare the cost of living in {CITY} and {CITY}.
Which neighbourhoods in {CITY} are good for families?
Recommend some restaurants near {ADDR}, {CITY}.
Is it safe to drive from {CITY} to {CITY} in {MONTH}?
Write an out-of-office reply: I'm away until {DATE}; contact {PER} for anything urgent.
Create a meeting agenda for {WEEKDAY} with {PER}, {PER} and {PER}.
I need to tell {FIRST} that the project is cancelled. How do I say it kindly?
Proofread this letter to {ORG}'s ((HR|legal|support|billing)) department.
Can you turn these notes from my call with {FIRST} into action items?
Fill in this form for {PER}, date of birth withheld, address {FULLADDR}.
Write a reference letter for {PER}, who interned at {ORG} in {CITY}.
Ask {ORG} to update my address to {FULLADDR}.
Help me negotiate my salary with {FIRST}, my manager at {ORG}.
Generate a short poem for {FIRST}'s retirement party.
Draft a press release announcing that {ORG} is opening an office in {CITY}.
Explain the difference between {TECH} and {TECH} like I'm five.
Write a Python function that ((parses|validates|formats)) ((dates|phone numbers|postcodes|invoices)).
Summarise this article about {TOPIC} in three bullet points.
Give me a recipe for dinner tonight using rice, beans and spinach.
How do I tell {FIRST} I'm quitting without burning bridges?
We're meeting {PER} at the {CITY} office at {TIME}; draft a reminder.
Please find a time next week when {FIRST}, {FIRST} and I are all free.
Rewrite this bug report so {ORG}'s support team understands it.
Write an apology to {PER} for missing the deadline on {DATE}.
Help me plan my move from {CITY} to {CITY} in {MONTH}.
What documents do I need to register my business in {COUNTRY}?
My grandmother {PER} lives at {FULLADDR}. How can I send her flowers from {COUNTRY}?
Can you find flights from {CITY} to {CITY} for {FIRST} and me?
Please reply to {FIRST} and cc {PER} with the updated figures.
Write a welcome message for our new hire {PER}, who joins the {DEPT} team on {WEEKDAY}.
Is {ORG} a good company to work for as a {JOB}?
Tell me about the history of {CITY}.
What is the capital of {COUNTRY}?
What's the weather usually like in {REGION} in {MONTH}?
Convert this table of sales by region ({REGION}, {REGION}, {REGION}) into a chart description.
Help me write a eulogy for my uncle {PER}, who grew up in {CITY}.
I'm {PER} and I need help writing my CV.
My name is {PER}; can you help me dispute a charge from {ORG}?
hey can u help me write a msg to {FIRST} about friday
pls summarize this for {FIRST} thx
Could you explain this error to me? My colleague {FIRST} thinks it's a {TECH} issue.
Draft a message to the landlord, Mr. {LAST}, about the broken heating at {ADDR}.
Write a formal letter to Dr. {LAST} asking to reschedule my appointment to {DATE}.
Send Prof. {LAST} a polite reminder about the recommendation letter.
Ask Ms. {LAST} whether the {MONTH} invoice was paid.
Draft an email to Mrs. {LAST} confirming the delivery to {FULLADDR}.
I want to surprise {FIRST} with a weekend in {CITY}. Ideas?
Which is better for a {JOB}: {CITY} or {CITY}?
List five facts about {COUNTRY} for my daughter {FIRST}'s school project.
Write a cold outreach email to {PER}, VP of {DEPT} at {ORG}.
Summarise the feedback {FIRST} left on the {PRODUCT} mock-ups.
Create a job ad for a {JOB} at {ORG} in {CITY}.
Help me reply to {PER}'s question about our {PRODUCT} integration.
I'm writing a novel set in {CITY}. The hero is called {PER}. Give me chapter ideas.
Correct the grammar: "{FIRST} and me went to {CITY} last {WEEKDAY}."
Please check whether {PER} is copied on the thread with {ORG}.
Turn this into a tweet: {ORG} just opened its first store in {CITY}!
""".strip().splitlines()

EMAILS = r"""
Hi {FIRST1},\n\nThanks for the call today. As discussed, I'll send the revised quote by {WEEKDAY}.\n\nBest,\n{PER2}
Dear Mr. {LAST1},\n\nPlease find attached the signed agreement between {ORG} and your firm.\n\nKind regards,\n{PER2}\n{JOB}, {ORG}
Dear Ms. {LAST1},\n\nI am writing to confirm my new address: {FULLADDR}.\n\nSincerely,\n{PER2}
Hello {FIRST1},\n\n{FIRST2} mentioned you're moving to {CITY}. Let me know if you need contacts there!\n\nCheers,\n{FIRST3}
Hi team,\n\n{PER1} will be covering for me while I'm out. Please direct questions to her.\n\nThanks,\n{FIRST2}
Hi all,\n\nQuick reminder that the offsite in {CITY} starts on {DATE}. {FIRST1} has the hotel details.\n\n{FIRST2}
Dear {PER1},\n\nThank you for your application to {ORG}. We would like to invite you to an interview in our {CITY} office.\n\nBest regards,\n{PER2}\nTalent Acquisition
{FIRST1},\n\nCan you send me the numbers for {REGION} before {TIME}?\n\nThx\n{FIRST2}
Subject: Invoice {TICKET}\n\nDear {PER1},\nYour invoice from {ORG} is attached. Payment is due on {DATE}.\n\nAccounts Team
Subject: Re: delivery address\n\nHi {FIRST1}, please ship to {FULLADDR} instead. Thanks! {FIRST2}
Subject: Welcome {FIRST1}!\n\nEveryone, please welcome {PER1}, who joins us from {ORG} as our new {JOB}.
Hi {FIRST1},\nI hope you're well. I'm reaching out on behalf of {ORG} regarding our partnership.\nBest,\n{PER2}
From: {PER1} <{EMAIL}>\nTo: {PER2}\nSubject: {HEADING}\n\nSee notes below.
Dear Dr. {LAST1},\n\nI'd like to book a follow-up appointment for my son {FIRST2}.\n\nRegards,\n{PER3}
Hi {FIRST1}, thanks for sending this over. I'll loop in {PER2} from {DEPT}.
Hey {FIRST1} - are we still on for lunch in {CITY} on {WEEKDAY}? {FIRST2}
Good morning {FIRST1},\n\nAttached is the report for {MONTH}. Let me know if you have questions.\n\nBest wishes,\n{FIRST2}
Dear Sir or Madam,\n\nI am writing to complain about the service at your branch at {FULLADDR}.\n\nYours faithfully,\n{PER1}
Hi {FIRST1} and {FIRST2},\n\nI've booked the meeting room for {TIME}. {PER3} from {ORG} will join remotely.\n\n{FIRST4}
Dear {ORG} team,\n\nMy package was supposed to arrive at {ADDR} but tracking says it's in {CITY}.\n\n{PER1}
Hi {FIRST1},\n\nJust following up on my email from {WEEKDAY}. Any update on the contract?\n\nThanks,\n{FIRST2}
Thanks {FIRST1}! Forwarding to {PER2} for approval.
{FIRST1}, could you review the draft before it goes to {ORG}? Thanks, {FIRST2}
Dear Professor {LAST1},\n\nMy name is {PER2} and I am a student at {ORG}.\n\nRespectfully,\n{FIRST2}
Hi {FIRST1}, I'm out of office until {DATE}. For urgent matters contact {PER2} at {EMAIL}.
Dear Mrs. {LAST1}, your appointment with Dr. {LAST2} is confirmed for {DATE} at {TIME}.
Dear hiring manager,\n\nI was excited to see the {JOB} opening at {ORG}.\n\nSincerely,\n{PER1}\n{CITY}, {COUNTRY}
Hi {FIRST1}, congratulations on the promotion! {FIRST2} and I are thrilled for you.
Hello,\n\nPlease update the shipping address for order {TICKET} to:\n{PER1}\n{FULLADDR}\n\nThank you
Hi {FIRST1},\n\nThe {CITY} office will be closed on {DATE} for maintenance.\n\nFacilities
Dear {FIRST1},\n\nIt was lovely to meet you at the conference in {CITY}. I hope we can work together soon.\n\nWarm regards,\n{PER2}\n{ORG}
Re: {HEADING}\n\n{FIRST1} - see my comments inline. {FIRST2}
Hi {FIRST1}, the courier will pick up the samples from {ADDR} tomorrow morning.
Hello {PER1},\nYour subscription with {ORG} renews on {DATE}.\nThe {ORG} Team
Dear Mr. {LAST1} and Ms. {LAST2},\n\nThank you for choosing {ORG} for your stay in {CITY}.\n\nReception
Hi {FIRST1},\n\nCould you share the slides from your talk at {ORG}? {FIRST2} missed it.\n\nThanks!
Hey {FIRST1},\nfyi {FIRST2} is leaving {ORG} at the end of {MONTH}.\n-{FIRST3}
Dear {FIRST1},\n\nWe regret to inform you that the position at our {CITY} branch has been filled.\n\n{ORG} Recruiting
Subject: Visit to {CITY}\n\nHi {FIRST1}, {PER2} and I will arrive on {DATE}. Could you recommend a hotel near {ADDR}?
Hi {FIRST1}, just a heads-up that {PER2} from {ORG} called about the {MONTH} invoice.
Best regards,\n{PER1}\n{JOB}\n{ORG}\n{FULLADDR}\nTel: {PHONE}
Kind regards,\n\n{PER1} | {JOB} | {ORG}\n{ADDR}, {CITY}
--\n{PER1}\n{ORG}\n{PHONE}
Sent from my iPhone\n\nOn {DATE}, {PER1} wrote:\n> Are we still meeting in {CITY}?
On {WEEKDAY}, {PER1} <{EMAIL}> wrote:\n> Thanks {FIRST2}, looks good to me.
""".strip().splitlines()

TICKETS = r"""
Ticket {TICKET}: Customer {PER} reports that the {PRODUCT} app crashes on login.
[{TICKET}] Reported by {PER}: cannot export {FILE} since upgrading to {VERSION}.
Customer {PER} ({EMAIL}) called about a double charge on their {ORG} card.
Assigned to {FIRST}. Priority: high. Customer located in {CITY}, {COUNTRY}.
Escalated by {PER} from {DEPT}: the {TECH} integration with {ORG} is down.
Bug: address field truncates long entries such as "{FULLADDR}".
Reporter: {PER}\nAssignee: {PER}\nComponent: {TECH}\nSummary: timeout when calling {HOST}
Support request from {ORG}: their admin {PER} can't reset the password.
User {FIRST} says the delivery to {ADDR} was marked as delivered but never arrived.
Refund approved for {PER}, order {TICKET}, shipping to {FULLADDR}.
Incident {TICKET}: outage in the {CITY} data centre, on-call engineer {PER}.
Customer {PER} from {CITY} requests GDPR deletion of all personal data.
Please call back {PER} on {PHONE} regarding the warranty claim.
Returned item received at {ORG} warehouse, {FULLADDR}. Processed by {FIRST}.
Steps to reproduce (reported by {FIRST}): open {PRODUCT}, click Export, choose {FILE}.
Follow-up: {PER} confirmed the fix works on {PRODUCT} {VERSION}.
Closing {TICKET} - {FIRST} from {ORG} confirmed resolution.
Complaint: technician {PER} arrived late to {ADDR}.
The customer, {PER}, wants the invoice addressed to {ORG}, {FULLADDR}.
Duplicate of {TICKET}, originally reported by {PER}.
VIP customer {PER} ({ORG}) - handle with care.
Need approval from {PER} before we ship to {COUNTRY}.
Customer moved from {CITY} to {CITY}; update billing address to {FULLADDR}.
{PER} (account {NUM}) reports login failures since {WEEKDAY}.
Internal note: {FIRST} already spoke with {PER} at {ORG}; waiting on their reply.
Priority: P2 | Owner: {PER} | Region: {REGION} | Status: open
Case opened by {PER} on {DATE}: card declined at {ORG} in {CITY}.
Issue: {PRODUCT} shows wrong time zone for users in {COUNTRY}. Reported by {FIRST} {LAST}.
Customer says: "My name is {PER} and I live at {FULLADDR}, please stop sending me letters."
Agent {FIRST}: offered voucher; customer {PER} accepted.
{PER} is unable to upload {FILE}; error {ERRCODE}.
Replacement device shipped to {PER}, {ADDR}, {CITY}.
Please verify identity of caller claiming to be {PER} from {ORG}.
Warranty claim {TICKET}: purchased at {ORG} in {CITY} on {DATE}.
SLA breach on {TICKET}; notify {PER} and {PER}.
""".strip().splitlines()

LOGS = r"""
{DATE} {TIME} INFO user={IDENT} action=login ip={IP} city={CITY}
[{TIME}] WARN Payment failed for customer "{PER}" (id={NUM})
{DATE}T{TIME}Z ERROR shipping: invalid address "{FULLADDR}" for order {NUM}
INFO  Sent welcome email to {PER} <{EMAIL}>
DEBUG geo lookup: {IP} -> {CITY}, {COUNTRY}
2024-{N}-{N} {TIME} [worker-{N}] INFO Processing invoice for {ORG}
level=error msg="user not found" name="{PER}" tenant="{ORG}"
{TIME} audit: {PER} changed role of {PER} to admin
[{DATE} {TIME}] customer.updated name={PER} address="{ADDR}" city={CITY}
ERROR {ERRCODE} while syncing contacts for {PER}: timeout after {N}s
WARN: login from unusual location ({CITY}, {COUNTRY}) for account {EMAIL}
{DATE} {TIME} kernel: usb {N}-{N}: new high-speed USB device number {N}
INFO Starting {PRODUCT} {VERSION} on {HOST}
{TIME} INFO GET /api/v1/users/{NUM} 200 {N}ms
ERROR {TECH} connection refused: {HOST}:{NUM}
[{TIME}] DEBUG cache miss key=session:{NUM}
{DATE} {TIME} sshd[{NUM}]: Accepted publickey for deploy from {IP} port {NUM}
INFO Shipment {TICKET} dispatched from {CITY} to {FULLADDR}
WARN Retrying webhook to {ORG} ({URL}), attempt {N}/5
{TIME} booking confirmed: guest={PER}, hotel={ORG}, city={CITY}, nights={N}
E {DATE} {TIME} {IDENT} failed: {TECH} error
[INFO] Job {IDENT} finished in {N}.{N}s
{DATE} {TIME} CRITICAL disk usage {PCT} on {HOST}
ts={DATE}T{TIME} level=info user="{PER}" event=password_reset
INFO  [{IDENT}] employee {PER} assigned to {DEPT} ({CITY})
{TIME} - delivery attempt failed at {ADDR}, recipient {PER} not home
AUDIT {DATE} {PER} exported {N} records from {PRODUCT}
[{DATE}] order {NUM}: {PER}, {FULLADDR}, total {MONEY}
{TIME} INFO Scheduled job "{IDENT}" next run {WEEKDAY} {TIME}
WARN deprecated flag --{IDENT} used by {HOST}
""".strip().splitlines()

CODE = r"""
# TODO({FIRST}): handle the {TECH} timeout properly
// FIXME: {FIRST} says this breaks for users in {COUNTRY}
# Author: {PER} <{EMAIL}>
/* Copyright {YEAR} {ORG}. All rights reserved. */
customer = Customer(name="{PER}", city="{CITY}")
user = {"name": "{PER}", "company": "{ORG}"}
assert format_name("{FIRST}", "{LAST}") == "{LAST}, {FIRST}"
INSERT INTO customers (name, city) VALUES ('{PER}', '{CITY}');
SELECT * FROM orders WHERE customer_name = '{PER}' AND country = '{COUNTRY}';
def {IDENT}(user):\n    # {FIRST} asked for this in the {MONTH} review\n    return user.{IDENT}
const address = "{FULLADDR}";
test("sends invoice to {ORG}", () => {\n  expect(send("{PER}")).toBe(true);\n});
// Reviewed-by: {PER}
Signed-off-by: {PER} <{EMAIL}>
Co-authored-by: {PER} <{EMAIL}>
fix({IDENT}): handle empty {TECH} response (reported by {FIRST})
git commit -m "Merge branch '{IDENT}' of {URL}"
# Contact {PER} before changing the {TECH} config
let owner = "{PER}"; // temporary, remove before release
@author {PER}
* Maintainer: {PER} ({ORG})
logger.info("Welcome back, %s", user)  # e.g. {FIRST}
mock_user = User(first_name="{FIRST}", last_name="{LAST}", address="{ADDR}")
geo.lookup("{CITY}")  # returns coordinates for {CITY}, {COUNTRY}
if user.country == "{COUNTRY}":\n    apply_vat(order)
def test_{IDENT}():\n    assert {IDENT}({NUM}) is not None
fn {IDENT}(input: &str) -> Result<String, Error> {\n    // {TECH} parsing\n}
import {IDENT}\nfrom {IDENT} import {IDENT}
for (let i = 0; i < {N}; i++) { total += items[i].price; }
# NOTE: {ORG} requires the {TECH} header on every request
// {FIRST} {LAST}: please double-check this regex
seed_data = [("{PER}", "{CITY}"), ("{PER}", "{CITY}")]
echo "Deploying to {HOST} as $USER"
export {IDENT}={NUM}
docker run -e TZ=Europe/Berlin -p {NUM}:{NUM} {IDENT}
""".strip().splitlines()

CHAT = r"""
{FIRST}: are you joining the call?\n{FIRST}: yes, 2 min
[{TIME}] {FIRST}: did {FIRST} send the slides?
<{FIRST}> anyone know if {ORG} replied?
user: my sister {FIRST} is visiting from {CITY} next week, any ideas for things to do?
User: I work at {ORG} and my boss {PER} keeps scheduling meetings at {TIME}.
me and {FIRST} are thinking of moving to {CITY}. thoughts?
lol {FIRST} just told me she got into {ORG}
omg {FIRST} is back from {COUNTRY}!!
can you remind me to call {FIRST} tomorrow
{FIRST} says hi from {CITY}
did you hear {PER} is leaving {ORG}?
ok so {FIRST} wants to meet at {ADDR} at {TIME}
we're staying with {FIRST}'s parents in {REGION} over the holidays
my friend {PER} recommended this app
my neighbour {FIRST} keeps parking in front of {ADDR}
I met {PER} at a conference in {CITY} and want to follow up.
{FIRST} and I are planning a road trip through {REGION}.
just landed in {CITY}, text {FIRST} pls
My daughter {FIRST} starts at {ORG} in {MONTH}.
My husband {FIRST} thinks we should buy a house in {CITY}; I prefer {CITY}.
My wife {FIRST} and I are celebrating our anniversary in {CITY}.
My son {FIRST} got a job offer from {ORG}.
My boss {FIRST} {LAST} asked me to prepare the quarterly numbers.
Can you help me write a message to {FIRST}? We had a fight.
I'm {FIRST}, nice to meet you!
This is {PER} from {ORG}, calling about your application.
It's {FIRST} again - any news on my refund?
Tell {FIRST} I said thanks.
Ask {FIRST} if {FIRST} can cover my shift on {WEEKDAY}.
{FIRST} from accounting says the {MONTH} numbers are off.
Thanks {FIRST}!
Thank you, {PER}.
Cheers {FIRST}, see you in {CITY}.
Congrats {FIRST}!!! 🎉
@{FIRST} can you take a look?
@{FIRST} @{FIRST} standup in 5
ping {FIRST} when you're free
Hey {FIRST}, quick question about {TECH}.
{FIRST}, {FIRST}, and {FIRST} are on the {DEPT} rota this week.
I live at {FULLADDR}, is that within the delivery area?
I just moved to {ADDR}, {CITY}. Where's the nearest pharmacy?
Grandma {FIRST} turns 90 on {DATE}!
Uncle {FIRST} lives in {CITY} now.
we had dinner with {PER} and {PER} last night
Is {ORG} hiring in {CITY}?
I'm in {CITY} until {WEEKDAY}, then {CITY}.
Assistant: Sure, {FIRST}! Here's a draft.
Q: who is {PER}?\nA: a {JOB} at {ORG}.
{FIRST} ({ORG}): we can ship to {COUNTRY} from {MONTH}.
> {FIRST} wrote: see you at {ADDR}
any idea why {FIRST}'s laptop can't connect to {TECH}?
tbh {FIRST} was right about {PRODUCT}
brb, {FIRST} is calling
{FIRST} is typing...
Dinner at {FIRST} and {FIRST}'s place, {ADDR}, {TIME}
I'm flying to {COUNTRY} with {FIRST} on {WEEKDAY}.
{FIRST} said the {CITY} team is hiring a {JOB}.
My doctor, Dr. {LAST}, said I should rest for a week.
Our teacher Mrs. {LAST} assigned an essay about {TOPIC}.
I spoke to Mr. {LAST} at the bank in {CITY}.
Coach {LAST} wants practice moved to {TIME}.
""".strip().splitlines()

NARRATIVE = r"""
{PER} was born in {CITY} and studied at {ORG}.
{PER} joined {ORG} in {YEAR} as a {JOB}.
After leaving {ORG}, {PER} founded a startup in {CITY}.
{PER}, a {JOB} from {CITY}, won the award last year.
According to {PER}, the merger with {ORG} will close in {MONTH}.
{PER}, CEO of {ORG}, announced layoffs on {WEEKDAY}.
In {YEAR}, {PER} moved to {COUNTRY} to work for {ORG}.
{ORG} has appointed {PER} as its new {JOB}.
{PER} and {PER} co-wrote the report on {TOPIC}.
The study, led by {PER} at {ORG}, looked at {TOPIC}.
{LAST} said the company would expand into {REGION}.
"We are proud of the team," said {PER}, head of {DEPT} at {ORG}.
Police in {CITY} are looking for {PER}, last seen near {ADDR}.
{PER} grew up in {REGION} before moving to {CITY}.
{ORG} opened a new factory near {CITY}, {REGION}.
Officials in {COUNTRY} met representatives of {ORG} on {WEEKDAY}.
{PER} will speak at the {CITY} summit on {TOPIC}.
The mayor of {CITY}, {PER}, cut the ribbon on the new bridge.
{ORG} shares rose {PCT} after {PER} resigned.
{PER}'s novel is set in {CITY} during the war.
{PER} ran the {CITY} marathon in under four hours.
Born in {CITY} in {YEAR}, {PER} is a {JOB} and writer.
{PER} (born {YEAR}) is a {COUNTRY}-based {JOB}.
The conference in {CITY} was organised by {ORG} and {ORG}.
{ORG}, headquartered in {CITY}, employs about {NUM} people.
{ORG} is moving its headquarters from {CITY} to {CITY}.
Residents of {CITY} protested outside {ORG} on {WEEKDAY}.
{PER} married {PER} in {CITY} in {YEAR}.
{FIRST} {LAST} has been a {JOB} at {ORG} since {YEAR}.
{LAST} told reporters that {ORG} had done nothing wrong.
{PER} met {LAST}'s family in {COUNTRY}.
A spokesperson for {ORG} declined to comment.
Flooding hit {REGION} again this week, and {CITY} declared an emergency.
Travellers between {CITY} and {CITY} faced delays.
{ORG} and {ORG} signed a supply agreement in {CITY}.
Her father, {PER}, was a {JOB} in {CITY}.
His mother, {FIRST}, still lives in {REGION}.
{PER} sued {ORG} over unpaid wages.
The court in {CITY} ruled in favour of {PER}.
{PER}'s team at {ORG} built the prototype in {N} weeks.
Last {MONTH}, {PER} and {PER} hiked across {REGION}.
{PER}, who lives at {FULLADDR}, won the local lottery.
The former {JOB} of {ORG}, {PER}, died on {DATE} in {CITY}.
""".strip().splitlines()

AMBIGUOUS = r"""
{AMBLAST} signed the bill on {WEEKDAY}.
{AMBLAST} said the vote would happen next week.
Senator {AMBLAST} voted against the proposal.
{AMBPER} {LAST} signed the contract.
{AMBPER} called to say she's running late.
{AMBPER} called to say he's running late.
Ask {AMBPER} to send the report.
Thanks {AMBPER}, that was really helpful!
Hi {AMBPER}, are you free at {TIME}?
{AMBPER} from {DEPT} approved the budget.
My colleague {AMBPER} is on holiday until {DATE}.
I had coffee with {AMBPER} {AMBLAST} yesterday.
{AMBPER} {AMBLAST} is the new {JOB}.
Please forward this to {AMBPER} {LAST}.
She moved to {AMBLOC} last year.
We're opening an office in {AMBLOC}.
I'm flying to {AMBLOC} on {WEEKDAY}.
The weather in {AMBLOC} is lovely in {MONTH}.
He grew up in {AMBLOC} but lives in {CITY} now.
Our {AMBLOC} branch is closed today.
How far is {AMBLOC} from {CITY}?
Hotels in {AMBLOC} are expensive this time of year.
The flight from {AMBLOC} to {CITY} was delayed.
{AMBPER} moved to {AMBLOC} in {MONTH}.
{AMBPER} and {AMBPER} visited {AMBLOC} together.
{AMBPER} lives in {AMBLOC}.
My friend {AMBPER} is from {AMBLOC}.
{AMBLAST} flew to {AMBLOC} for the talks.
{AMBLAST} met with officials in {AMBLOC}.
President {AMBLAST} visited {COUNTRY} in {YEAR}.
Detective {AMBLAST} interviewed the witness in {AMBLOC}.
<<Paris Hilton:PER>> stayed at a hotel in <<Paris:LOC>>.
<<Paris:LOC>> is beautiful in the spring.
I met <<Paris:PER>> at the party; she says hi.
<<Georgia:PER>> called; she'll be in <<Georgia:LOC>> until {WEEKDAY}.
<<Jordan:PER>> flew to <<Jordan:LOC>> for a conference.
<<Florence:PER>> loved her trip to <<Florence:LOC>>.
<<Washington:LOC>> is the capital of <<the United States:LOC>>, but <<Washington State:LOC>> is on the west coast.
<<George Washington:PER>> was the first president.
<<Denzel Washington:PER>> starred in the film.
<<Sydney:PER>> moved to <<Sydney:LOC>> for work.
<<Austin:PER>> is driving to <<Austin:LOC>> tomorrow.
<<Victoria:PER>> works at the <<Victoria:LOC>> office.
<<Charlotte:PER>> and I drove to <<Charlotte:LOC>>.
<<Dallas:PER>> said the <<Dallas:LOC>> trip is cancelled.
<<Will:PER>> said he will send it later.
<<Will:PER>>, will you check the numbers?
<<Mark:PER>> will mark the tests tomorrow.
<<Grace:PER>> asked for a grace period on the payment.
<<April:PER>> said the deadline is in April.
May I ask <<May:PER>> to join the call?
We start in June; <<June:PER>> will lead the project.
<<Hope:PER>> is leading the workshop; I hope it goes well.
<<Bill:PER>> sent the bill to accounting.
<<Frank:PER>> gave frank feedback on the draft.
<<Rose:PER>> bought a rose for her mother.
<<Summer:PER>> is spending the summer in {CITY}.
<<Jack:PER>> needs a car jack.
<<Faith:PER>> has faith in the new plan.
<<Dawn:PER>> left at dawn.
<<Sunny:PER>> said it will be sunny on {WEEKDAY}.
<<Ruby:PER>> is learning Ruby on Rails.
<<Amber:PER>> saw the amber warning light.
<<Penny:PER>> didn't spend a penny.
<<Chase:PER>> wants to chase the invoice.
<<Hunter:PER>> is a bounty hunter in the novel.
<<Baker:PER>> works as a baker.
Mr. <<Cook:PER>> is a great cook.
Ms. <<Price:PER>> asked about the price.
Mr. <<Young:PER>> is not young anymore.
Dr. <<King:PER>> will see you now.
Mrs. <<White:PER>> painted the room white.
Officer <<Black:PER>> arrested the suspect.
Judge <<Stone:PER>> dismissed the case.
Professor <<Fisher:PER>> studies fisheries.
<<Lincoln:PER>> visited <<Lincoln:LOC>> last summer.
<<Chelsea:PER>> lives in <<Chelsea:LOC>>.
<<Phoenix:PER>> flew to <<Phoenix:LOC>>.
<<Jackson:PER>> said <<Jackson:LOC>> is a nice town.
<<India:PER>> is moving to <<India:LOC>> for her PhD.
<<Chad:PER>> is from <<Chad:LOC>>.
<<Nancy:PER>> studied in <<Nancy:LOC>> for a year.
<<Sofia:PER>> lives in <<Sofia:LOC>> with her family.
<<Virginia:PER>> grew up in <<Virginia:LOC>>.
<<Savannah:PER>> booked a hotel in <<Savannah:LOC>>.
Will {LAST} be at the meeting?
Can {AMBPER} mark the invoices as paid?
I'll be in {AMBLOC} from {DATE} to {DATE}.
Send it to {AMBPER} in {AMBLOC}.
{AMBLOC} is {N} hours from {CITY} by car.
{AMBPER}'s flight to {AMBLOC} leaves at {TIME}.
the {AMBLOC} office needs a new printer
{AMBPER} said: "meet me in {AMBLOC}"
I spoke with {AMBPER} about the {MONTH} release.
{AMBPER} will join in {MONTH}.
In {MONTH}, {AMBPER} will take over the {DEPT} team.
""".strip().splitlines()

ADDRESSES = r"""
Please send the package to {FULLADDR}.
Ship to: {FULLADDR}
Address: {ADDR}, {CITY}
My new address is {FULLADDR}.
We moved to {ADDR} last month.
The meeting is at our office, {FULLADDR}.
Deliver to {PER}, {FULLADDR}.
Billing address: {FULLADDR}\nShipping address: same as billing
Return address: {ORG}, {FULLADDR}
The flat at {ADDR} has two bedrooms and a balcony.
Is there parking near {ADDR}?
The party is at {ADDR} - bring snacks!
Please collect the keys from {ADDR} before {TIME}.
Property listing: {ADDR}, {CITY} - {N} bedrooms, {MONEY}
The accident happened outside {ADDR} at around {TIME}.
Registered office: {FULLADDR}
Venue: {ORG}, {ADDR}, {CITY}
Pick-up point: {ADDR}
I'm at {ADDR}, can you send a taxi?
Correspondence address\n{PER}\n{FULLADDR}
{PER}\n{ADDR}\n{CITY}\n{COUNTRY}
Mailing address: {FULLADDR}, {COUNTRY}
The clinic is located at {FULLADDR}.
You can find us at {ADDR}, just next to the station.
Our warehouse moved from {ADDR} to {ADDR}.
Send the invoice to {ORG}, attn. {PER}, {FULLADDR}.
Home: {ADDR}. Work: {ORG}, {CITY}.
name,address\n{PER},"{FULLADDR}"
Lieferadresse: {FULLADDR}
Adresse : {FULLADDR}
Dirección: {FULLADDR}
Indirizzo: {FULLADDR}
Adres: {FULLADDR}
Endereço: {FULLADDR}
Adres dostawy: {FULLADDR}
The concert hall on {ADDR} reopens in {MONTH}.
Meet me at {ADDR} at {TIME}.
The burglary at {ADDR} was reported on {WEEKDAY}.
Apartment for rent: {ADDR}, close to the city centre.
If undeliverable, return to {FULLADDR}.
""".strip().splitlines()

ORGS = r"""
I work for {ORG}.
{ORG} announced record profits this quarter.
We signed a contract with {ORG} last week.
I have an offer from {ORG} and another from {ORG}.
{ORG} acquired {ORG} for {MONEY}.
Our supplier, {ORG}, is late again.
Has anyone dealt with {ORG}'s customer service?
The report was commissioned by {ORG}.
She left {ORG} to join {ORG}.
{ORG} is hiring {JOB}s in {CITY}.
Our account manager at {ORG} is {PER}.
The grant comes from {ORG}.
We're partnering with {ORG} on {TOPIC}.
{ORG} sued {ORG} over a patent.
I'm applying to {ORG} and {ORG} for my master's.
The audit by {ORG} found no issues.
{ORG} has offices in {CITY}, {CITY} and {CITY}.
Ticket prices at {ORG} went up again.
Is {ORG} a reliable bank?
I bank with {ORG} but want to switch.
We bought our laptops from {ORG}.
The contract with {ORG} ends in {MONTH}.
Can I cancel my {ORG} subscription online?
{ORG} fined {ORG} for breaching {TECH} rules.
A delegation from {ORG} visited our {CITY} plant.
I got my degree from {ORG}.
My insurance is with {ORG}.
{ORG}'s new CEO starts on {DATE}.
We use {PRODUCT} at {ORG}.
{ORG} runs its platform on {PRODUCT}.
The invoice from {ORG} is overdue.
Our competitors include {ORG}, {ORG} and {ORG}.
Vendor: {ORG}\nAmount: {MONEY}\nDue: {DATE}
Employer: {ORG}
Company name: {ORG}
Client: {ORG} ({CITY})
{ORG} (formerly {ORG}) rebranded in {YEAR}.
The {ORG} press office confirmed the news.
I'm meeting investors from {ORG} on {WEEKDAY}.
Funding round led by {ORG}.
My flight with {ORG} was cancelled.
The hospital, {ORG}, has a new cancer wing.
{PER} represents {ORG} in the negotiations.
apple pie recipe for {ORG} bake sale
""".strip().splitlines()

NEGATIVES = r"""
Can you summarise this article about {TOPIC}?
{WEEKDAY}'s meeting moved to {TIME}.
Please fix the bug in the {TECH} parser.
What is the difference between {TECH} and {TECH}?
How do I install {PRODUCT} on {PRODUCT}?
Explain {TECH} in simple terms.
Why does my {PRODUCT} container keep restarting?
Write a unit test for this function.
Convert this {TECH} to {TECH}.
The {ACRO} returns a 500 error when the payload is empty.
Our {ACRO} and {ACRO} costs doubled in {MONTH}.
The deadline is {DATE}.
Let's meet on {WEEKDAY} at {TIME}.
The quarterly review is scheduled for {MONTH}.
{MONTH} was our best month so far.
Sales were up {PCT} in {MONTH} compared with {MONTH}.
{HEADING}
{HEADING}:
## {HEADING}
### {HEADING}\n- {TECH} migration\n- update docs
**{HEADING}**
{HEADING}\n\n- Reviewed the {TECH} design\n- Agreed on the {MONTH} timeline
Please review the pull request before {WEEKDAY}.
The {JOB} approved the request.
We are hiring a {JOB}.
The new {JOB} starts on {WEEKDAY}.
Ask the {JOB} to sign the form.
Our {JOB} is on leave.
Contact the {DEPT} team for access.
{DEPT} needs the figures by {TIME}.
The {DEPT} department moved to the third floor.
Upgrade {PRODUCT} to {VERSION} before running the migration.
Is {PRODUCT} better than {PRODUCT} for a small team?
{PRODUCT} keeps freezing when I open large files.
I switched from {PRODUCT} to {PRODUCT} and never looked back.
How do I export a {PRODUCT} sheet as {ACRO}?
Set the {IDENT} flag to true in the config file.
The function {IDENT} returns None when the list is empty.
Rename {IDENT} to {IDENT} for consistency.
Why is {IDENT} undefined?
Call {IDENT}() before {IDENT}().
{IDENT} = {IDENT}.{IDENT}({NUM})
Error: {TECH} failed with exit code {N}.
Traceback (most recent call last): {TECH}
{ERRCODE}: service unavailable
HTTP {NUM} Not Found
Thanks for your help!
Thank you so much, that worked!
Sounds good, let's do it.
Could you make it shorter?
Please make the tone more formal.
Can you add a conclusion?
What does {ACRO} stand for?
Is {ACRO} the same as {ACRO}?
Give me three ideas for a team-building event.
Write a haiku about autumn.
How many calories are in a banana?
What's a good name for a cat?
Summarise the main points in bullet form.
Explain the plot of the film without spoilers.
Translate "good morning" into five languages.
Happy Birthday!
Happy New Year to everyone!
Merry Christmas and a happy new year.
Good morning, everyone.
See you on {WEEKDAY}.
Let me know if you have any questions.
Looking forward to hearing from you.
Best regards
Kind regards,\nThe Team
Action items: update the {TECH} docs, ping {DEPT}, close old tickets.
TODO: refactor the {IDENT} module.
NOTE: this endpoint is deprecated.
WARNING: do not edit this file by hand.
IMPORTANT: back up your data before upgrading.
The {ACRO} spec says the field is optional.
{CAPWORD} the changes and run the tests again.
{CAPWORD}: {TECH} timeout after {N} seconds
{CAPWORD} - please check the logs.
The Board will vote on the budget in {MONTH}.
The Committee meets every {WEEKDAY}.
The Company shall indemnify the Client against all claims.
The Employee agrees to the terms in Section {N}.
The Parties agree that this Agreement is governed by the laws in force.
The Customer may terminate the Service with {N} days' notice.
Chapter {N}: The Beginning
Part {N} - Getting Started
Figure {N}: latency by request size.
Table {N} shows the results.
Step {N}: open Settings and click Advanced.
Go to Settings > Privacy > Location Services.
Click Save, then Restart.
Press Ctrl+Shift+P and type Reload Window.
Monday, Tuesday and Wednesday are fully booked.
Tuesday works better for me.
Every Friday we deploy to production.
The sale ends on Sunday.
January is always slow for us.
We close early on Christmas Eve.
Easter Monday is a public holiday.
Black Friday sales start at midnight.
Q3 revenue: {MONEY}
Total: {MONEY} (incl. VAT)
Price: {MONEY} per month
Order {TICKET} has shipped.
Your verification code is {NUM}.
Meeting ID: {NUM}
Version {VERSION} fixes {N} bugs.
Released {VERSION} on {DATE}.
Build #{NUM} passed.
{N} files changed, {NUM} insertions(+), {N} deletions(-)
The Renaissance began in the 14th century.
The Industrial Revolution changed how people worked.
The Great Depression started in 1929.
Photosynthesis converts light into chemical energy.
Mitochondria are the powerhouse of the cell.
The French Revolution began in 1789.
Shakespearean sonnets have fourteen lines.
Gothic cathedrals took decades to build.
Christmas dinner was delicious.
Thanksgiving is on a Thursday.
The Olympics are held every four years.
The World Cup final was exciting.
Will this work on {PRODUCT}?
Will you be at the meeting?
May I ask a question?
Mark the ticket as resolved.
Please mark all messages as read.
There is a grace period of {N} days.
Hope this helps!
I hope you're doing well.
Bill the client for {N} hours.
To be frank, the design needs work.
Sales rose sharply in the spring.
The rose garden opens in {MONTH}.
Summer holidays start in {MONTH}.
It will be sunny at dawn.
Jack up the car before changing the tyre.
Faith in the project is low.
Grace under pressure is a rare skill.
Our joy was short-lived.
The price went up again.
Stone, wood and glass are used throughout.
Green and white are the brand colours.
The King's Speech is a good film.
Young people use the app more.
Little has changed since {MONTH}.
Long story short: it failed.
Fields marked with * are required.
Hunter green is a nice colour.
Cook the pasta for ten minutes.
Wells and springs supplied the village.
CAN YOU HELP ME WITH MY {ACRO} HOMEWORK?
PLEASE READ BEFORE SUBMITTING
URGENT: SERVER DOWN
FYI the {ACRO} is down again
ok thanks
sure, sounds good
lgtm
nvm, fixed it
idk, maybe try restarting {PRODUCT}?
the {TECH} is broken again
is this {ACRO} call idempotent?
how do i center a div
what's the time complexity of binary search
""".strip().splitlines()

# Templates in other languages: names and places from the matching Faker locale.
FOREIGN = {
    "de": r"""
Kannst du eine Antwort an {FIRST} schreiben? Sie wohnt jetzt in {CITY}.
Mein Kollege {PER} hat gestern gekündigt.
Unser Vermieter, Herr {LAST}, will die Miete für die Wohnung in der {ADDR} erhöhen.
Rechnung an: {ORG}, z. Hd. {PER}, {FULLADDR}
{FIRST} und ich fliegen im {MONTH} nach {COUNTRY}.
Laut {PER} von {ORG} verschiebt sich der Start auf {WEEKDAY}.
Bitte ruf {FIRST} an, bevor du nach {CITY} fährst.
Die Besprechung mit {PER} findet im Büro in {CITY} statt.
Danke, {FIRST}! Bis {WEEKDAY}.
Frau {LAST} aus der Buchhaltung fragt nach der Rechnung.
Kann mir jemand helfen? Ich habe eine Mahnung von {ORG} bekommen.
Hallo zusammen, {PER} übernimmt ab {MONTH} das Team in {CITY}.
Hallo {FIRST1},\n\nvielen Dank für das Gespräch. Ich schicke dir das Angebot bis {WEEKDAY}.\n\nViele Grüße\n{PER2}
Sehr geehrte Frau {LAST},\n\nanbei erhalten Sie die Rechnung von {ORG}.\n\nMit freundlichen Grüßen\n{PER}
Sehr geehrter Herr {LAST}, bitte senden Sie die Unterlagen an {FULLADDR}.
Kannst du {FIRST} fragen, ob das Meeting in {CITY} stattfindet?
{PER} arbeitet seit {YEAR} bei {ORG} in {CITY}.
Ich ziehe im {MONTH} von {CITY} nach {CITY}.
Meine neue Adresse lautet {FULLADDR}.
Bitte schreibe eine E-Mail an {PER} wegen der Lieferung.
Herr {LAST} von {ORG} hat angerufen.
Die Firma {ORG} eröffnet ein Büro in {CITY}.
Frau Dr. {LAST} ist bis {WEEKDAY} nicht erreichbar.
Wie komme ich am besten von {CITY} nach {CITY}?
Kannst du diesen Text über {TOPIC} zusammenfassen?
Der Termin am {WEEKDAY} wurde auf {TIME} verschoben.
Bitte behebe den Fehler im {TECH}-Parser.
""",
    "fr": r"""
Peux-tu répondre à {FIRST} ? Elle habite maintenant à {CITY}.
Mon collègue {PER} a démissionné hier.
Notre propriétaire, M. {LAST}, veut augmenter le loyer de l'appartement au {ADDR}.
Facture à : {ORG}, à l'attention de {PER}, {FULLADDR}
Selon {PER} de {ORG}, le lancement est reporté à {WEEKDAY}.
Appelle {FIRST} avant de partir pour {CITY}.
La réunion avec {PER} aura lieu au bureau de {CITY}.
Mme {LAST} du service comptable demande la facture.
J'ai reçu une relance de {ORG}, que dois-je faire ?
Bonjour à tous, {PER} reprend l'équipe de {CITY} en {MONTH}.
Bonjour {FIRST1},\n\nmerci pour votre appel. Je vous envoie le devis avant {WEEKDAY}.\n\nCordialement,\n{PER2}
Madame {LAST}, veuillez trouver ci-joint la facture de {ORG}.
Monsieur {LAST} a appelé au sujet du contrat avec {ORG}.
Pouvez-vous écrire un e-mail à {PER} concernant la livraison ?
{PER} travaille chez {ORG} à {CITY} depuis {YEAR}.
Je déménage de {CITY} à {CITY} en {MONTH}.
Ma nouvelle adresse est {FULLADDR}.
Envoyez le colis à {PER}, {FULLADDR}.
{FIRST} et moi partons en vacances en {COUNTRY}.
La société {ORG} ouvre un bureau à {CITY}.
Le docteur {LAST} est absent jusqu'à {WEEKDAY}.
Peux-tu résumer cet article sur {TOPIC} ?
La réunion de {WEEKDAY} est déplacée à {TIME}.
Merci {FIRST}, à bientôt à {CITY} !
""",
    "es": r"""
¿Puedes contestar a {FIRST}? Ahora vive en {CITY}.
Mi compañero {PER} renunció ayer.
Nuestro casero, el señor {LAST}, quiere subir el alquiler del piso en {ADDR}.
Factura a: {ORG}, a la atención de {PER}, {FULLADDR}
Según {PER}, de {ORG}, el lanzamiento se retrasa al {WEEKDAY}.
Llama a {FIRST} antes de salir hacia {CITY}.
La reunión con {PER} será en la oficina de {CITY}.
La señora {LAST}, de contabilidad, pregunta por la factura.
He recibido un aviso de {ORG}, ¿qué hago?
Hola a todos, {PER} se hará cargo del equipo de {CITY} en {MONTH}.
Hola {FIRST1},\n\ngracias por la llamada. Te envío el presupuesto antes del {WEEKDAY}.\n\nSaludos,\n{PER2}
Estimado señor {LAST}, adjunto la factura de {ORG}.
Estimada señora {LAST}, su cita está confirmada.
¿Puedes escribir un correo a {PER} sobre el envío?
{PER} trabaja en {ORG} en {CITY} desde {YEAR}.
Me mudo de {CITY} a {CITY} en {MONTH}.
Mi nueva dirección es {FULLADDR}.
Envía el paquete a {PER}, {FULLADDR}.
{FIRST} y yo vamos a viajar a {COUNTRY}.
La empresa {ORG} abre una oficina en {CITY}.
El doctor {LAST} no está disponible hasta el {WEEKDAY}.
¿Puedes resumir este artículo sobre {TOPIC}?
La reunión del {WEEKDAY} se ha movido a las {TIME}.
Gracias {FIRST}, ¡nos vemos en {CITY}!
""",
    "it": r"""
Puoi rispondere a {FIRST}? Adesso vive a {CITY}.
Il mio collega {PER} si è dimesso ieri.
Il nostro padrone di casa, il signor {LAST}, vuole aumentare l'affitto dell'appartamento in {ADDR}.
Fattura intestata a: {ORG}, alla c.a. di {PER}, {FULLADDR}
Secondo {PER} di {ORG}, il lancio è rinviato a {WEEKDAY}.
Chiama {FIRST} prima di partire per {CITY}.
La riunione con {PER} si terrà nell'ufficio di {CITY}.
La signora {LAST} dell'amministrazione chiede la fattura.
Ho ricevuto un sollecito da {ORG}, cosa devo fare?
Ciao a tutti, {PER} guiderà il team di {CITY} da {MONTH}.
Ciao {FIRST1},\n\ngrazie per la chiamata. Ti mando il preventivo entro {WEEKDAY}.\n\nA presto,\n{PER2}
Gentile signor {LAST}, in allegato la fattura di {ORG}.
Gentile dottoressa {LAST}, confermo l'appuntamento.
Puoi scrivere una email a {PER} per la consegna?
{PER} lavora presso {ORG} a {CITY} dal {YEAR}.
Mi trasferisco da {CITY} a {CITY} a {MONTH}.
Il mio nuovo indirizzo è {FULLADDR}.
Spedisci il pacco a {PER}, {FULLADDR}.
{FIRST} e io andiamo in vacanza in {COUNTRY}.
L'azienda {ORG} apre un ufficio a {CITY}.
Puoi riassumere questo articolo su {TOPIC}?
Grazie {FIRST}, ci vediamo a {CITY}!
""",
    "nl": r"""
Kun je {FIRST} antwoorden? Ze woont nu in {CITY}.
Mijn collega {PER} heeft gisteren ontslag genomen.
Onze verhuurder, meneer {LAST}, wil de huur van het appartement aan de {ADDR} verhogen.
Factuur aan: {ORG}, t.a.v. {PER}, {FULLADDR}
Volgens {PER} van {ORG} wordt de lancering verschoven naar {WEEKDAY}.
Bel {FIRST} voordat je naar {CITY} vertrekt.
Het overleg met {PER} is op het kantoor in {CITY}.
Mevrouw {LAST} van de administratie vraagt naar de factuur.
Ik heb een aanmaning van {ORG} gekregen, wat moet ik doen?
Hallo allemaal, {PER} neemt in {MONTH} het team in {CITY} over.
Hoi {FIRST1},\n\nbedankt voor het gesprek. Ik stuur je de offerte voor {WEEKDAY}.\n\nGroeten,\n{PER2}
Geachte heer {LAST}, bijgaand de factuur van {ORG}.
Geachte mevrouw {LAST}, uw afspraak is bevestigd.
Kun je een mail sturen naar {PER} over de levering?
{PER} werkt sinds {YEAR} bij {ORG} in {CITY}.
Ik verhuis in {MONTH} van {CITY} naar {CITY}.
Mijn nieuwe adres is {FULLADDR}.
Stuur het pakket naar {PER}, {FULLADDR}.
{FIRST} en ik gaan op vakantie naar {COUNTRY}.
Het bedrijf {ORG} opent een kantoor in {CITY}.
Kun je dit artikel over {TOPIC} samenvatten?
Bedankt {FIRST}, tot ziens in {CITY}!
""",
    "pt": r"""
Pode responder ao {FIRST}? Ele mora agora em {CITY}.
O meu colega {PER} pediu demissão ontem.
O nosso senhorio, o senhor {LAST}, quer aumentar a renda do apartamento na {ADDR}.
Fatura para: {ORG}, aos cuidados de {PER}, {FULLADDR}
Segundo {PER}, da {ORG}, o lançamento foi adiado para {WEEKDAY}.
Ligue para {FIRST} antes de ir para {CITY}.
A reunião com {PER} será no escritório de {CITY}.
A senhora {LAST}, da contabilidade, pergunta pela fatura.
Recebi uma cobrança da {ORG}, o que faço?
Olá a todos, {PER} assume a equipe de {CITY} em {MONTH}.
Olá {FIRST1},\n\nobrigado pela chamada. Envio o orçamento até {WEEKDAY}.\n\nAbraços,\n{PER2}
Prezado senhor {LAST}, segue em anexo a fatura da {ORG}.
Prezada senhora {LAST}, a sua consulta está confirmada.
Pode escrever um e-mail para {PER} sobre a entrega?
{PER} trabalha na {ORG} em {CITY} desde {YEAR}.
Vou me mudar de {CITY} para {CITY} em {MONTH}.
Meu novo endereço é {FULLADDR}.
Envie o pacote para {PER}, {FULLADDR}.
{FIRST} e eu vamos viajar para {COUNTRY}.
A empresa {ORG} abriu um escritório em {CITY}.
Pode resumir este artigo sobre {TOPIC}?
Obrigado {FIRST}, até logo em {CITY}!
""",
    "pl": r"""
Możesz odpisać {FIRST}? Mieszka teraz w {CITY}.
Mój kolega {PER} wczoraj złożył wypowiedzenie.
Nasz właściciel mieszkania, pan {LAST}, chce podnieść czynsz za mieszkanie przy {ADDR}.
Faktura dla: {ORG}, do rąk {PER}, {FULLADDR}
Według {PER} z {ORG} start przesuwa się na {WEEKDAY}.
Zadzwoń do {FIRST}, zanim pojedziesz do {CITY}.
Spotkanie z {PER} odbędzie się w biurze w {CITY}.
Pani {LAST} z księgowości pyta o fakturę.
Dostałem wezwanie do zapłaty od {ORG}, co mam zrobić?
Cześć wszystkim, {PER} przejmuje zespół w {CITY} od {MONTH}.
Cześć {FIRST1},\n\ndzięki za rozmowę. Wyślę ofertę do {WEEKDAY}.\n\nPozdrawiam,\n{PER2}
Szanowny Panie {LAST}, w załączniku faktura od {ORG}.
Szanowna Pani {LAST}, potwierdzamy wizytę.
Czy możesz napisać maila do {PER} w sprawie dostawy?
{PER} pracuje w {ORG} w {CITY} od {YEAR} roku.
Mój nowy adres to {FULLADDR}.
Wyślij paczkę do {PER}, {FULLADDR}.
{FIRST} i ja jedziemy na wakacje do {COUNTRY}.
Firma {ORG} otwiera biuro w {CITY}.
Czy możesz streścić ten artykuł o {TOPIC}?
Dzięki {FIRST}, do zobaczenia w {CITY}!
""",
}

# Locales whose names and places fill each foreign-language template set.
FOREIGN_LOCALES = {
    "de": ["de_DE", "de_AT", "de_CH"],
    "fr": ["fr_FR", "fr_CA"],
    "es": ["es_ES", "es_MX", "es_AR", "es_CO"],
    "it": ["it_IT"],
    "nl": ["nl_NL", "nl_BE"],
    "pt": ["pt_BR", "pt_PT"],
    "pl": ["pl_PL"],
}

# Month and weekday names used by the foreign templates (O).
FOREIGN_DATES = {
    "de": ("Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
           "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag"),
    "fr": ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
           "lundi mardi mercredi jeudi vendredi samedi dimanche"),
    "es": ("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
           "lunes martes miércoles jueves viernes sábado domingo"),
    "it": ("gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
           "lunedì martedì mercoledì giovedì venerdì sabato domenica"),
    "nl": ("januari februari maart april mei juni juli augustus september oktober november december",
           "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"),
    "pt": ("janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
           "segunda terça quarta quinta sexta sábado domingo"),
    "pl": ("styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik listopad grudzień",
           "poniedziałek wtorek środa czwartek piątek sobota niedziela"),
}

GENRES = {
    "requests": REQUESTS,
    "emails": EMAILS,
    "tickets": TICKETS,
    "logs": LOGS,
    "code": CODE,
    "chat": CHAT,
    "narrative": NARRATIVE,
    "ambiguous": AMBIGUOUS,
    "addresses": ADDRESSES,
    "orgs": ORGS,
    "negatives": NEGATIVES,
}
