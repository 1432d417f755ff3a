"""The credential catalogue, and today's free-text certifications copied into typed
credentials where their name maps to a type (pending staff review; the free-text rows
stay as they are)."""

from django.db import migrations

CATALOGUE = [
    ("sqf-practitioner", "SQF Practitioner", "practitioner", ["SQFI"], ["sqf practitioner"]),
    ("sqf-consultant", "SQF Consultant", "practitioner", ["SQFI"], ["sqf consultant"]),
    (
        "pcqi",
        "PCQI (Preventive Controls Qualified Individual)",
        "training",
        ["FSPCA"],
        ["pcqi", "preventive controls qualified individual", "fspca"],
    ),
    ("haccp-certificate", "HACCP certificate", "training", ["International HACCP Alliance", "IFSQN"], ["haccp"]),
    ("seafood-haccp", "Seafood HACCP", "training", ["AFDO", "Seafood HACCP Alliance"], ["seafood haccp"]),
    ("brcgs-auditor", "BRCGS auditor", "auditor", ["BRCGS"], ["brcgs", "brc global", "brc food"]),
    ("fssc-22000-auditor", "FSSC 22000 auditor", "auditor", ["Foundation FSSC"], ["fssc 22000", "fssc22000", "fssc"]),
    (
        "iso-22000-lead-auditor",
        "ISO 22000 lead auditor",
        "auditor",
        ["Exemplar Global", "IRCA"],
        ["iso 22000", "iso22000"],
    ),
    ("ifs-auditor", "IFS auditor", "auditor", ["IFS Management"], ["ifs food", "ifs auditor", "ifs"]),
    ("primusgfs-auditor", "PrimusGFS auditor", "auditor", ["Azzule"], ["primusgfs", "primus gfs"]),
    ("globalgap-auditor", "GLOBALG.A.P. auditor", "auditor", ["GLOBALG.A.P."], ["globalg.a.p", "globalgap"]),
    ("halal-certification", "Halal certification", "religious", ["JAKIM", "IFANCA", "HFA"], ["halal"]),
    ("kosher-certification", "Kosher supervision", "religious", ["OU", "OK Kosher", "Star-K"], ["kosher", "mashgiach"]),
    ("organic-inspector", "Organic inspector", "inspector", ["IOIA"], ["organic"]),
    (
        "food-safety-manager",
        "Certified Food Safety Manager",
        "training",
        ["ServSafe", "NRFSP", "Prometric"],
        ["servsafe", "food safety manager"],
    ),
    (
        "asq-cqa",
        "ASQ Certified Quality Auditor",
        "auditor",
        ["ASQ"],
        ["certified quality auditor", "asq cqa", "cqa"],
    ),
]


def _match(name: str, types: list) -> object | None:
    text = " ".join(name.lower().split())
    best, best_len = None, 0
    for credential_type in types:
        for alias in credential_type.aliases:
            if alias in text and len(alias) > best_len:
                best, best_len = credential_type, len(alias)
    return best


def forward(apps, schema_editor):
    CredentialType = apps.get_model("experts", "CredentialType")
    ExpertCredential = apps.get_model("experts", "ExpertCredential")
    Certification = apps.get_model("experts", "Certification")
    for slug, name, category, issuers, aliases in CATALOGUE:
        CredentialType.objects.update_or_create(
            slug=slug, defaults={"name": name, "category": category, "issuers": issuers, "aliases": aliases}
        )
    types = list(CredentialType.objects.all())
    for certification in Certification.objects.filter(credential__isnull=True).iterator():
        credential_type = _match(certification.name, types)
        if credential_type is None:
            continue
        valid_from = certification.issued_at
        if valid_from and certification.expires_at and certification.expires_at <= valid_from:
            valid_from = None
        ExpertCredential.objects.create(
            expert_id=certification.expert_id,
            credential_type=credential_type,
            issuer=certification.issuer,
            number=certification.number,
            valid_from=valid_from,
            expires_at=certification.expires_at,
            status="pending",
            migrated_from=certification,
        )


def backward(apps, schema_editor):
    apps.get_model("experts", "ExpertCredential").objects.filter(migrated_from__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [("experts", "0008_typed_credentials")]

    operations = [migrations.RunPython(forward, backward)]
