"""Hand-written word lists used by gen_data.py next to Faker's locale data.

Everything here was written for this project: lists of well-known places, companies and
institution patterns, of words that are also names ("Will", "April", "Washington"), and of
hard negatives (products, technical terms, acronyms, headings). No list was taken from a
dataset or from the evaluation sets.
"""

# --- Places (LOCATION) -----------------------------------------------------------------------

WORLD_CITIES = """
London Paris Berlin Madrid Rome Lisbon Amsterdam Brussels Vienna Prague Warsaw Budapest Dublin
Edinburgh Manchester Birmingham Glasgow Liverpool Leeds Bristol Cardiff Belfast Oxford Cambridge
Munich Hamburg Frankfurt Cologne Stuttgart Düsseldorf Leipzig Dresden Hanover Nuremberg Bremen
Lyon Marseille Toulouse Nice Nantes Bordeaux Lille Strasbourg Montpellier Rennes Grenoble
Barcelona Valencia Seville Bilbao Málaga Zaragoza Granada Milan Naples Turin Bologna Venice
Genoa Palermo Verona Rotterdam Utrecht Eindhoven Antwerp Ghent Zurich Geneva Basel Bern Lausanne
Porto Coimbra Kraków Gdańsk Wrocław Poznań Łódź Copenhagen Stockholm Oslo Helsinki Gothenburg
Athens Istanbul Ankara Bucharest Sofia Belgrade Zagreb Ljubljana Bratislava Vilnius Riga Tallinn
Kyiv Moscow Tbilisi Cairo Lagos Nairobi Accra Casablanca Johannesburg Cape Town Addis Ababa
Dubai Abu Dhabi Doha Riyadh Tel Aviv Jerusalem Beirut Amman Tehran Karachi Lahore Mumbai Delhi
Bangalore Chennai Hyderabad Kolkata Pune Dhaka Colombo Kathmandu Bangkok Hanoi Singapore
Kuala Lumpur Jakarta Manila Hong Kong Shanghai Beijing Shenzhen Taipei Seoul Busan Tokyo Osaka
Kyoto Sydney Melbourne Brisbane Perth Auckland Wellington New York Los Angeles Chicago Houston
Phoenix Philadelphia San Antonio San Diego Dallas San Jose Austin Jacksonville San Francisco
Seattle Denver Boston Nashville Detroit Portland Las Vegas Memphis Baltimore Milwaukee
Albuquerque Tucson Sacramento Atlanta Miami Orlando Tampa Minneapolis Cleveland Pittsburgh
Cincinnati St. Louis Kansas City Salt Lake City Raleigh Charlotte New Orleans Honolulu Anchorage
Toronto Montreal Vancouver Calgary Ottawa Edmonton Winnipeg Quebec City Halifax Mexico City
Guadalajara Monterrey Bogotá Medellín Lima Santiago Buenos Aires Montevideo São Paulo
Rio de Janeiro Brasília Salvador Recife Porto Alegre Curitiba Belo Horizonte Caracas Quito
Havana San Juan Panama City Reykjavik Marrakesh Tunis Dakar Kampala Kigali Lusaka Harare
"""

# WORLD_CITIES is split on whitespace; MULTIWORD_CITIES re-joins the names that belong together.
MULTIWORD_CITIES = [
    "Cape Town", "Addis Ababa", "Abu Dhabi", "Tel Aviv", "Kuala Lumpur", "Hong Kong", "New York",
    "Los Angeles", "San Antonio", "San Diego", "San Jose", "San Francisco", "Las Vegas",
    "St. Louis", "Kansas City", "Salt Lake City", "New Orleans", "Quebec City", "Mexico City",
    "Buenos Aires", "São Paulo", "Rio de Janeiro", "Porto Alegre", "Belo Horizonte", "San Juan",
    "Panama City",
]

