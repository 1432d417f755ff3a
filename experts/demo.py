"""Demo marketplace data: experts across every specialization and many countries,
with services, certifications and weekly availability, plus client and agent
accounts. Idempotent (rows are keyed by deterministic e-mail addresses) and fast
enough for 100,000 experts (bulk inserts in batches, one transaction per batch).
Used by ``manage.py seed_demo`` and ``bench/search.py``."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify
from faker import Faker

from accounts.models import User
from experts import hooks
from experts.models import (
    AvailabilityRule,
    Certification,
    ExpertProfile,
    ExpertService,
    Specialization,
)

SEED_DOMAIN = "seed.foodxchange.local"


@dataclass(frozen=True)
class Country:
    code: str
    locale: str
    timezone: str
    currency: str
    languages: tuple[str, ...]
    cities: tuple[str, ...]
    rate: tuple[int, int]


COUNTRIES = (
    Country("US", "en_US", "America/New_York", "USD", ("en", "es"), ("New York", "Boston", "Atlanta"), (90, 300)),
    Country("US", "en_US", "America/Chicago", "USD", ("en",), ("Chicago", "Minneapolis", "Dallas"), (80, 260)),
    Country("US", "en_US", "America/Los_Angeles", "USD", ("en", "es"), ("Los Angeles", "Seattle", "Fresno"), (90, 300)),
    Country("CA", "en_CA", "America/Toronto", "CAD", ("en", "fr"), ("Toronto", "Montreal", "Ottawa"), (90, 250)),
    Country("MX", "es_MX", "America/Mexico_City", "MXN", ("es", "en"), ("Mexico City", "Guadalajara"), (900, 2500)),
    Country("BR", "pt_BR", "America/Sao_Paulo", "BRL", ("pt", "es", "en"), ("São Paulo", "Curitiba"), (200, 700)),
    Country("GB", "en_GB", "Europe/London", "GBP", ("en",), ("London", "Manchester", "Leeds", "Bristol"), (70, 220)),
    Country("IE", "en_IE", "Europe/Dublin", "EUR", ("en", "ga"), ("Dublin", "Cork"), (80, 220)),
    Country("DE", "de_DE", "Europe/Berlin", "EUR", ("de", "en"), ("Berlin", "Hamburg", "Munich", "Cologne"), (80, 240)),
    Country("FR", "fr_FR", "Europe/Paris", "EUR", ("fr", "en"), ("Paris", "Lyon", "Rennes", "Bordeaux"), (75, 230)),
    Country("NL", "nl_NL", "Europe/Amsterdam", "EUR", ("nl", "en", "de"), ("Amsterdam", "Wageningen"), (85, 240)),
    Country("ES", "es_ES", "Europe/Madrid", "EUR", ("es", "en"), ("Madrid", "Barcelona", "Valencia"), (60, 180)),
    Country("IT", "it_IT", "Europe/Rome", "EUR", ("it", "en"), ("Milan", "Parma", "Bologna"), (60, 190)),
    Country("PL", "pl_PL", "Europe/Warsaw", "PLN", ("pl", "en", "de"), ("Warsaw", "Poznań"), (200, 600)),
    Country("DK", "da_DK", "Europe/Copenhagen", "DKK", ("da", "en"), ("Copenhagen", "Aarhus"), (700, 1800)),
    Country("SE", "sv_SE", "Europe/Stockholm", "SEK", ("sv", "en"), ("Stockholm", "Malmö"), (900, 2400)),
    Country("CH", "de_CH", "Europe/Zurich", "CHF", ("de", "fr", "en"), ("Zurich", "Geneva", "Basel"), (120, 320)),
    Country("TR", "tr_TR", "Europe/Istanbul", "TRY", ("tr", "en"), ("Istanbul", "Izmir"), (1500, 5000)),
    Country("IL", "he_IL", "Asia/Jerusalem", "ILS", ("he", "en", "ar"), ("Tel Aviv", "Haifa"), (300, 900)),
    Country("AE", "ar_AE", "Asia/Dubai", "AED", ("ar", "en"), ("Dubai", "Abu Dhabi"), (300, 1000)),
    Country("IN", "en_IN", "Asia/Kolkata", "INR", ("hi", "en"), ("Mumbai", "Bengaluru", "Pune"), (2500, 9000)),
    Country("SG", "en_US", "Asia/Singapore", "SGD", ("en", "zh", "ms"), ("Singapore",), (120, 350)),
    Country("TH", "th_TH", "Asia/Bangkok", "THB", ("th", "en"), ("Bangkok", "Chiang Mai"), (1500, 5000)),
    Country("JP", "ja_JP", "Asia/Tokyo", "JPY", ("ja", "en"), ("Tokyo", "Osaka"), (9000, 30000)),
    Country("AU", "en_AU", "Australia/Sydney", "AUD", ("en",), ("Sydney", "Melbourne", "Brisbane"), (110, 300)),
    Country("NZ", "en_NZ", "Pacific/Auckland", "NZD", ("en",), ("Auckland", "Christchurch"), (100, 280)),
    Country("ZA", "en_US", "Africa/Johannesburg", "ZAR", ("en", "af"), ("Cape Town", "Johannesburg"), (800, 2500)),
)

CERTIFICATIONS = (
    ("HACCP Lead Auditor", "International HACCP Alliance"),
    ("PCQI", "FSPCA"),
    ("FSSC 22000 Lead Auditor", "Foundation FSSC"),
    ("BRCGS Professional", "BRCGS"),
    ("SQF Practitioner", "SQFI"),
    ("IFS Auditor", "IFS Management GmbH"),
    ("ISO 22000 Lead Auditor", "Exemplar Global"),
    ("Certified Food Scientist", "IFT"),
    ("Certified Quality Auditor", "ASQ"),
    ("Halal Auditor", "JAKIM"),
    ("Organic Inspector", "IOIA"),
)

HEADLINES = (
    "{spec} consultant for growing food brands",
    "Senior {spec} specialist",
    "{spec} expert with {years} years in industry",
    "Independent {spec} advisor",
    "{spec} lead for manufacturers and co-packers",
)

BIOS = (
    "I help {industry} businesses with {spec_lower}: gap assessments, audits and hands-on fixes. "
    "Previously {role} at a multinational manufacturer.",
    "{years} years of {spec_lower} experience across {industry} plants in {country}. "
    "I work remotely or on site, in {languages}.",
    "Practical {spec_lower} support: documentation, training of line staff and preparation for "
    "certification audits. Former {role}.",
)
ROLES = ("QA manager", "plant manager", "regulatory affairs lead", "R&D director", "food safety manager")
INDUSTRIES = ("dairy", "bakery", "meat", "seafood", "beverage", "snack", "ready-meal", "plant-based", "confectionery")
SERVICE_TEMPLATES = (
    ("{spec} gap assessment", "fixed", 240),
    ("{spec} audit preparation", "fixed", 480),
    ("{spec} consultation", "hourly", 60),
    ("{spec} training for your team", "fixed", 180),
    ("Remote {spec} review", "hourly", 90),
)


def seed_email(kind: str, index: int) -> str:
    return f"{kind}{index:06d}@{SEED_DOMAIN}"


class MarketplaceSeeder:
    """Creates the missing seed rows; re-running with the same numbers adds nothing."""

    def __init__(self, *, seed: int = 42, batch_size: int = 1000, password: str | None = None):
        self.seed = seed
        self.batch_size = batch_size
        # One hash shared by every seed account: Argon2 per row would take hours.
        self.password_hash = make_password(password) if password else make_password(None)
        self.specializations = list(Specialization.objects.filter(is_active=True))
        self._names: dict[str, tuple[list[str], list[str]]] = {}

    def _name(self, rng: random.Random, locale: str) -> tuple[str, str]:
        # A pool of names per locale, drawn once: seeding Faker per row is the slow part.
        if locale not in self._names:
            fake = Faker(locale)
            fake.seed_instance(f"{self.seed}:{locale}")
            self._names[locale] = (
                sorted({fake.first_name()[:150] for _ in range(400)}),
                sorted({fake.last_name()[:150] for _ in range(400)}),
            )
        first, last = self._names[locale]
        return rng.choice(first), rng.choice(last)

    # --- accounts ------------------------------------------------------------------------
    def ensure_accounts(self, *, kind: str, role: str, count: int) -> int:
        wanted = {seed_email(kind, i): i for i in range(count)}
        existing = set(User.objects.filter(email__in=list(wanted)).values_list("email", flat=True))
        rows = []
        for email, index in wanted.items():
            if email in existing:
                continue
            rng = random.Random(f"{self.seed}:{kind}:{index}")
            country = rng.choice(COUNTRIES)
            first_name, last_name = self._name(rng, country.locale)
            rows.append(
                User(
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    role=role,
                    timezone=country.timezone,
                    password=self.password_hash,
                )
            )
        User.objects.bulk_create(rows, batch_size=self.batch_size)
        return len(rows)

    # --- experts -------------------------------------------------------------------------
    def missing_expert_indices(self, count: int) -> list[int]:
        existing = set(
            ExpertProfile.objects.filter(user__email__endswith=f"@{SEED_DOMAIN}", user__role="expert").values_list(
                "user__email", flat=True
            )
        )
        return [i for i in range(count) if seed_email("expert", i) not in existing]

    def seed_experts(self, count: int, *, progress: Callable[[int], None] | None = None) -> int:
        missing = self.missing_expert_indices(count)
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            self._seed_batch(chunk)
            if progress:
                progress(len(chunk))
        return len(missing)

    @transaction.atomic
    def _seed_batch(self, indices: list[int]) -> None:
        plans = [self._plan(i) for i in indices]
        # A user left by an interrupted older run is reused rather than duplicated.
        emails = [p["user"].email for p in plans]
        existing_users = {u.email: u for u in User.objects.filter(email__in=emails)}
        new_users = [p["user"] for p in plans if p["user"].email not in existing_users]
        User.objects.bulk_create(new_users, batch_size=self.batch_size)
        for plan in plans:
            plan["user"] = existing_users.get(plan["user"].email, plan["user"])
            plan["profile"].user = plan["user"]
        profiles = ExpertProfile.objects.bulk_create([p["profile"] for p in plans], batch_size=self.batch_size)
        through = ExpertProfile.specializations.through
        links, services, rules, certs = [], [], [], []
        for plan, profile in zip(plans, profiles, strict=True):
            links += [through(expertprofile_id=profile.pk, specialization_id=s.pk) for s in plan["specializations"]]
            for service in plan["services"]:
                service.expert = profile
                services.append(service)
            for rule in plan["rules"]:
                rule.expert = profile
                rules.append(rule)
            for cert in plan["certifications"]:
                cert.expert = profile
                certs.append(cert)
        through.objects.bulk_create(links, batch_size=self.batch_size)
        ExpertService.objects.bulk_create(services, batch_size=self.batch_size)
        AvailabilityRule.objects.bulk_create(rules, batch_size=self.batch_size)
        Certification.objects.bulk_create(certs, batch_size=self.batch_size)
        # One set-based pass of the search index over the whole batch.
        hooks.reindex_experts([p.pk for p in profiles])

    def _plan(self, index: int) -> dict:
        rng = random.Random(f"{self.seed}:expert:{index}")
        country = COUNTRIES[index % len(COUNTRIES)] if index < len(COUNTRIES) else rng.choice(COUNTRIES)
        first_name, last_name = self._name(rng, country.locale)
        user = User(
            email=seed_email("expert", index),
            first_name=first_name,
            last_name=last_name,
            role=User.Role.EXPERT,
            timezone=country.timezone,
            password=self.password_hash,
        )
        # Every specialization gets experts: the first one cycles through the taxonomy.
        primary = self.specializations[index % len(self.specializations)]
        extra = rng.sample(self.specializations, k=rng.choice((0, 1, 1, 2)))
        specializations = list({s.pk: s for s in [primary, *extra]}.values())
        years = rng.randint(2, 35)
        languages = list(dict.fromkeys([*country.languages[: rng.randint(1, len(country.languages))], "en"]))
        low, high = country.rate
        rate = Decimal(rng.randrange(low, high, max(1, (high - low) // 40))).quantize(Decimal("0.01"))
        status = rng.choices(
            [
                ExpertProfile.Verification.VERIFIED,
                ExpertProfile.Verification.PENDING,
                ExpertProfile.Verification.UNVERIFIED,
            ],
            weights=[85, 10, 5],
        )[0]
        words = {
            "spec": primary.name,
            "spec_lower": primary.name.lower(),
            "years": years,
            "industry": rng.choice(INDUSTRIES),
            "role": rng.choice(ROLES),
            "country": country.code,
            "languages": ", ".join(languages),
        }
        profile = ExpertProfile(
            headline=rng.choice(HEADLINES).format(**words)[:200],
            bio=rng.choice(BIOS).format(**words),
            languages=languages,
            country=country.code,
            city=rng.choice(country.cities),
            hourly_rate=rate,
            currency=country.currency,
            years_experience=years,
            verification_status=status,
            capacity=rng.randint(2, 10),
            is_active=rng.random() > 0.02,
        )
        services = []
        for spec in specializations[: rng.randint(1, 3)]:
            title, pricing, minutes = rng.choice(SERVICE_TEMPLATES)
            price = rate if pricing == "hourly" else (rate * minutes / 60).quantize(Decimal("0.01"))
            services.append(
                ExpertService(
                    title=title.format(spec=spec.name),
                    description=f"{spec.description} Delivered by a {words['role']} with {years} years of experience.",
                    specialization=spec,
                    pricing_type=pricing,
                    price=price,
                    currency=country.currency,
                    duration_minutes=minutes,
                )
            )
        start_hour = rng.choice((7, 8, 9, 10))
        days = rng.choice((range(5), range(4), range(1, 6), (0, 2, 4)))
        rules = [
            AvailabilityRule(weekday=d, start=time(start_hour), end=time(start_hour + rng.choice((4, 6, 8))))
            for d in days
        ]
        certifications = []
        for name, issuer in rng.sample(CERTIFICATIONS, k=rng.choice((0, 1, 1, 2))):
            issued = date(2026, 1, 1) - timedelta(days=rng.randint(30, 3650))
            certifications.append(
                Certification(
                    name=name,
                    issuer=issuer,
                    number=f"{slugify(issuer)[:6].upper()}-{rng.randint(10000, 99999)}",
                    issued_at=issued,
                    expires_at=issued + timedelta(days=365 * 3),
                )
            )
        profile.display_name = user.get_full_name() or user.email.split("@")[0]
        return {
            "user": user,
            "profile": profile,
            "specializations": specializations,
            "services": services,
            "rules": rules,
            "certifications": certifications,
        }


def ensure_demo_expert_profile(user: User) -> ExpertProfile:
    """A complete, verified profile for the demo expert login (left alone once set)."""
    from experts import services

    profile = services.get_or_create_profile(user=user)
    if profile.headline:
        return profile
    specs = list(Specialization.objects.filter(slug__in=["food-safety-haccp", "dairy", "microbiology"]))
    profile = services.update_profile(
        profile=profile,
        data={
            "headline": "HACCP and dairy safety consultant",
            "bio": "Twenty years in dairy plants across Europe: HACCP plans, environmental monitoring, "
            "shelf-life studies and audit preparation for FSSC 22000 and BRCGS.",
            "specializations": specs,
            "languages": ["en", "de", "fr"],
            "country": "DE",
            "city": "Munich",
            "hourly_rate": Decimal("140.00"),
            "currency": "EUR",
            "years_experience": 20,
            "timezone": "Europe/Berlin",
            "certifications": [
                {"name": "FSSC 22000 Lead Auditor", "issuer": "Foundation FSSC", "number": "FS-20211"},
                {"name": "PCQI", "issuer": "FSPCA", "number": "PC-88812"},
            ],
        },
    )
    for spec in specs[:2]:
        services.create_service(
            profile=profile,
            data={
                "title": f"{spec.name} audit preparation",
                "description": spec.description,
                "specialization": spec,
                "pricing_type": "fixed",
                "price": Decimal("980.00"),
                "duration_minutes": 480,
            },
        )
    services.set_availability(
        profile=profile,
        rules=[{"weekday": d, "start": time(9), "end": time(17)} for d in range(5)],
        exceptions=[],
    )
    ExpertProfile.objects.filter(pk=profile.pk).update(verification_status=ExpertProfile.Verification.VERIFIED)
    return profile


def seed(*, stdout, experts: int = 300, clients: int = 20, agents: int = 5, seed: int = 42, **options) -> None:
    """Seeds the experts marketplace (idempotent); ``progress`` shows a tqdm bar."""
    from tqdm import tqdm

    from accounts.demo import DEMO_PASSWORD

    demo_expert = User.objects.filter(email="expert@demo.foodxchange.local").first()
    if demo_expert is not None:
        ensure_demo_expert_profile(demo_expert)
    seeder = MarketplaceSeeder(seed=seed, batch_size=options.get("batch_size") or 1000, password=DEMO_PASSWORD)
    made_clients = seeder.ensure_accounts(kind="client", role=User.Role.CLIENT, count=clients)
    made_agents = seeder.ensure_accounts(kind="agent", role=User.Role.AGENT, count=agents)
    missing = len(seeder.missing_expert_indices(experts))
    with tqdm(total=missing, unit="expert", desc="experts", disable=not options.get("progress", True)) as bar:
        made_experts = seeder.seed_experts(experts, progress=bar.update)
    stdout.write(
        f"experts: {made_experts} created ({experts} wanted), clients: {made_clients} created, "
        f"agents: {made_agents} created"
    )
