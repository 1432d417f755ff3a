"""The seed's traffic mix against a running FoodXchange server (run by ``bench/load/run.py``).

Three kinds of users, each logging in once when it starts (a real Argon2 check):

- buyers (clients): search experts, read public profiles, book consultations, read
  their notifications, now and then register a new account or log in again;
- experts: update their profile, upload a profile photo, read notifications;
- agents: create leads, read notifications.

Accounts, experts and services come from the fixtures file that ``run.py`` writes
(``LOAD_FIXTURES``). ``LOAD_HOSTS`` (comma-separated base URLs) spreads users over
several web instances, as ``docker compose --scale web=2`` does behind a proxy; each
user sticks to one instance, picked at random.

A 409 ``slot_taken`` or 400 ``slot_unavailable`` on booking (another buyer took the
slot between the availability read and the booking) and a 429 ``auth_busy`` on login or
registration (the hashing budget said wait; the user waits as told and retries) are
correct answers, counted on their own, not as errors; any other non-2xx is an error.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, events, task

FIXTURES = json.loads(open(os.environ["LOAD_FIXTURES"], encoding="utf-8").read())  # noqa: SIM115
HOSTS = [h for h in os.environ.get("LOAD_HOSTS", "").split(",") if h]
PASSWORD = FIXTURES["password"]
SEARCH_TERMS = ["haccp", "allergen", "audit", "packaging", "labelling", "dairy", "meat", "brc", "fssc", "recall", ""]
COUNTRIES = ["US", "DE", "FR", "GB", "NL", "IL", "ES", "IT"]
# Bookings start on the hour between 1 and 80 days ahead (notice 12 h, horizon 85 days).
BASE = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
EXPECTED = {
    ("POST", "/api/v1/consultations"): {409},
    ("POST", "/api/v1/auth/login"): {429},
    ("POST", "/api/v1/auth/register"): {429},
    ("POST", "/api/v1/auth/login (storm)"): {429},
}
expected_refusals: dict[str, int] = {}


def _check(response, method: str, name: str, ok: tuple[int, ...] = (200, 201)) -> None:
    if response.status_code in ok:
        response.success()
    elif response.status_code in EXPECTED.get((method, name), set()) or (
        # The slot was free when read and taken by another buyer before this booking.
        name == "/api/v1/consultations" and response.status_code == 400 and "slot_unavailable" in response.text
    ):
        key = f"{method} {name} {response.status_code}"
        expected_refusals[key] = expected_refusals.get(key, 0) + 1
        response.success()
    else:
        response.failure(f"{response.status_code}: {response.text[:200]}")


@events.quitting.add_listener
def _report_refusals(environment, **kwargs) -> None:
    path = os.environ.get("LOAD_REFUSALS_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(expected_refusals, handle)


class FoodXchangeUser(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)
    accounts_key = ""

    def on_start(self) -> None:
        if HOSTS:
            self.client.base_url = random.choice(HOSTS)
        self.email = random.choice(FIXTURES[self.accounts_key])
        self.login()

    def logged_in(self) -> bool:
        """Signed in, or signs in now (a failed first login must not turn every later
        request into a 401 of the test's own making)."""
        if "Authorization" not in self.client.headers:
            self.login()
        return "Authorization" in self.client.headers

    def login(self) -> None:
        for _ in range(30):
            with self.client.post(
                "/api/v1/auth/login", json={"email": self.email, "password": PASSWORD}, catch_response=True
            ) as response:
                _check(response, "POST", "/api/v1/auth/login")
                if response.status_code == 200:
                    self.client.headers["Authorization"] = f"Bearer {response.json()['access']}"
                    return
                if response.status_code not in (0, 429):
                    return
            # auth_busy: do as a client should, wait as told, then try again.
            self.wait_seconds(float(response.headers.get("Retry-After", "1") if response.headers else 1))

    def wait_seconds(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)

    def get(self, path: str, name: str, **kwargs) -> None:
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            _check(response, "GET", name)

    @task(2)
    def notifications(self) -> None:
        if self.logged_in():
            self.get("/api/v1/notifications", "/api/v1/notifications")


class Buyer(FoodXchangeUser):
    weight = 6
    accounts_key = "clients"

    @task(8)
    def search(self) -> None:
        params = {"q": random.choice(SEARCH_TERMS)}
        if random.random() < 0.3:
            params["country"] = random.choice(COUNTRIES)
        if random.random() < 0.3:
            params["specialization"] = random.choice(FIXTURES["specializations"])
        if random.random() < 0.2:
            params["sort"] = random.choice(["rating", "price", "experience"])
        self.get("/api/v1/search/experts", "/api/v1/search/experts", params=params)

    @task(4)
    def profile(self) -> None:
        expert = random.choice(FIXTURES["experts"])
        self.get(f"/api/v1/experts/profile/{expert['profile']}", "/api/v1/experts/profile/:id")

    @task(1)
    def book(self) -> None:
        """As the SPA does: the expert's free slots for a week, then one of them."""
        if not self.logged_in():
            return
        expert = random.choice(FIXTURES["experts"])
        week = BASE + timedelta(days=random.randrange(70))
        params = {"expert": expert["profile"], "from": week.isoformat(), "to": (week + timedelta(days=7)).isoformat()}
        with self.client.get(
            "/api/v1/experts/availability", params=params, name="/api/v1/experts/availability", catch_response=True
        ) as response:
            _check(response, "GET", "/api/v1/experts/availability")
            slots = response.json().get("slots", []) if response.status_code == 200 else []
        usable = []
        for slot in slots:
            begin, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
            steps = int((end - begin - timedelta(minutes=60)) / timedelta(minutes=30))
            if steps >= 0:
                usable.append((begin, steps))
        if not usable:
            return
        begin, steps = random.choice(usable)
        start = begin + timedelta(minutes=30 * random.randint(0, steps))
        with self.client.post(
            "/api/v1/consultations",
            json={"expert": expert["profile"], "service": expert["service"], "start": start.isoformat()},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            catch_response=True,
        ) as response:
            _check(response, "POST", "/api/v1/consultations")

    @task(1)
    def register(self) -> None:
        email = f"load-{uuid.uuid4().hex[:16]}@load.invalid"
        payload = {"email": email, "password": PASSWORD, "first_name": "Load", "last_name": "Buyer", "role": "client"}
        for _ in range(30):
            with self.client.post("/api/v1/auth/register", json=payload, catch_response=True) as response:
                _check(response, "POST", "/api/v1/auth/register")
                if response.status_code != 429:
                    return
            self.wait_seconds(float(response.headers.get("Retry-After", "1")))

    @task(1)
    def relogin(self) -> None:
        self.login()


class Expert(FoodXchangeUser):
    weight = 2
    accounts_key = "experts_accounts"

    @task(4)
    def update_profile(self) -> None:
        if not self.logged_in():
            return
        headline = f"Food safety lead auditor, {random.randint(5, 30)} years"
        with self.client.patch(
            "/api/v1/experts/profile", json={"headline": headline}, name="/api/v1/experts/profile", catch_response=True
        ) as response:
            _check(response, "PATCH", "/api/v1/experts/profile")

    @task(1)
    def upload_photo(self) -> None:
        if not self.logged_in():
            return
        photo = FIXTURES["photo"]
        with (
            open(photo, "rb") as handle,
            self.client.post(
                "/api/v1/experts/profile/photo",
                files={"photo": ("me.png", handle, "image/png")},
                catch_response=True,
            ) as response,
        ):
            _check(response, "POST", "/api/v1/experts/profile/photo")


class Agent(FoodXchangeUser):
    weight = 2
    accounts_key = "agents"

    @task(3)
    def create_lead(self) -> None:
        if not self.logged_in():
            return
        n = uuid.uuid4().hex[:10]
        payload = {
            "company_name": f"Load Foods {n}",
            "contact_name": "Dana Buyer",
            "email": f"dana-{n}@load.invalid",
            "country": random.choice(COUNTRIES),
            "source": random.choice(["website", "referral", "event", "outbound"]),
            "whatsapp_opt_in": False,
        }
        with self.client.post("/api/v1/leads/create", json=payload, catch_response=True) as response:
            _check(response, "POST", "/api/v1/leads/create")


class Reference(HttpUser):
    """The floor of the stack in the same run: ``GET /health`` (ASGI, middleware, no
    database), so each endpoint's p95 can be read as a multiple of it."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        if HOSTS:
            self.client.base_url = random.choice(HOSTS)

    @task
    def health(self) -> None:
        with self.client.get("/health", name="/health (floor)", catch_response=True) as response:
            _check(response, "GET", "/health (floor)")


STORM_USERS = int(os.environ.get("LOAD_STORM_USERS", "0"))
if STORM_USERS:

    class LoginStorm(HttpUser):
        """A credential-stuffing-like storm: correct logins back to back, no back-off.
        The other users' figures show whether it starves them."""

        fixed_count = STORM_USERS
        wait_time = between(0, 0.05)

        def on_start(self) -> None:
            if HOSTS:
                self.client.base_url = random.choice(HOSTS)

        @task
        def storm(self) -> None:
            payload = {"email": random.choice(FIXTURES["clients"]), "password": PASSWORD}
            name = "/api/v1/auth/login (storm)"
            with self.client.post("/api/v1/auth/login", json=payload, name=name, catch_response=True) as response:
                _check(response, "POST", name)