COUNTRIES = """
Germany|France|Spain|Italy|Portugal|the Netherlands|Netherlands|Belgium|Austria|Switzerland|Poland|
Czechia|the Czech Republic|Slovakia|Hungary|Romania|Bulgaria|Greece|Croatia|Slovenia|Serbia|
Ireland|the United Kingdom|the UK|UK|Britain|Great Britain|England|Scotland|Wales|Northern Ireland|
Denmark|Sweden|Norway|Finland|Iceland|Estonia|Latvia|Lithuania|Ukraine|Turkey|Türkiye|Cyprus|
Malta|Luxembourg|the United States|the US|the USA|USA|America|Canada|Mexico|Brazil|Argentina|
Chile|Colombia|Peru|Venezuela|Ecuador|Uruguay|Paraguay|Bolivia|Cuba|Jamaica|Costa Rica|
Guatemala|Egypt|Morocco|Tunisia|Algeria|Nigeria|Ghana|Kenya|Ethiopia|South Africa|Senegal|
Uganda|Rwanda|Tanzania|Israel|Jordan|Lebanon|Saudi Arabia|the UAE|Qatar|Iran|Iraq|Pakistan|
India|Bangladesh|Sri Lanka|Nepal|China|Japan|South Korea|Korea|Taiwan|Vietnam|Thailand|
Malaysia|Singapore|Indonesia|the Philippines|Australia|New Zealand|Georgia|Armenia|Kazakhstan|
Chad|Mongolia
"""

REGIONS = """
California|Texas|Florida|New York State|Washington State|Washington|Oregon|Nevada|Arizona|Utah|
Colorado|Georgia|Virginia|North Carolina|South Carolina|Tennessee|Ohio|Michigan|Illinois|
Massachusetts|New Jersey|Pennsylvania|Maryland|Minnesota|Wisconsin|Louisiana|Alabama|Kentucky|
Indiana|Missouri|Iowa|Kansas|Oklahoma|Montana|Idaho|Alaska|Hawaii|Maine|Vermont|Ontario|Quebec|
British Columbia|Alberta|Bavaria|Saxony|Hesse|Brandenburg|Tuscany|Lombardy|Sicily|Sardinia|
Catalonia|Andalusia|Galicia|the Basque Country|Brittany|Normandy|Provence|Burgundy|Alsace|
Flanders|Wallonia|Silesia|Masovia|Bohemia|Moravia|Transylvania|Lapland|Scania|Yorkshire|Kent|
Cornwall|Devon|Surrey|Essex|the Midlands|the Highlands|Queensland|Victoria|New South Wales|
Tasmania|Patagonia|Siberia|Bavarian Alps|the Algarve|Kerala|Punjab|Bengal|Gujarat|Tyrol|
Silicon Valley|the Bay Area|the Balkans|Scandinavia|the Middle East|Southeast Asia|Europe|Asia|
Africa|South America|North America|Latin America|the Caribbean|the Alps
"""

# --- Words that are names, places and ordinary words at once ------------------------------------

# First names that are also ordinary words, months, or places.
AMBIGUOUS_FIRST = """
April May June August Will Grace Mark Rose Hope Faith Joy Summer Autumn Dawn Bill Frank Sky
Jordan Florence Georgia Paris Austin Dallas Victoria Sydney Chelsea Madison Brooklyn Charlotte
Savannah Virginia Carolina Adelaide Eugene Chester Denver Jack Bob Penny Ruby Amber Crystal Holly
Ivy Iris Daisy Violet Sunny Rich Guy Pat Sue Gene Drew Chase Hunter Mason Cooper Taylor Wade
Lincoln Kent Israel India Sofia Regina Troy Nancy Lorraine Phoenix Raven Angel Destiny Harmony
Melody Heather Olive Pearl Jade Stone River Rain Storm Marshall Sterling Reed Miles Dean Art
Bud Don Max Ray Will Norman Earl Price Virgil Tucker Carter Parker Austin Houston Cliff Lane
"""

# Surnames that are also ordinary words or places.
AMBIGUOUS_LAST = """
Washington Lincoln Jackson Ford King Young Black White Green Brown Cook Baker Miller Fisher Long
Little Hill Wood Stone Field Bishop Price Hunter Mason Cooper Carter Parker Bell Rose Gray Grant
Bond Banks Church Marsh Rivers Lake Knight Sharp Strong Frost Snow Winter Summers Day Friday
Paris London Hilton Dallas Houston Austin Florence Sydney Chester Kent Cash Coins Page Lamb Fox
Wolf Crane Swan Hawk Jordan Holland English French Welsh Irish Wells Walls Mills Hall Street
Temple Castle Gates Glass Steel Rich Noble Moody Short Sweet Golden Silver Goodman Newman
"""

