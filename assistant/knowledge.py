"""The seeded knowledge base: short, factual articles written for the marketplace.

Each body is a few paragraphs; the assistant retrieves and quotes paragraphs, so each
one should make sense on its own. Staff maintain the articles in the admin afterwards
(the seed only creates articles that do not exist yet)."""

from typing import TypedDict


class SeedArticle(TypedDict, total=False):
    slug: str
    title: str
    language: str
    reference: str
    jurisdiction: str
    tags: list[str]
    body: str
    translation_of: str  # slug of the English original


ARTICLES: list[SeedArticle] = [
    {
        "slug": "haccp-seven-principles",
        "title": "The seven principles of HACCP",
        "reference": "Codex CXC 1-1969 (General Principles of Food Hygiene)",
        "jurisdiction": "Codex",
        "tags": ["haccp", "ccp", "critical limits", "monitoring", "verification"],
        "body": (
            "HACCP (Hazard Analysis and Critical Control Point) is a systematic, preventive approach to food "
            "safety. The Codex Alimentarius General Principles of Food Hygiene describe it through seven "
            "principles that a HACCP team applies to one product and process at a time.\n\n"
            "Principle 1: conduct a hazard analysis and identify control measures. Principle 2: determine the "
            "critical control points (CCPs). Principle 3: establish validated critical limits for each CCP.\n\n"
            "Principle 4: establish a system to monitor control of each CCP. Principle 5: establish the "
            "corrective actions to take when monitoring shows a deviation from a critical limit.\n\n"
            "Principle 6: validate the HACCP plan and then establish verification procedures to confirm that "
            "the system works as intended. Principle 7: establish documentation concerning all procedures and "
            "records appropriate to these principles and their application.\n\n"
            "A HACCP plan rests on prerequisite programmes (good hygiene practices). Hazards that prerequisite "
            "programmes already control adequately do not need a CCP."
        ),
    },
    {
        "slug": "haccp-twelve-steps",
        "title": "Building a HACCP plan: the twelve steps",
        "reference": "Codex CXC 1-1969",
        "jurisdiction": "Codex",
        "tags": ["haccp", "flow diagram", "haccp team"],
        "body": (
            "Codex presents the application of HACCP as a logical sequence of twelve steps. The first five are "
            "preliminary: assemble a multidisciplinary HACCP team and identify the scope; describe the product; "
            "identify the intended use and the users (including vulnerable consumers); construct a flow "
            "diagram of the process; and confirm the flow diagram on site, during operation.\n\n"
            "Steps six to twelve apply the seven principles: list the potential hazards, conduct the hazard "
            "analysis and consider control measures; determine the CCPs; establish validated critical limits; "
            "establish monitoring; establish corrective actions; validate the plan and establish verification; "
            "and establish documentation and record keeping.\n\n"
            "The plan is reviewed whenever something changes that could affect food safety, such as a new "
            "ingredient, new equipment, a process change or new information about a hazard."
        ),
    },
    {
        "slug": "prerequisite-programmes",
        "title": "Prerequisite programmes (good hygiene practices)",
        "reference": "Codex CXC 1-1969; ISO/TS 22002-1",
        "jurisdiction": "Codex",
        "tags": ["prp", "ghp", "gmp", "haccp", "hygiene"],
        "body": (
            "Prerequisite programmes (PRPs), also called good hygiene practices or good manufacturing practices, "
            "are the basic conditions and activities that keep the production environment hygienic. They are "
            "the foundation on which a HACCP plan is built.\n\n"
            "Typical prerequisite programmes cover: the design and maintenance of premises and equipment; "
            "cleaning and sanitation; pest control; water quality; personal hygiene and health of workers; "
            "training; supplier approval and incoming material checks; waste management; allergen management; "
            "storage, transport and temperature control; and product information for consumers.\n\n"
            "For food manufacturing, ISO/TS 22002-1 specifies prerequisite programmes in detail; it is used "
            "together with ISO 22000 in the FSSC 22000 scheme."
        ),
    },
    {
        "slug": "validation-verification-monitoring",
        "title": "Validation, verification and monitoring: the difference",
        "reference": "Codex CXC 1-1969; Codex CXG 69-2008",
        "jurisdiction": "Codex",
        "tags": ["validation", "verification", "monitoring", "haccp"],
        "body": (
            "Validation asks, before relying on a control measure: is there evidence that this measure, or "
            "combination of measures, can control the hazard to the required level? Evidence can come from "
            "scientific literature, challenge studies, process studies or regulatory guidance. Codex guidance "
            "on validation is given in CXG 69-2008.\n\n"
            "Monitoring is the planned sequence of observations or measurements at a CCP, done while the process "
            "runs, to know whether the critical limit is being met (for example a cooking temperature read at "
            "a set frequency).\n\n"
            "Verification is the application of methods, procedures and tests, in addition to monitoring, to "
            "confirm that the system is operating as planned: record review, calibration of instruments, "
            "product or environmental testing, and internal audits."
        ),
    },
    {
        "slug": "monitoring-records-content",
        "title": "What a CCP monitoring record must show",
        "reference": "Codex CXC 1-1969; 21 CFR 117.190",
        "jurisdiction": "Codex",
        "tags": ["records", "monitoring", "documentation", "haccp"],
        "body": (
            "Monitoring records are evidence that a control was actually applied. They must be made at the time "
            "the observation is made, by the person who made it, and must reflect the real measurement. A record "
            "written afterwards, copied, or generated without the measurement having been taken is a falsified "
            "record.\n\n"
            "A useful monitoring record identifies the product or batch, the CCP, the critical limit, the actual "
            "value observed, the date and time of the observation, and the person who made it. Deviations and the "
            "corrective action taken are recorded, and a responsible person reviews the records as part of "
            "verification.\n\n"
            "In the United States, 21 CFR 117.190 and 117.305 set out which records a facility subject to the "
            "preventive controls rule must keep and what they must contain, including the date and time of the "
            "activity and the signature or initials of the person performing it."
        ),
    },
    {
        "slug": "us-major-allergens",
        "title": "Major food allergens in the United States (nine)",
        "reference": "FALCPA 2004; FASTER Act of 2021; 21 U.S.C. 343(w)",
        "jurisdiction": "US",
        "tags": ["allergens", "labelling", "sesame", "falcpa"],
        "body": (
            "The Food Allergen Labeling and Consumer Protection Act of 2004 (FALCPA) defined eight major food "
            "allergens: milk, eggs, fish, crustacean shellfish, tree nuts, peanuts, wheat and soybeans.\n\n"
            "The FASTER Act of 2021 added sesame as the ninth major food allergen, effective 1 January 2023. "
            "Since then the United States recognises nine major food allergens.\n\n"
            "Packaged foods regulated by FDA must declare a major food allergen either in the ingredient list "
            'with its food source name (for example "whey (milk)") or in a "Contains" statement next to the '
            "ingredient list. For tree nuts, fish and crustacean shellfish the specific species must be named "
            "(for example almond, cod, shrimp)."
        ),
    },
    {
        "slug": "eu-fourteen-allergens",
        "title": "The 14 allergens of EU food law",
        "reference": "Regulation (EU) 1169/2011, Annex II",
        "jurisdiction": "EU",
        "tags": ["allergens", "labelling", "eu"],
        "body": (
            "Annex II of Regulation (EU) 1169/2011 lists 14 substances or products causing allergies or "
            "intolerances: cereals containing gluten (wheat, rye, barley, oats, spelt, kamut); crustaceans; eggs; "
            "fish; peanuts; soybeans; milk (including lactose); nuts (almonds, hazelnuts, walnuts, cashews, "
            "pecan nuts, Brazil nuts, pistachio nuts, macadamia nuts); celery; mustard; sesame seeds; sulphur "
            "dioxide and sulphites at concentrations of more than 10 mg/kg or 10 mg/litre expressed as SO2; "
            "lupin; and molluscs.\n\n"
            "On prepacked food the allergen must be named in the list of ingredients and emphasised through a "
            "typeset that clearly distinguishes it from the rest of the list, for example bold type.\n\n"
            "For non-prepacked food (restaurants, bakeries, deli counters) allergen information must still be "
            "provided to the consumer; Member States may set how it is given."
        ),
    },
    {
        "slug": "allergens-other-jurisdictions",
        "title": "Priority allergens in Canada, the UK and Australia/New Zealand",
        "reference": (
            "Food and Drug Regulations (Canada); Food Standards Code 1.2.3 (FSANZ); UK Food Information Regulations"
        ),
        "jurisdiction": "International",
        "tags": ["allergens", "canada", "uk", "australia", "new zealand"],
        "body": (
            "Canada's priority food allergens are eggs, milk, mustard, peanuts, crustaceans and molluscs, fish, "
            "sesame seeds, soy, sulphites, tree nuts, and wheat and triticale; gluten sources and added sulphites "
            "also have to be declared.\n\n"
            "The United Kingdom kept the same 14 allergens as the EU. Since 1 October 2021 food prepacked for "
            "direct sale (PPDS) in England, Wales and Northern Ireland must carry a full ingredient list with "
            "allergens emphasised (often called Natasha's Law); Scotland has equivalent rules.\n\n"
            "In Australia and New Zealand, Standard 1.2.3 of the Food Standards Code requires declaration of "
            "peanut, tree nuts, milk, egg, sesame, fish, crustacea, mollusc, soy, lupin, wheat, gluten-containing "
            "cereals and added sulphites of 10 mg/kg or more. The Plain English Allergen Labelling (PEAL) rules "
            "require specific names and a bold allergen summary statement."
        ),
    },
    {
        "slug": "allergen-management-programme",
        "title": "Allergen management in a food plant",
        "reference": "21 CFR 117.135(c)(2); Codex CXC 80-2020",
        "jurisdiction": "International",
        "tags": ["allergens", "cross-contact", "cleaning", "labelling", "preventive controls"],
        "body": (
            "Allergen management prevents undeclared allergens reaching consumers, either through cross-contact "
            "or through a wrong label. Codex published a dedicated Code of Practice on Food Allergen Management "
            "for Food Business Operators (CXC 80-2020).\n\n"
            "Common controls are: an allergen map of ingredients, lines and products; segregated storage and "
            "handling; production scheduling (allergen-free products first); validated cleaning between "
            "allergen changeovers, verified for example by allergen-specific swabs; supplier information on "
            "allergen status; and training.\n\n"
            "Label control is as important as cross-contact control: checking that the right label and packaging "
            "are used at each changeover, and reviewing labels whenever a recipe or supplier changes. Under "
            "21 CFR 117.135 allergen controls are one type of preventive control and include labelling."
        ),
    },
    {
        "slug": "temperature-danger-zone",
        "title": "The temperature danger zone",
        "reference": "FDA Food Code 2022, 3-501",
        "jurisdiction": "US",
        "tags": ["temperature", "danger zone", "cold holding", "hot holding", "tcs"],
        "body": (
            "Pathogenic bacteria grow fastest between about 5°C and 57°C (41°F to 135°F). The FDA Food Code "
            "therefore requires time/temperature control for safety (TCS) foods to be held cold at 5°C (41°F) or "
            "below, or hot at 57°C (135°F) or above. USDA consumer advice rounds the zone to 40°F to 140°F "
            "(4°C to 60°C).\n\n"
            "The less time a TCS food spends in the danger zone, the safer it is. When time alone is used as the "
            "public health control, the Food Code allows ready-to-eat food to be kept without temperature "
            "control for up to 4 hours, after which it must be cooked and served, served, or discarded, with the "
            "time marked.\n\n"
            "Rules in other countries use similar values but differ in detail; in the EU the specific "
            "temperatures are set by national guidance and by food business operators' own HACCP-based "
            "procedures."
        ),
    },
    {
        "slug": "cooling-and-reheating",
        "title": "Cooling and reheating cooked food",
        "reference": "FDA Food Code 2022, 3-501.14 and 3-403.11",
        "jurisdiction": "US",
        "tags": ["cooling", "reheating", "temperature", "danger zone"],
        "body": (
            "Cooked TCS food must be cooled quickly. The FDA Food Code requires cooling from 57°C (135°F) to "
            "21°C (70°F) within 2 hours, and from 21°C (70°F) to 5°C (41°F) or below within a further 4 hours, "
            "so 6 hours in total.\n\n"
            "Ways to cool faster include dividing food into smaller or shallower portions, using ice baths or "
            "ice wands, blast chillers, and leaving containers loosely covered while cooling. Cooling should be "
            "checked with a calibrated thermometer.\n\n"
            "Cooked and cooled food reheated for hot holding must reach at least 74°C (165°F) for 15 seconds, "
            "and the reheating must be done within 2 hours."
        ),
    },
    {
        "slug": "cooking-temperatures",
        "title": "Minimum cooking temperatures",
        "reference": "FDA Food Code 2022, 3-401.11",
        "jurisdiction": "US",
        "tags": ["cooking", "temperature", "poultry", "ground meat"],
        "body": (
            "The FDA Food Code sets minimum internal cooking temperatures and holding times for raw animal "
            "foods. Poultry, stuffed foods and stuffing containing meat must reach 74°C (165°F) for less than "
            "1 second (instantaneous).\n\n"
            "Comminuted (ground) meat and fish, and injected meats, must reach 68°C (155°F) for 17 seconds. "
            "Whole-muscle meat such as steaks and chops, fish, and raw shell eggs cooked for immediate service "
            "must reach 63°C (145°F) for 15 seconds.\n\n"
            "USDA advice for consumers is 145°F for whole cuts of beef, pork, veal and lamb with a 3-minute "
            "rest, 160°F for ground meats, and 165°F for all poultry."
        ),
    },
    {
        "slug": "cold-chain",
        "title": "Cold chain basics",
        "reference": "21 CFR 1 Subpart O (sanitary transportation); Codex CXC 1-1969",
        "jurisdiction": "International",
        "tags": ["cold chain", "refrigeration", "frozen", "transport", "temperature"],
        "body": (
            "The cold chain keeps chilled and frozen food at a controlled temperature from production to the "
            "consumer. Chilled food is commonly kept at 5°C (41°F) or below, and frozen food at -18°C (0°F) "
            "or below.\n\n"
            "Controls include pre-cooling vehicles and containers before loading, temperature data loggers, "
            "documented specifications agreed between shipper and carrier, limits on door-open time, and checks "
            "of product temperature on receipt.\n\n"
            "In the United States the sanitary transportation rule (21 CFR 1 Subpart O) requires shippers, "
            "loaders, carriers and receivers to use sanitary practices, including temperature control where it "
            "is needed for safety."
        ),
    },
    {
        "slug": "fsma-preventive-controls",
        "title": "FSMA preventive controls for human food",
        "reference": "21 CFR 117",
        "jurisdiction": "US",
        "tags": ["fsma", "preventive controls", "food safety plan", "cgmp", "hazard analysis"],
        "body": (
            "The FSMA rule on Current Good Manufacturing Practice, Hazard Analysis, and Risk-Based Preventive "
            "Controls for Human Food (21 CFR 117) applies to facilities that must register with FDA. Subpart B "
            "contains the current good manufacturing practices; Subpart C the hazard analysis and preventive "
            "controls.\n\n"
            "A covered facility needs a written food safety plan containing a hazard analysis, preventive "
            "controls, a supply-chain program where needed, a recall plan, and procedures for monitoring, "
            "corrective actions and verification. Preventive controls include process controls, food allergen "
            "controls, sanitation controls and supply-chain controls.\n\n"
            "The food safety plan must be prepared, or its preparation overseen, by a preventive controls "
            "qualified individual (PCQI), and must be reanalysed at least once every three years, or sooner "
            "when something changes. Records required by the rule are kept for at least two years.\n\n"
            "Qualified facilities (very small businesses) are subject to modified requirements rather than the "
            "full hazard analysis and preventive controls."
        ),
    },
    {
        "slug": "pcqi",
        "title": "The preventive controls qualified individual (PCQI)",
        "reference": "21 CFR 117.180",
        "jurisdiction": "US",
        "tags": ["pcqi", "fsma", "preventive controls", "training", "fspca"],
        "body": (
            "A PCQI is a person qualified, through training under a standardised curriculum recognised by FDA "
            "or through job experience, to develop and apply a food safety system. The FSPCA (Food Safety "
            "Preventive Controls Alliance) course is the standardised curriculum most often used.\n\n"
            "Under 21 CFR 117.180 a PCQI must prepare or oversee the preparation of the food safety plan, "
            "validate the preventive controls, review records, and perform or oversee the reanalysis of the "
            "plan. The facility documents the PCQI's qualification.\n\n"
            "A PCQI does not need to be an employee of the facility, but the owner, operator or agent in charge "
            "of the facility signs and dates the food safety plan."
        ),
    },
    {
        "slug": "fsma-204-traceability",
        "title": "FSMA section 204: the food traceability rule",
        "reference": "21 CFR 1 Subpart S",
        "jurisdiction": "US",
        "tags": ["traceability", "fsma 204", "ftl", "kde", "cte", "lot code"],
        "body": (
            "FDA's food traceability rule (21 CFR 1 Subpart S), issued under section 204 of FSMA, sets "
            "additional recordkeeping for foods on the Food Traceability List (FTL), such as leafy greens, "
            "fresh-cut fruits and vegetables, shell eggs, nut butters, finfish, crustaceans and molluscan "
            "shellfish, and certain soft cheeses.\n\n"
            "Businesses that manufacture, process, pack or hold FTL foods keep Key Data Elements (KDEs) for "
            "Critical Tracking Events (CTEs): harvesting, cooling, initial packing, first land-based receiving "
            "of seafood, shipping, receiving and transformation. A traceability lot code links the records.\n\n"
            "Each covered business keeps a written traceability plan and must provide FDA, on request, with an "
            "electronic sortable spreadsheet of the relevant information within 24 hours during an outbreak "
            "or recall.\n\n"
            "The original compliance date was 20 January 2026; FDA has since extended it. Check FDA's current "
            "guidance for the date that applies."
        ),
    },
    {
        "slug": "fsma-produce-safety",
        "title": "FSMA produce safety rule",
        "reference": "21 CFR 112",
        "jurisdiction": "US",
        "tags": ["fsma", "produce", "agricultural water", "farms"],
        "body": (
            "The produce safety rule (21 CFR 112) sets science-based minimum standards for growing, harvesting, "
            "packing and holding produce on farms.\n\n"
            "Its main areas are agricultural water, biological soil amendments of animal origin (such as "
            "manure and compost), worker health, hygiene and training, domesticated and wild animals, "
            "equipment, tools and buildings, and sprouts, which have specific requirements because of their "
            "history of outbreaks.\n\n"
            "Farms below certain produce sales thresholds are exempt or eligible for a qualified exemption, and "
            "produce that is rarely consumed raw is not covered."
        ),
    },
    {
        "slug": "fsvp",
        "title": "Foreign Supplier Verification Programs (FSVP)",
        "reference": "21 CFR 1 Subpart L",
        "jurisdiction": "US",
        "tags": ["fsvp", "import", "fsma", "supplier verification"],
        "body": (
            "Under the FSVP rule (21 CFR 1 Subpart L), a US importer of food must verify that its foreign "
            "suppliers produce food with the same level of public health protection as US preventive controls "
            "or produce safety rules, and that the food is not adulterated or misbranded with respect to "
            "allergen labelling.\n\n"
            "The importer analyses the hazards of each food, evaluates the supplier's performance and the "
            "risk of the food, approves suppliers, and carries out supplier verification activities such as "
            "onsite audits, sampling and testing, or review of the supplier's food safety records.\n\n"
            "The FSVP importer is identified at entry, and the programme is kept in writing and reassessed "
            "when new information about a hazard or supplier comes to light."
        ),
    },
    {
        "slug": "intentional-adulteration",
        "title": "Food defence: the intentional adulteration rule",
        "reference": "21 CFR 121",
        "jurisdiction": "US",
        "tags": ["food defense", "intentional adulteration", "tampering", "fsma"],
        "body": (
            "FDA's intentional adulteration rule (21 CFR 121) requires larger registered facilities to protect "
            "food against acts intended to cause wide-scale public health harm, including acts of terrorism.\n\n"
            "A facility prepares a written food defence plan with a vulnerability assessment of each step of "
            "its process, identifies actionable process steps, and puts mitigation strategies in place with "
            "monitoring, corrective actions and verification. Staff assigned to actionable process steps "
            "receive food defence awareness training.\n\n"
            "Food defence addresses deliberate harm; food fraud (economically motivated adulteration) is "
            "handled separately, through vulnerability assessments and supply-chain controls."
        ),
    },
    {
        "slug": "eu-food-information",
        "title": "EU food labelling: the mandatory particulars",
        "reference": "Regulation (EU) 1169/2011",
        "jurisdiction": "EU",
        "tags": ["labelling", "eu", "food information", "nutrition declaration"],
        "body": (
            "Regulation (EU) 1169/2011 on the provision of food information to consumers lists in Article 9 "
            "the mandatory particulars for prepacked food: the name of the food; the list of ingredients; "
            "allergens; the quantity of certain ingredients (QUID); the net quantity; the date of minimum "
            "durability or the use-by date; special storage conditions or conditions of use; the name or "
            "business name and address of the food business operator; the country of origin or place of "
            "provenance where required; instructions for use where needed; the actual alcoholic strength by "
            "volume for beverages with more than 1.2% alcohol; and a nutrition declaration.\n\n"
            "Mandatory information must be legible: the x-height of the font must be at least 1.2 mm, or "
            "0.9 mm on packages whose largest surface is less than 80 cm².\n\n"
            "The mandatory nutrition declaration gives energy, fat, saturates, carbohydrate, sugars, protein "
            "and salt, expressed per 100 g or per 100 ml."
        ),
    },
    {
        "slug": "use-by-best-before",
        "title": "Use-by and best-before dates",
        "reference": "Regulation (EU) 1169/2011, Article 24 and Annex X",
        "jurisdiction": "EU",
        "tags": ["date marking", "shelf life", "use by", "best before", "labelling"],
        "body": (
            'EU law distinguishes two date marks. A "use by" date is required for foods that are highly '
            "perishable from a microbiological point of view and could therefore present an immediate danger "
            "to health after a short period; after the use-by date such food is deemed unsafe.\n\n"
            'Other foods carry a date of minimum durability, "best before", which indicates until when the food '
            "keeps its specific properties when properly stored. Food past its best-before date is not "
            "automatically unsafe.\n\n"
            "Setting the shelf life is the food business operator's responsibility and should be supported by "
            "evidence, for example shelf-life studies or challenge tests for Listeria monocytogenes in "
            "ready-to-eat foods."
        ),
    },
    {
        "slug": "eu-general-food-law",
        "title": "EU General Food Law: safety, traceability and responsibility",
        "reference": "Regulation (EC) 178/2002",
        "jurisdiction": "EU",
        "tags": ["general food law", "traceability", "eu", "efsa", "rasff"],
        "body": (
            "Regulation (EC) 178/2002 lays down the general principles of EU food law and established the "
            "European Food Safety Authority (EFSA) and the Rapid Alert System for Food and Feed (RASFF).\n\n"
            "Article 14 prohibits placing unsafe food on the market. Food business operators have primary "
            "responsibility for ensuring that the food they handle meets the requirements of food law.\n\n"
            "Article 18 requires traceability at all stages: each business must be able to identify who "
            "supplied it with a food or ingredient and to whom it supplied its products (one step back, one "
            "step forward).\n\n"
            "Article 19 requires an operator who considers that a food it placed on the market is not safe to "
            "withdraw it, inform the competent authorities, and, where the product may have reached consumers, "
            "inform them and recall it."
        ),
    },
    {
        "slug": "eu-hygiene-package",
        "title": "The EU food hygiene package",
        "reference": "Regulation (EC) 852/2004; Regulation (EC) 853/2004",
        "jurisdiction": "EU",
        "tags": ["hygiene", "eu", "haccp", "animal origin"],
        "body": (
            "Regulation (EC) 852/2004 on the hygiene of foodstuffs applies to all food business operators. "
            "Article 5 requires them to put in place, implement and maintain permanent procedures based on the "
            "HACCP principles, with flexibility for small businesses. Annex II sets general hygiene "
            "requirements for premises, equipment, personnel, water, waste and training.\n\n"
            "Regulation (EC) 853/2004 adds specific hygiene rules for food of animal origin, such as meat, "
            "fish, milk and eggs, including the approval of establishments and identification marks.\n\n"
            "Official controls by the competent authorities are governed by Regulation (EU) 2017/625."
        ),
    },
    {
        "slug": "eu-microbiological-criteria",
        "title": "EU microbiological criteria and Listeria in ready-to-eat food",
        "reference": "Regulation (EC) 2073/2005",
        "jurisdiction": "EU",
        "tags": ["listeria", "microbiological criteria", "ready-to-eat", "eu", "salmonella"],
        "body": (
            "Regulation (EC) 2073/2005 sets food safety criteria and process hygiene criteria for "
            "micro-organisms in food. Food safety criteria define when a batch is acceptable; process hygiene "
            "criteria indicate whether the production process works acceptably.\n\n"
            "For ready-to-eat foods able to support the growth of Listeria monocytogenes, the limit is 100 "
            "cfu/g throughout the shelf life where the producer can demonstrate that this will not be exceeded; "
            "otherwise Listeria monocytogenes must be absent in 25 g before the food leaves the producer's "
            "control.\n\n"
            "Food business operators producing ready-to-eat foods that may pose a Listeria risk must sample "
            "processing areas and equipment for Listeria as part of their sampling plan."
        ),
    },
    {
        "slug": "us-recalls",
        "title": "Recalls in the United States: classes and the recall plan",
        "reference": "21 CFR 7; 21 CFR 117.139",
        "jurisdiction": "US",
        "tags": ["recall", "withdrawal", "reportable food registry", "fda"],
        "body": (
            "FDA classifies recalls by risk. Class I: a reasonable probability that the product will cause "
            "serious adverse health consequences or death. Class II: the product may cause temporary or "
            "medically reversible adverse health consequences, or the probability of serious consequences is "
            "remote. Class III: the product is not likely to cause adverse health consequences.\n\n"
            "A market withdrawal is the removal or correction of a product with a minor violation that would "
            "not be subject to FDA legal action.\n\n"
            "Facilities under 21 CFR 117 need a written recall plan (117.139) when a hazard requires a "
            "preventive control: procedures to notify consignees and the public when needed, to check the "
            "recall's effectiveness, and to dispose of the recalled product. Mock recalls test whether the "
            "plan and traceability records work.\n\n"
            "Through the Reportable Food Registry, a responsible party must report to FDA within 24 hours once "
            "it determines that there is a reasonable probability that a food will cause serious adverse "
            "health consequences or death."
        ),
    },
    {
        "slug": "eu-withdrawal-recall",
        "title": "Withdrawal and recall in the EU",
        "reference": "Regulation (EC) 178/2002, Article 19",
        "jurisdiction": "EU",
        "tags": ["recall", "withdrawal", "eu", "rasff"],
        "body": (
            "In EU practice a withdrawal removes an unsafe product from the supply chain before it reaches "
            "consumers, while a recall retrieves it from consumers, who are informed and asked to return or "
            "discard it.\n\n"
            "Under Article 19 of Regulation (EC) 178/2002, the operator must act immediately, inform the "
            "competent authority, and cooperate with it. Retailers and distributors must pass on traceability "
            "information and take part in the actions.\n\n"
            "When a serious risk is found, Member States notify it through RASFF so that other countries can "
            "act. A tested recall procedure, up-to-date contact lists and reliable traceability records are the "
            "operator's best preparation."
        ),
    },
    {
        "slug": "gfsi-overview",
        "title": "GFSI and the recognised certification programmes",
        "reference": "GFSI Benchmarking Requirements",
        "jurisdiction": "GFSI",
        "tags": ["gfsi", "certification", "brcgs", "sqf", "fssc 22000", "ifs", "audit"],
        "body": (
            "The Global Food Safety Initiative (GFSI), coordinated by the Consumer Goods Forum, does not certify "
            "companies itself. It benchmarks certification programmes against its requirements and recognises "
            "those that meet them, so that one recognised certificate can be accepted by many buyers.\n\n"
            "Widely used GFSI-recognised programmes for food manufacturing include BRCGS Food Safety, SQF, "
            "FSSC 22000 and IFS Food. Others cover primary production, packaging, storage and distribution.\n\n"
            "Certification is carried out by accredited certification bodies whose auditors are qualified "
            "for the scheme. Recognised programmes also require food fraud vulnerability assessment and food "
            "defence measures."
        ),
    },
    {
        "slug": "brcgs-food-safety",
        "title": "BRCGS Global Standard for Food Safety",
        "reference": "BRCGS Food Safety Issue 9",
        "jurisdiction": "GFSI",
        "tags": ["brcgs", "gfsi", "certification", "audit"],
        "body": (
            "The BRCGS Global Standard for Food Safety, originally developed by British retailers, is a "
            "GFSI-recognised standard for food manufacturers. Issue 9 was published in 2022.\n\n"
            "Its requirements cover senior management commitment and food safety culture, a HACCP plan based "
            "on Codex, the food safety and quality management system, site standards, product control "
            "(including allergens and product authenticity), process control and personnel.\n\n"
            "Sites are audited either announced or unannounced, and graded according to the number and "
            "severity of non-conformities, from AA (the best) to D."
        ),
    },
    {
        "slug": "sqf",
        "title": "SQF (Safe Quality Food) codes",
        "reference": "SQF Code, Edition 9",
        "jurisdiction": "GFSI",
        "tags": ["sqf", "gfsi", "certification", "sqf practitioner"],
        "body": (
            "The SQF programme is owned by the Safe Quality Food Institute, a division of FMI (The Food Industry "
            "Association). Its Food Safety Codes are GFSI-recognised and are organised by industry sector; the "
            "Quality Code can be added on top of food safety certification, and the Fundamentals codes are an "
            "entry level for smaller sites.\n\n"
            "Each certified site must designate an SQF practitioner who is employed by the site, has completed "
            "HACCP training, and is responsible for developing, implementing and maintaining the SQF system.\n\n"
            "Audits are carried out by licensed certification bodies; certification is renewed through annual "
            "recertification audits."
        ),
    },
    {
        "slug": "fssc-22000",
        "title": "FSSC 22000",
        "reference": "FSSC 22000 Version 6; ISO 22000:2018; ISO/TS 22002-1",
        "jurisdiction": "GFSI",
        "tags": ["fssc 22000", "iso 22000", "gfsi", "certification"],
        "body": (
            "FSSC 22000, owned by the Foundation FSSC, is a GFSI-recognised certification scheme built on the "
            "ISO 22000 food safety management system standard, sector-specific prerequisite programme standards "
            "such as ISO/TS 22002-1 for food manufacturing, and additional FSSC requirements.\n\n"
            "The additional requirements include, for example, food defence, food fraud mitigation, allergen "
            "management, environmental monitoring, food safety and quality culture, and management of services "
            "and purchased materials. Version 6 was published in 2023.\n\n"
            "Because it is based on ISO 22000, FSSC 22000 follows the ISO high-level structure, which makes it "
            "easier to integrate with ISO 9001 or ISO 14001 management systems."
        ),
    },
    {
        "slug": "ifs-food",
        "title": "IFS Food",
        "reference": "IFS Food Version 8",
        "jurisdiction": "GFSI",
        "tags": ["ifs", "gfsi", "certification", "audit"],
        "body": (
            "IFS Food is a GFSI-recognised standard for auditing food manufacturers, developed by German, "
            "French and Italian retail associations and widely required by European retailers. Version 8 was "
            "published in 2023.\n\n"
            "IFS audits score each requirement; certain requirements are designated knock-out (KO) "
            "requirements, and failing one prevents certification. Sites are certified at a foundation or a "
            "higher level depending on the score.\n\n"
            "The standard covers governance and commitment, the food safety and quality management system, "
            "resource management, operational processes, measurement and improvement, and food defence."
        ),
    },
    {
        "slug": "iso-22000",
        "title": "ISO 22000 food safety management systems",
        "reference": "ISO 22000:2018",
        "jurisdiction": "International",
        "tags": ["iso 22000", "fsms", "oprp", "haccp"],
        "body": (
            "ISO 22000:2018 specifies requirements for a food safety management system for any organisation in "
            "the food chain. It combines interactive communication, system management, prerequisite "
            "programmes and HACCP principles.\n\n"
            "It distinguishes prerequisite programmes (PRPs), operational prerequisite programmes (OPRPs) and "
            "CCPs. An OPRP is a control measure applied to prevent or reduce a significant hazard to an "
            "acceptable level, with an action criterion and measurement or observation, but without a critical "
            "limit in the HACCP sense.\n\n"
            "The 2018 version uses the ISO high-level structure and two Plan-Do-Check-Act cycles: one for the "
            "management system and one for the operational HACCP principles. ISO 22000 certification alone is "
            "not GFSI-recognised; FSSC 22000 adds what is needed."
        ),
    },
    {
        "slug": "listeria-control",
        "title": "Controlling Listeria monocytogenes",
        "reference": "Regulation (EC) 2073/2005; FDA draft guidance on Listeria in RTE foods",
        "jurisdiction": "International",
        "tags": ["listeria", "ready-to-eat", "environmental monitoring", "pathogens", "sanitation"],
        "body": (
            "Listeria monocytogenes is a bacterium that can grow at refrigeration temperatures and survive for "
            "long periods in food plants, especially in cool, wet places such as drains, floors, condensate, "
            "hollow rollers and worn gaskets. Listeriosis is rare but serious; pregnant women, newborns, older "
            "adults and people with weakened immunity are most at risk.\n\n"
            "The main risk is recontamination of ready-to-eat food after a lethal step such as cooking. "
            "Controls include hygienic design of equipment and premises, separation of raw and ready-to-eat "
            "areas, controlled traffic of people and equipment, keeping areas dry, effective cleaning and "
            "sanitising, and an environmental monitoring programme that looks for Listeria spp.\n\n"
            "Product formulation can limit growth (low pH, low water activity, growth inhibitors), and "
            "post-packaging treatments such as high-pressure processing can reduce it. Shelf life should be "
            "set with the growth potential of Listeria in mind."
        ),
    },
    {
        "slug": "salmonella-control",
        "title": "Controlling Salmonella, especially in low-moisture foods",
        "reference": "Codex CXC 75-2015 (low-moisture foods)",
        "jurisdiction": "International",
        "tags": ["salmonella", "low-moisture", "pathogens", "dry cleaning", "validation"],
        "body": (
            "Salmonella is associated with poultry, eggs and meat, but also with low-moisture foods such as "
            "peanut butter, spices, flour, chocolate and powdered milk. It does not grow in dry food but can "
            "survive in it for months, and its heat resistance increases when water activity is low.\n\n"
            "Codex has a Code of Hygienic Practice for Low-Moisture Foods (CXC 75-2015). Key controls are a "
            "validated lethal step (for example roasting or pasteurisation) for the specific product, strict "
            "separation between areas before and after the lethal step, preventing water in dry areas, dry "
            "cleaning methods, and monitoring of the environment for Salmonella and indicator organisms such "
            "as Enterobacteriaceae.\n\n"
            "Because a kill step validated for a wet product may not work in a dry one, validation must be "
            "done in the actual product at its actual water activity."
        ),
    },
    {
        "slug": "environmental-monitoring",
        "title": "Environmental monitoring programmes",
        "reference": "FSSC 22000 additional requirements; FDA draft guidance on Listeria in RTE foods",
        "jurisdiction": "International",
        "tags": ["environmental monitoring", "zones", "listeria", "salmonella", "swabbing", "sanitation"],
        "body": (
            "An environmental monitoring programme (EMP) samples the processing environment to verify that "
            "sanitation and hygiene controls work and to find harbourage sites before they contaminate product. "
            "It targets the organisms relevant to the product, such as Listeria spp. in wet ready-to-eat "
            "areas or Salmonella and Enterobacteriaceae in dry areas.\n\n"
            "Sampling sites are commonly organised in zones: zone 1 is food-contact surfaces; zone 2 is "
            "non-food-contact surfaces close to food contact; zone 3 is more distant surfaces within the "
            "processing area, such as floors and drains; zone 4 is areas outside processing, such as "
            "corridors and locker rooms.\n\n"
            "A good programme is a seek-and-destroy effort: positives lead to corrective actions, intensified "
            "and vector sampling around the positive site, and root-cause analysis. Results are trended over "
            "time, and the plan is reviewed when layout, equipment or products change."
        ),
    },
    {
        "slug": "cleaning-and-sanitation",
        "title": "Cleaning and sanitising",
        "reference": "21 CFR 117.35; 21 CFR 117.135(c)(3)",
        "jurisdiction": "International",
        "tags": ["sanitation", "cleaning", "ssop", "cip", "atp"],
        "body": (
            "Cleaning removes soil, food residues and allergens; sanitising reduces the remaining "
            "micro-organisms to a safe level. Sanitising an unclean surface does not work well, because soil "
            "protects micro-organisms and inactivates many sanitisers.\n\n"
            "A typical wet-cleaning sequence is: dry clean to remove debris, pre-rinse, apply detergent with "
            "mechanical action, rinse, inspect, apply sanitiser at the right concentration and contact time, "
            "and allow to dry. Clean-in-place (CIP) systems for pipework and tanks follow a validated cycle of "
            "time, temperature, concentration and flow.\n\n"
            "Written sanitation procedures (often called SSOPs) say what is cleaned, how, how often and by "
            "whom. Effectiveness is verified by visual inspection, ATP bioluminescence, allergen swabs and "
            "microbiological testing. Under 21 CFR 117, sanitation controls are a preventive control where they "
            "are needed to control environmental pathogens or allergen cross-contact."
        ),
    },
    {
        "slug": "personal-hygiene",
        "title": "Personal hygiene and worker health",
        "reference": "FDA Food Code 2022, 2-201 and 2-301; Regulation (EC) 852/2004, Annex II, Chapter VIII",
        "jurisdiction": "International",
        "tags": ["hygiene", "handwashing", "illness", "norovirus", "workers"],
        "body": (
            "Food handlers can contaminate food with pathogens such as norovirus, hepatitis A virus, Shigella "
            "and Salmonella. Good personal hygiene is one of the most important prerequisite programmes.\n\n"
            "Hands are washed thoroughly with soap and water, for at least 20 seconds under the FDA Food Code, "
            "before work, after using the toilet, after handling raw food or waste, and whenever they may have "
            "become contaminated. Clean protective clothing, hair restraints and rules on jewellery complete "
            "the controls.\n\n"
            "Workers must report symptoms such as vomiting, diarrhoea, jaundice or infected wounds, and be "
            "excluded or restricted from food handling. The FDA Food Code names norovirus, hepatitis A virus, "
            "Shigella, Shiga toxin-producing E. coli, Salmonella Typhi and nontyphoidal Salmonella as "
            "reportable illnesses for food employees."
        ),
    },
    {
        "slug": "pest-control",
        "title": "Pest control programmes",
        "reference": "21 CFR 117.35(c); Regulation (EC) 852/2004, Annex II",
        "jurisdiction": "International",
        "tags": ["pest control", "prp", "hygiene"],
        "body": (
            "Pests such as rodents, insects and birds carry pathogens and contaminate food physically. Pest "
            "control is a prerequisite programme required by both US and EU hygiene rules.\n\n"
            "An effective programme focuses on prevention: building maintenance that denies entry (sealed "
            "gaps, screens, closed doors), good housekeeping that denies food and shelter, and monitoring "
            "devices placed according to a site map. Baits and pesticides are used so that they cannot "
            "contaminate food; toxic rodent baits are not used inside production areas.\n\n"
            "Many sites use a licensed pest control contractor, with service reports, trend analysis of "
            "activity and follow-up of recommendations."
        ),
    },
    {
        "slug": "supplier-approval",
        "title": "Supplier approval and supply-chain controls",
        "reference": "21 CFR 117 Subpart G; GFSI Benchmarking Requirements",
        "jurisdiction": "International",
        "tags": ["supplier approval", "supply chain", "raw materials", "audit"],
        "body": (
            "Supplier approval makes sure that raw materials, ingredients and packaging come from suppliers "
            "able to meet the buyer's safety and quality requirements. It usually combines a risk assessment "
            "of the material, questionnaires, certificates (such as GFSI-recognised certification), audits, and "
            "specifications agreed in writing.\n\n"
            "Approved suppliers are monitored through incoming inspection, certificates of analysis, testing, "
            "complaint and non-conformity history, and periodic review.\n\n"
            "Under 21 CFR 117 Subpart G, when a manufacturing facility relies on its supplier to control a "
            "hazard, it needs a supply-chain program with approved suppliers and verification activities such "
            "as audits, sampling and testing, or record review."
        ),
    },
    {
        "slug": "acidity-water-activity",
        "title": "pH and water activity as controls; low-acid and acidified foods",
        "reference": "21 CFR 113; 21 CFR 114",
        "jurisdiction": "US",
        "tags": ["ph", "water activity", "clostridium botulinum", "canning", "acidified foods"],
        "body": (
            "Acidity (pH) and water activity (aw) limit which micro-organisms can grow. Clostridium botulinum, "
            "whose toxin causes botulism, does not grow at a pH of 4.6 or below, which is why 4.6 is the "
            "dividing line between acid and low-acid foods.\n\n"
            "In the United States, thermally processed low-acid foods in hermetically sealed containers (pH "
            "above 4.6 and water activity above 0.85) are regulated under 21 CFR 113, and acidified foods under "
            "21 CFR 114. Processors must use scheduled processes established by a qualified process authority "
            "and have supervisors trained at an approved school.\n\n"
            "Combining several mild controls (pH, aw, preservatives, chilling) is known as hurdle technology; "
            "the combination should be validated for the product."
        ),
    },
    {
        "slug": "food-fraud",
        "title": "Food fraud and vulnerability assessment",
        "reference": "GFSI Benchmarking Requirements; FSSC 22000",
        "jurisdiction": "International",
        "tags": ["food fraud", "ema", "adulteration", "vaccp", "authenticity"],
        "body": (
            "Food fraud is deliberate deception about food for economic gain. Common types are substitution "
            "(replacing an ingredient with a cheaper one), dilution, mislabelling (origin, species, organic or "
            "halal status), counterfeiting, concealment of poor quality, and the addition of unapproved "
            "substances to enhance apparent quality.\n\n"
            "GFSI-recognised schemes require a documented food fraud vulnerability assessment of raw "
            "materials and a mitigation plan. Factors considered include the history of fraud for the "
            "material, economic incentives, the complexity of the supply chain, and how easily fraud could be "
            "detected.\n\n"
            "Mitigations include shorter and more transparent supply chains, supplier audits, authenticity "
            "testing (for example DNA or isotope methods), and specifications with identity criteria."
        ),
    },
    {
        "slug": "vaccp-taccp",
        "title": "VACCP and TACCP",
        "reference": "PAS 96:2017",
        "jurisdiction": "International",
        "tags": ["vaccp", "taccp", "food fraud", "food defense", "tampering"],
        "body": (
            "VACCP (Vulnerability Assessment and Critical Control Points) and TACCP (Threat Assessment and "
            "Critical Control Points) apply HACCP-style thinking to deliberate acts rather than accidental "
            "hazards.\n\n"
            "VACCP focuses on economically motivated adulteration, that is food fraud: where in the supply "
            "chain could someone substitute, dilute or mislabel for gain? TACCP focuses on malicious threats "
            "such as tampering, sabotage, extortion or ideologically motivated contamination, and also covers "
            "cyber threats.\n\n"
            "The British Standards Institution's PAS 96 (most recently the 2017 edition) gives guidance on "
            "protecting food and drink from deliberate attack and describes the TACCP process."
        ),
    },
    {
        "slug": "halal-basics",
        "title": "Halal food basics",
        "reference": "GSO 2055-1; MS 1500",
        "jurisdiction": "International",
        "tags": ["halal", "certification", "religious dietary laws"],
        "body": (
            "Halal means permissible under Islamic law. Food that is not halal (haram) includes pork and its "
            "derivatives, blood, carrion, meat from animals not slaughtered according to Islamic rules, and "
            "intoxicants such as alcoholic drinks.\n\n"
            "Halal production requires that ingredients, processing aids and additives (for example gelatine, "
            "enzymes or flavour carriers) come from halal sources, and that halal products are kept separate "
            "from non-halal materials in storage, production and transport, with cleaning where equipment is "
            "shared.\n\n"
            "Halal certification is issued by certification bodies; requirements differ between countries and "
            "importing markets, for example the Gulf standard GSO 2055-1 and the Malaysian standard MS 1500. "
            "Exporters check which certifiers the destination market accepts."
        ),
    },
    {
        "slug": "kosher-basics",
        "title": "Kosher food basics",
        "reference": "Kashrut (Jewish dietary laws)",
        "jurisdiction": "International",
        "tags": ["kosher", "certification", "religious dietary laws", "pareve"],
        "body": (
            "Kosher food complies with kashrut, the Jewish dietary laws. Only certain animals are permitted: "
            "mammals that chew the cud and have split hooves (so not pork), traditional kosher poultry, and "
            "fish with fins and scales (so not shellfish). Meat and poultry must be slaughtered by shechita and "
            "prepared according to the rules.\n\n"
            "Kosher food is classed as meat, dairy or pareve (neither). Meat and dairy are not mixed, and "
            "equipment used for one is kept separate from the other; pareve products must not contain meat or "
            "dairy derivatives. Passover has additional rules, notably excluding chametz (leavened grain "
            "products).\n\n"
            "Kosher certification agencies supervise production, often through an on-site supervisor "
            "(mashgiach), and authorise a symbol (hechsher) on the label."
        ),
    },
    {
        "slug": "organic-basics",
        "title": "Organic certification in the US and the EU",
        "reference": "7 CFR 205 (USDA National Organic Program); Regulation (EU) 2018/848",
        "jurisdiction": "International",
        "tags": ["organic", "certification", "labelling", "nop"],
        "body": (
            "In the United States the USDA National Organic Program (7 CFR 205) governs organic claims. A "
            'product labelled "100 percent organic" contains only organic ingredients; "organic" requires at '
            'least 95 percent organic ingredients (excluding water and salt); "made with organic ..." requires '
            "at least 70 percent. Operations are certified by USDA-accredited certifying agents.\n\n"
            "In the EU, Regulation (EU) 2018/848 has applied since 1 January 2022. Prepacked organic food "
            "produced in the EU carries the EU organic logo, with the code of the control body and an "
            "indication of where the agricultural raw materials were farmed.\n\n"
            "Both systems prohibit genetically modified organisms and restrict synthetic pesticides and "
            "fertilisers, and both require segregation of organic from non-organic products and records that "
            "allow the organic status to be traced."
        ),
    },
    {
        "slug": "traceability-mock-recall",
        "title": "Traceability systems and mock recalls",
        "reference": "Regulation (EC) 178/2002, Article 18; 21 CFR 1 Subpart J",
        "jurisdiction": "International",
        "tags": ["traceability", "mock recall", "lot code", "recall"],
        "body": (
            "Traceability is the ability to follow a food through production, processing and distribution. "
            "At minimum a business records its immediate suppliers and immediate customers (one step back, "
            "one step forward), as required in the EU by Article 18 of Regulation (EC) 178/2002 and in the "
            "United States by the records rule in 21 CFR 1 Subpart J.\n\n"
            "Internal traceability links incoming lots to the finished lots they went into, through batch "
            "records and lot codes, so that a problem ingredient can be traced to every affected product.\n\n"
            "A mock recall exercises the system: pick a finished lot or a raw material lot, trace it in both "
            "directions, and measure how long it takes and what proportion of the product is accounted for. "
            "Certification schemes require such tests at least once a year."
        ),
    },
    # --- translations (linked to their English original) ----------------------------
    {
        "slug": "haccp-seven-principles",
        "translation_of": "haccp-seven-principles",
        "language": "es",
        "title": "Los siete principios del APPCC (HACCP)",
        "reference": "Codex CXC 1-1969 (Principios generales de higiene de los alimentos)",
        "jurisdiction": "Codex",
        "tags": ["appcc", "haccp", "pcc", "límites críticos", "vigilancia"],
        "body": (
            "El APPCC (Análisis de Peligros y Puntos de Control Críticos, en inglés HACCP) es un enfoque "
            "sistemático y preventivo de la inocuidad de los alimentos, descrito por el Codex Alimentarius en "
            "siete principios.\n\n"
            "Principio 1: realizar un análisis de peligros e identificar las medidas de control. Principio 2: "
            "determinar los puntos de control críticos (PCC). Principio 3: establecer límites críticos "
            "validados para cada PCC.\n\n"
            "Principio 4: establecer un sistema de vigilancia del control de cada PCC. Principio 5: establecer "
            "las medidas correctivas que deben adoptarse cuando la vigilancia indica una desviación.\n\n"
            "Principio 6: validar el plan APPCC y establecer procedimientos de verificación. Principio 7: "
            "establecer la documentación de todos los procedimientos y registros apropiados."
        ),
    },
    {
        "slug": "haccp-seven-principles",
        "translation_of": "haccp-seven-principles",
        "language": "fr",
        "title": "Les sept principes HACCP",
        "reference": "Codex CXC 1-1969 (Principes généraux d'hygiène alimentaire)",
        "jurisdiction": "Codex",
        "tags": ["haccp", "ccp", "limites critiques", "surveillance"],
        "body": (
            "Le HACCP (analyse des dangers et points critiques pour leur maîtrise) est une démarche "
            "systématique et préventive de la sécurité des aliments, décrite par le Codex Alimentarius en sept "
            "principes.\n\n"
            "Principe 1 : procéder à une analyse des dangers et identifier les mesures de maîtrise. Principe 2 : "
            "déterminer les points critiques pour la maîtrise (CCP). Principe 3 : fixer des limites critiques "
            "validées pour chaque CCP.\n\n"
            "Principe 4 : mettre en place un système de surveillance de chaque CCP. Principe 5 : définir les "
            "actions correctives à mener lorsque la surveillance révèle un écart.\n\n"
            "Principe 6 : valider le plan HACCP et établir des procédures de vérification. Principe 7 : établir "
            "la documentation de toutes les procédures et les enregistrements appropriés."
        ),
    },
    {
        "slug": "eu-fourteen-allergens",
        "translation_of": "eu-fourteen-allergens",
        "language": "de",
        "title": "Die 14 Hauptallergene im EU-Lebensmittelrecht",
        "reference": "Verordnung (EU) Nr. 1169/2011, Anhang II",
        "jurisdiction": "EU",
        "tags": ["allergene", "kennzeichnung", "eu"],
        "body": (
            "Anhang II der Verordnung (EU) Nr. 1169/2011 nennt 14 Stoffe oder Erzeugnisse, die Allergien oder "
            "Unverträglichkeiten auslösen: glutenhaltiges Getreide (Weizen, Roggen, Gerste, Hafer, Dinkel, "
            "Kamut); Krebstiere; Eier; Fisch; Erdnüsse; Sojabohnen; Milch (einschließlich Laktose); "
            "Schalenfrüchte (Mandeln, Haselnüsse, Walnüsse, Kaschunüsse, Pecannüsse, Paranüsse, Pistazien, "
            "Macadamianüsse); Sellerie; Senf; Sesamsamen; Schwefeldioxid und Sulphite in Konzentrationen von "
            "mehr als 10 mg/kg oder 10 mg/l als SO2; Lupinen; und Weichtiere.\n\n"
            "Bei vorverpackten Lebensmitteln muss das Allergen im Zutatenverzeichnis genannt und durch die "
            "Schriftart hervorgehoben werden, zum Beispiel durch Fettdruck.\n\n"
            "Auch bei loser Ware (Gastronomie, Bäckereien, Bedientheken) müssen Allergeninformationen für die "
            "Verbraucher verfügbar sein."
        ),
    },
]
