from django.db import migrations
from django.utils.text import slugify

SPECIALIZATIONS = [
    ("Food Safety & HACCP", "Hazard analysis, critical control points, food safety management systems."),
    ("Regulatory / FDA-FSMA", "US FDA registration, FSMA preventive controls, FSVP, labelling compliance."),
    ("EU Food Law", "EU General Food Law, novel foods, hygiene package, official controls."),
    ("Allergen Management", "Allergen control plans, cross-contact, precautionary labelling."),
    ("Microbiology", "Pathogen control, environmental monitoring, shelf-life and challenge studies."),
    ("Quality Assurance", "QMS, audits, GFSI schemes (BRCGS, SQF, FSSC 22000, IFS)."),
    ("Halal Certification", "Halal requirements, certification bodies and supply chain integrity."),
    ("Kosher Certification", "Kosher supervision, ingredient approval and plant certification."),
    ("Organic Certification", "Organic standards (USDA NOP, EU organic), conversion and audits."),
    ("Product Development", "Recipe and formulation, scale-up, pilot runs, product launches."),
    ("Food Technology", "Processing technologies, thermal processing, preservation, process design."),
    ("Packaging", "Packaging materials, food-contact compliance, MAP, sustainable packaging."),
    ("Labelling & Nutrition", "Nutrition facts, claims, ingredient declarations, label reviews."),
    ("Supply Chain", "Supplier approval, sourcing, traceability, recall readiness."),
    ("Cold Chain", "Temperature-controlled storage and logistics, monitoring, validation."),
    ("Sensory Science", "Sensory panels, consumer testing, descriptive analysis."),
    ("Sustainability", "Carbon footprint, food waste, ESG reporting, regenerative sourcing."),
    ("Import / Export", "Customs, certificates, market entry and border controls."),
    ("Food Fraud & Authenticity", "Vulnerability assessments, adulteration, authenticity testing."),
    ("Sanitation & Hygiene", "Cleaning validation, sanitation programs, hygienic design."),
    ("Dairy", "Milk processing, cheese, yoghurt, dairy safety and quality."),
    ("Meat & Poultry", "Slaughter and processing, USDA-FSIS, meat safety programs."),
    ("Seafood", "Seafood HACCP, histamine, parasites, aquaculture."),
    ("Bakery & Cereals", "Baking technology, milling, gluten-free products."),
    ("Beverages", "Soft drinks, juices, brewing, bottling and beverage safety."),
    ("Plant-Based Foods", "Plant-based proteins, meat and dairy alternatives."),
]


def seed(apps, schema_editor):
    Specialization = apps.get_model("experts", "Specialization")
    for order, (name, description) in enumerate(SPECIALIZATIONS):
        Specialization.objects.update_or_create(
            slug=slugify(name), defaults={"name": name, "description": description, "sort_order": order}
        )


def unseed(apps, schema_editor):
    Specialization = apps.get_model("experts", "Specialization")
    Specialization.objects.filter(slug__in=[slugify(n) for n, _ in SPECIALIZATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("experts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