# Places that are also names (used in LOCATION slots more often than their share).
AMBIGUOUS_PLACES = """
Washington|Paris|Georgia|Jordan|Florence|Victoria|Sydney|Austin|Dallas|Charlotte|Savannah|
Madison|Lincoln|Chelsea|Brooklyn|Virginia|Carolina|Adelaide|Eugene|Denver|Houston|Chester|Kent|
Orlando|Phoenix|Lorraine|Chad|Israel|India|Regina|Santiago|Sofia|Valencia|Lima|Jackson|Troy|
Nancy|Aurora|Mobile|Reading|Bath|Nice|Split|Mesa|Providence|Independence|Hope|Eden|Salem
"""

# --- Organizations ---------------------------------------------------------------------------

WELL_KNOWN_ORGS = """
Google|Microsoft|Apple|Amazon|IBM|Intel|Oracle|Siemens|BMW|Volkswagen|Daimler|Bosch|SAP|
Deutsche Bank|Commerzbank|Allianz|Nestlé|Unilever|Airbus|Shell|BP|TotalEnergies|Toyota|Honda|
Samsung|Sony|Netflix|Spotify|Meta|Nvidia|Tesla|Uber|Airbnb|Stripe|PayPal|Visa|Mastercard|
Goldman Sachs|JPMorgan Chase|Morgan Stanley|HSBC|Barclays|Santander|BNP Paribas|ING|Rabobank|
Philips|Heineken|Carrefour|Renault|Peugeot|Michelin|L'Oréal|Danone|Ericsson|Nokia|Volvo|IKEA|
H&M|Zara|Inditex|Telefónica|Vodafone|Deutsche Telekom|Orange|Fiat|Ferrari|Pirelli|Lufthansa|
Ryanair|KLM|Air France|British Airways|Emirates|Maersk|DHL|FedEx|UPS|Pfizer|Novartis|Roche|
Bayer|AstraZeneca|GlaxoSmithKline|Johnson & Johnson|Accenture|Deloitte|KPMG|PwC|McKinsey|
Capgemini|Infosys|Tata Consultancy Services|Wipro|Alibaba|Tencent|Baidu|Huawei|Xiaomi|Walmart|
Costco|Target|Coca-Cola|PepsiCo|McDonald's|Starbucks|Nike|Adidas|Puma|Lego|Spotify|Zalando|
Booking.com|Adyen|ASML|Shopify|Atlassian|Salesforce|Cisco|Dell|HP|Lenovo|Red Hat|Mozilla|
OpenAI|Anthropic|DeepMind|Reuters|the BBC|the New York Times|the Guardian|Le Monde|Der Spiegel|
El País|the Red Cross|UNICEF|the United Nations|the UN|the World Bank|the IMF|the WHO|
the European Commission|the European Union|the EU|NATO|NASA|the FBI|the CIA|Interpol|Europol|
the OECD|Greenpeace|Amnesty International|Oxfam|the Bundesbank|the Federal Reserve|
the European Central Bank|the NHS|the IRS|HMRC|the Home Office|the Ministry of Defence|
the Department of Justice|the Supreme Court|Harvard|Stanford|MIT|Oxford University|
Cambridge University|the Sorbonne|ETH Zurich|TU Munich|Imperial College London|Yale|Princeton|
the Mayo Clinic|Charité|Médecins Sans Frontières|the Louvre|the Tate Modern|FIFA|UEFA|
the Premier League|Real Madrid|FC Barcelona|Bayern Munich|Manchester United|Juventus|Ajax
"""

