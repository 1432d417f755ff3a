"""Demo leads, WhatsApp templates and a nurturing sequence for local runs
(``manage.py seed_demo``). Idempotent: existing rows are left as they are."""

from decimal import Decimal

from accounts.demo import ensure_demo_users
from accounts.models import User
from experts.models import Specialization
from leads import services
from leads.models import Lead, MessageTemplate, NurtureSequence, NurtureStep

TEMPLATES = [
    (
        "intro",
        "Hello {{contact_name}}, this is {{agent_name}} from FoodXchange. We have vetted experts ready to help "
        "{{company_name}}. Would a short call this week suit you?",
        ["contact_name", "agent_name", "company_name"],
    ),
    (
        "follow-up",
        "Hi {{contact_name}}, just checking in: are you still looking for support with {{topic}}?",
        ["contact_name", "topic"],
    ),
    (
        "nurture-1",
        "Hi {{contact_name}}, {{agent_name}} here. Happy to share expert profiles that fit {{company_name}}.",
        ["contact_name", "agent_name", "company_name"],
    ),
    (
        "nurture-2",
        "Hello {{contact_name}}, a last note from FoodXchange: reply to this message whenever you need an expert.",
        ["contact_name"],
    ),
]

# company, contact, email, phone, country, source, specialization slug, value, currency, status
LEADS = [
    ("Nordic Dairy AB", "Sara Lind", "sara@nordicdairy.example", "+46701234567", "SE", "event", "dairy",
     "25000", "SEK", "qualified"),
    ("Bayside Bakery", "Tom Reed", "tom@baysidebakery.example", "+14155550142", "US", "website", "bakery-cereals",
     "4800", "USD", "contacted"),
    ("Halal Meats GmbH", "Amir Yousef", "amir@halalmeats.example", "+4930123456", "DE", "referral",
     "halal-certification", "60000", "EUR", "proposal"),
    ("Green Sprout Foods", "Lena Park", "lena@greensprout.example", "", "GB", "outbound", "plant-based-foods",
     "12000", "GBP", "new"),
    ("Pacific Seafood Co", "Kai Nakamura", "", "+14155550177", "US", "whatsapp", "seafood", None, "USD", "new"),
    ("Andes Coffee Export", "Lucia Rojas", "lucia@andescoffee.example", "", "CO", "rfq", "import-export",
     "8000", "USD", "lost"),
    ("Maple Beverages", "Ethan Clark", "ethan@maplebev.example", "+16475550123", "CA", "event", "beverages",
     "30000", "CAD", "proposal"),
]  # fmt: skip


def _templates() -> dict[str, MessageTemplate]:
    result = {}
    for name, body, variables in TEMPLATES:
        template, _ = MessageTemplate.objects.get_or_create(name=name, defaults={"body": body, "variables": variables})
        result[name] = template
    return result


def _sequence(templates: dict[str, MessageTemplate]) -> NurtureSequence:
    sequence, created = NurtureSequence.objects.get_or_create(
        name="Quiet new leads", defaults={"is_default": True, "statuses": ["new", "contacted"]}
    )
    if created:
        NurtureStep.objects.create(sequence=sequence, position=1, wait_days=3, template=templates["nurture-1"])
        NurtureStep.objects.create(sequence=sequence, position=2, wait_days=7, template=templates["nurture-2"])
    return sequence


def _walk_to(lead: Lead, status: str, agent: User) -> None:
    path = {"contacted": ["contacted"], "qualified": ["contacted", "qualified"]}
    path["proposal"] = [*path["qualified"], "proposal"]
    path["lost"] = ["lost"]
    for step in path.get(status, []):
        services.update_lead(lead=lead, actor=agent, changes={"status": step})


def seed(*, stdout, **options) -> None:
    users = {user.role: user for user in ensure_demo_users()}
    agent = users[User.Role.AGENT]
    templates = _templates()
    _sequence(templates)
    specializations = {s.slug: s for s in Specialization.objects.all()}

    created = 0
    for company, contact, email, phone, country, source, slug, value, currency, status in LEADS:
        if (email and Lead.objects.alive().filter(email=email).exists()) or (
            phone and Lead.objects.alive().filter(phone=phone).exists()
        ):
            continue
        lead = services.create_lead(
            actor=agent,
            data={
                "company_name": company,
                "contact_name": contact,
                "email": email,
                "phone": phone,
                "country": country,
                "source": source,
                "specialization": specializations.get(slug),
                "estimated_value": Decimal(value) if value else None,
                "currency": currency,
                "whatsapp_opt_in": bool(phone),
            },
        )
        _walk_to(lead, status, agent)
        created += 1

    won = Lead.objects.alive().filter(company_name="Maple Beverages").first()
    if won is not None and won.status != Lead.Status.WON:
        services.add_note(lead=won, actor=agent, body="Signed the HACCP audit package.")
        services.convert_lead(lead=won, actor=agent, value=Decimal("28500.00"), currency="CAD")
    stdout.write(f"Leads: {created} demo lead(s) created for {agent.email}; templates and a nurturing sequence ready.")
