import pytest


@pytest.fixture(autouse=True)
def _rfq_settings(settings):
    settings.RFQ_WEBHOOK_SECRET = "whsec-test-0123456789"
    settings.RFQ_CALLBACK_SECRET = "cbsec-test-0123456789"
    settings.RFQ_CALLBACK_URL = ""
    settings.RFQ_NOTIFY_TOP = 3