# Patterns for institutions; {CITY}, {LAST}, {REGION}, {WORD} are filled by gen_data.py.
ORG_PATTERNS = [
    "University of {CITY}", "{CITY} University", "{CITY} State University", "{CITY} City Council",
    "{CITY} General Hospital", "{CITY} Police Department", "{CITY} Public Library",
    "{CITY} Chamber of Commerce", "{CITY} Symphony Orchestra", "{CITY} Institute of Technology",
    "{LAST} & Partners", "{LAST} Consulting", "{LAST} and Sons", "{LAST} Law Group",
    "{LAST} Capital", "{LAST} Holdings", "{LAST} Logistics", "{LAST} Dental Clinic",
    "{LAST} Architects", "{LAST} Foundation", "{LAST} Bakery", "{LAST} Motors",
    "{WORD} Technologies", "{WORD} Labs", "{WORD} Systems", "{WORD} Analytics", "{WORD} Health",
    "{WORD} Energy", "{WORD} Robotics", "{WORD} Software", "{WORD} Bank", "{WORD} Insurance",
    "{WORD} Media Group", "{WORD} Pharmaceuticals", "{WORD} Airlines", "{WORD} Studios",
    "{WORD}soft", "{WORD}ly", "{WORD} Inc.", "{WORD} Ltd", "{WORD} GmbH", "{WORD} AG",
    "{WORD} S.A.", "{WORD} B.V.", "{WORD} LLC", "{WORD} Corp.", "{WORD} SAS", "{WORD} S.p.A.",
    "{REGION} Department of Health", "{REGION} Tourism Board", "{REGION} Regional Council",
    "Bank of {COUNTRY}", "Ministry of Finance of {COUNTRY}", "{COUNTRY} Football Association",
    "St. {FIRST}'s Hospital", "St. {FIRST}'s School", "{LAST} High School",
    "{LAST} Elementary School", "{LAST} Medical Center", "{LAST}-{LAST2} LLP",
]

# Made-up brand stems for ORG_PATTERNS ({WORD}); coined for this project.
BRAND_STEMS = """
Acme Globex Initech Umbra Nimbus Vertex Quantix Helios Lumina Zentro Novagen Brightpath Bluepeak
Redwood Northwind Clearwater Ironbridge Silverline Greenfield Sunburst Polaris Arcadia Orbital
Cobalt Cypress Falcon Kestrel Maple Evergreen Pinnacle Summit Horizon Meridian Keystone Granite
Tidewater Wavelength Brightwave Corelink Datafin Finlytic Medisure Agrinova Voltaris Skyforge
Trueline Openfield Stellar Nexora Veridian Aurelia Crestview Harbor Lakeshore Riverbend Oakridge
Westbrook Eastgate Southpoint Norden Alpenglow Bergmann Solano Montclair Fjordline Baltica
"""

# --- Hard negatives (always O) -----------------------------------------------------------------

MONTHS = "January February March April May June July August September October November December"
MONTHS_SHORT = "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
WEEKDAYS_SHORT = "Mon Tue Wed Thu Fri Sat Sun"

PRODUCTS = """
Excel|PowerPoint|Outlook|Photoshop|Illustrator|Premiere Pro|iPhone|iPad|MacBook Pro|Android|
Windows 11|Windows|Linux|Ubuntu|Debian|Fedora|macOS|iOS|Kubernetes|Docker|PostgreSQL|MySQL|
SQLite|Redis|MongoDB|Elasticsearch|Kafka|RabbitMQ|Nginx|React|Angular|Vue|Svelte|Django|Flask|
FastAPI|Rails|Spring Boot|Node.js|Deno|TypeScript|JavaScript|Python|Rust|Go|Java|Kotlin|Swift|
Scala|Haskell|Ruby|PHP|Perl|Bash|PowerShell|Jira|Confluence|Trello|Notion|Figma|Sketch|Tableau|
Power BI|Looker|Chrome|Firefox|Safari|Edge|VS Code|Visual Studio|IntelliJ|PyCharm|Xcode|Vim|
Emacs|Terraform|Ansible|Jenkins|CircleCI|Grafana|Prometheus|Kibana|Postman|Git|Webpack|Vite|
Babel|ESLint|Prettier|pandas|NumPy|TensorFlow|PyTorch|scikit-learn|Jupyter|Spark|Hadoop|
Airflow|dbt|Snowflake|BigQuery|Redshift|Lambda|EC2|S3|CloudFront|Cloud Run|ChatGPT|GPT-4|
Llama 3|Gemini|Copilot|Kindle|PlayStation 5|Xbox|Nintendo Switch|AirPods|Galaxy S24|Pixel 8|
Apple Watch|Fitbit|Roomba|Kubeflow|Helm|Istio|Envoy|OpenSSL|WordPress|Drupal|Magento|Shopware|
LibreOffice|Thunderbird|Signal|WhatsApp|Telegram|Zoom|Teams|Slack|Discord|Dropbox|OneDrive|
Google Drive|Gmail|Maps|YouTube|Instagram|TikTok|LinkedIn|Twitter|Reddit|Wikipedia|Minecraft|
Fortnite|Unity|Unreal Engine|Blender|AutoCAD|SolidWorks|MATLAB|Simulink|LaTeX|Markdown|Pages|
Numbers|Keynote|Siri|Alexa|Cortana|Bluetooth|Wi-Fi|USB-C|HDMI|Thunderbolt|Lightning
"""

TECH_TERMS = """
API|REST API|endpoint|JSON|YAML|TOML|XML|HTML|CSS|HTTP|HTTPS|TLS|SSL|DNS|TCP|UDP|IP|CPU|GPU|RAM|
SSD|SQL|NoSQL|OAuth|OAuth2|JWT|SAML|SSO|CI/CD|CI|SDK|CLI|GUI|UI|UX|UUID|UTF-8|ASCII|regex|cron|
webhook|WebSocket|gRPC|GraphQL|Protobuf|LLM|NLP|NER|ML|AI|GDPR|HIPAA|PCI DSS|SOC 2|ISO 27001|PII|
SLA|KPI|ROI|OKR|MVP|POC|EOD|ETA|FAQ|PDF|CSV|PNG|JPEG|SVG|MP4|ZIP|README|Dockerfile|Makefile|
NullPointerException|IndexError|KeyError|TypeError|ValueError|SIGTERM|SIGKILL|OOM|segfault|
deadlock|race condition|memory leak|stack trace|heap|mutex|semaphore|thread pool|load balancer|
reverse proxy|CDN|VPN|VPC|IAM|RBAC|ACL|firewall|subnet|kernel|bootloader|BIOS|UEFI|firmware|
microservice|monolith|container|pod|namespace|cluster|node|replica|shard|index|query|schema|
migration|rollback|hotfix|release candidate|feature flag|unit test|integration test|linter|
compiler|interpreter|garbage collector|async|await|callback|promise|closure|lambda|iterator|
generator|decorator|middleware|ORM|MVC|CRUD|TODO|FIXME|XXX|NaN|null|undefined|true|false|None|
localhost|stdout|stderr|stdin|EOF|CRLF|base64|SHA-256|MD5|AES|RSA|TOTP|2FA|MFA|CAPTCHA|CORS|
CSRF|XSS|SQL injection|DDoS|latency|throughput|p99|QPS|RPS|TTL|LRU|FIFO|LIFO|B-tree|hash map|
linked list|binary search|Big O|Docker Compose|Helm chart|Kubernetes operator
"""

ACRONYMS = """
API|HTTP|HTTPS|JSON|XML|SQL|CPU|GPU|RAM|URL|URI|DNS|TCP|UDP|SSH|FTP|SMTP|IMAP|VPN|LAN|WAN|
USB|PDF|CSV|HTML|CSS|SDK|CLI|IDE|ORM|MVC|REST|SOAP|CRUD|JWT|SSO|MFA|OTP|KPI|ROI|OKR|SLA|
CEO|CTO|CFO|COO|CIO|HR|PR|QA|UX|UI|R&D|B2B|B2C|SaaS|PaaS|IaaS|FAQ|TBD|TBA|ASAP|FYI|EOD|ETA|
AFAIK|IMO|TL;DR|RSVP|PTO|OOO|WFH|Q1|Q2|Q3|Q4|YoY|MoM|EBITDA|VAT|GDPR|NDA|SOW|RFP|RFC|PR|MR|
LGTM|WIP|NB|PS|AM|PM|GMT|UTC|CET|EST|PST|ISO|IEEE|ANSI|UTF|ASCII|LLM|GPT|NLP|OCR|ETL|BI
"""

HEADINGS = """
Summary|Overview|Introduction|Background|Action Items|Next Steps|Release Notes|Changelog|
Known Issues|Attendees|Agenda|Notes|Minutes|Decisions|Open Questions|Requirements|Scope|
Goals|Non-goals|Risks|Timeline|Budget|Results|Conclusion|Appendix|References|Installation|
Usage|Configuration|Troubleshooting|Contributing|License|Getting Started|Prerequisites|
Steps to Reproduce|Expected Behaviour|Actual Behaviour|Environment|Workaround|Root Cause|
Impact|Resolution|Follow-up|Status Update|Weekly Report|Meeting Notes|Draft|Important|
Reminder|Update|Question|Feedback|Proposal|Announcement|Highlights|Lessons Learned
"""

# Departments and teams: ordinary nouns, labelled O (not an ORGANIZATION on their own).
DEPARTMENTS = """
Finance|Legal|Engineering|Marketing|Sales|Support|Customer Success|Human Resources|HR|
Operations|Procurement|IT|Security|Compliance|Research|Design|Product|Data Science|DevOps|
Platform|Infrastructure|Accounting|Payroll|Facilities|Quality Assurance|Logistics|Admissions
"""

TOPICS = """
climate policy|renewable energy|the housing market|interest rates|machine learning|
remote work|supply chains|quantum computing|the French Revolution|photosynthesis|
the stock market|electric cars|sleep hygiene|intermittent fasting|project management|
data privacy|cloud migration|inflation|urban planning|the Roman Empire|black holes|
vaccination rates|microplastics|agile methods|tax deductions|mortgage rates|
customer churn|employee onboarding|cyber security|open source licensing|coral reefs|
carbon capture|game theory|the immune system|public transport|food waste|biodiversity
"""

JOB_TITLES = """
software engineer|senior software engineer|product manager|project manager|data scientist|
data analyst|UX designer|graphic designer|accountant|financial controller|lawyer|paralegal|
nurse|doctor|surgeon|pharmacist|teacher|professor|lecturer|research assistant|sales manager|
account executive|marketing manager|HR manager|recruiter|office manager|receptionist|
CEO|CTO|CFO|COO|chief of staff|head of engineering|engineering manager|team lead|tech lead|
intern|consultant|architect|electrician|plumber|driver|warehouse manager|support agent|
customer service representative|security analyst|DevOps engineer|site reliability engineer|
QA engineer|business analyst|editor|journalist|translator|paramedic|police officer|judge
"""

# Capitalised ordinary words that often start sentences or appear in titles.
CAP_WORDS = """
Please|Thanks|Thank|Hello|Hi|Hey|Dear|Regards|Best|Cheers|Sorry|Sure|Yes|No|Okay|OK|Also|However|
Meanwhile|Unfortunately|Fortunately|Yesterday|Today|Tomorrow|Tonight|Last|Next|First|Second|
Finally|Anyway|Actually|Basically|Honestly|Hopefully|Quick|Urgent|Important|Note|Update|Fix|Add|
Remove|Refactor|Bump|Merge|Revert|Deploy|Check|Review|Approve|Reject|Support|Help|Question|
Answer|Error|Warning|Info|Debug|Critical|Failed|Success|Pending|Done|New|Old|Open|Closed|Draft|
Final|Summary|Total|Average|Budget|Revenue|Profit|Loss|Invoice|Receipt|Order|Payment|Refund|
Shipping|Delivery|Account|Password|Login|Logout|Settings|Profile|Dashboard|Report|Chapter|Section
"""


def split_pipe(s):
    return [w.strip() for w in s.replace("\n", "").split("|") if w.strip()]


def split_ws(s):
    return s.split()


def world_cities():
    """WORLD_CITIES as a list, with multi-word names kept together."""
    text = " ".join(WORLD_CITIES.split())
    for name in sorted(MULTIWORD_CITIES, key=len, reverse=True):
        text = text.replace(name, name.replace(" ", "_"))
    return [w.replace("_", " ") for w in text.split()]
