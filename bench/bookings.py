"""Booking benchmark: no double booking under load, and what a booking costs.

Seeds 20 experts (available around the clock, one 60-minute service each) and 50
clients into a PostgreSQL database, starts the real app server (uvicorn, one worker),
then for ``--seconds`` (default 30) 50 client threads book random starts on a 30-minute
grid of those experts' next weeks, so bookings overlap and race. Each iteration also
calls the reference endpoint (``GET /api/v1/search/specializations``: the HTTP/DRF/JWT
overhead on the same server) so the booking cost is printed as a ratio. Afterwards the
database is checked for overlapping held/active bookings (must be zero).

    .venv/bin/python bench/bookings.py \\
        --database-url postgres://postgres@127.0.0.1:5432/fx_bench_bookings

The database (created if missing) is flushed and migrated on each run. Payments use the
console backend (succeeds at once, no network).
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import configure_environment, ensure_database, free_port, percentile, start_server, summary

EXPERTS = 20
CLIENTS = 50
REFERENCE = "/api/v1/search/specializations"


def seed() -> tuple[list[tuple[int, int]], list[str]]:
    import django

    django.setup()
    from datetime import time as clock

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from experts.models import AvailabilityRule, ExpertProfile, ExpertService, Specialization

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)  # the data migrations (taxonomy, staff groups) again
    spec = Specialization.objects.order_by("id").first() or Specialization.objects.create(name="Bench", slug="bench")
    password = make_password(None)
    experts = []
    for i in range(EXPERTS):
        user = User.objects.create(email=f"expert{i}@bench.local", role="expert", timezone="UTC", password=password)
        profile = ExpertProfile.objects.create(user=user, verification_status="verified", display_name=f"Expert {i}")
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(expert=profile, weekday=d, start=clock(0), end=clock(23, 59)) for d in range(7)
        )
        service = ExpertService.objects.create(
            expert=profile, title="Audit call", specialization=spec, price="100.00", duration_minutes=60
        )
        experts.append((profile.pk, service.pk))
    tokens = []
    for i in range(CLIENTS):
        user = User.objects.create(email=f"client{i}@bench.local", role="client", password=password)
        tokens.append(str(RefreshToken.for_user(user).access_token))
    return experts, tokens


def overlapping_pairs() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM consultations_consultation a
            JOIN consultations_consultation b
              ON a.expert_id = b.expert_id AND a.id < b.id
             AND a.start < b."end" AND b.start < a."end"
            WHERE a.status IN ('pending_payment', 'requested', 'confirmed')
              AND b.status IN ('pending_payment', 'requested', 'confirmed')
            """
        )
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fx_bench_bookings")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--days", type=int, default=7, help="how many days of slots the clients fight over")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres") or "bench" not in args.database_url.rsplit("/", 1)[-1]:
        sys.exit("--database-url must be a PostgreSQL database whose name contains 'bench' (it is flushed).")
    ensure_database(args.database_url)
    env = configure_environment(args.database_url)
    env.update(
        {
            "THROTTLE_RATES": "search=100000000/min,write=100000000/min",
            "PAYMENTS_BACKEND": "console",
            "CONSULTATION_PAYMENTS_BACKEND": "console",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            # One connection per request: the server's thread pool must not exhaust a shared PostgreSQL.
            "DB_CONN_MAX_AGE": "0",
        }
    )
    import os

    os.environ.update(env)
    experts, tokens = seed()
    # Past the minimum notice (12 h), on the half hour.
    base_day = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    starts = [base_day + timedelta(minutes=30 * k) for k in range(args.days * 48)]

    port = free_port()
    server = start_server(env, port)
    booking_ms: list[float] = []
    reference_ms: list[float] = []
    outcomes: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {tokens[index]}", "Content-Type": "application/json"}
        while time.perf_counter() < deadline:
            expert, service = rng.choice(experts)
            body = json.dumps({"expert": expert, "service": service, "start": rng.choice(starts).isoformat()})
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/consultations", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            t1 = time.perf_counter()
            conn.request("GET", REFERENCE, headers=headers)
            ref = conn.getresponse()
            ref.read()
            t2 = time.perf_counter()
            with lock:
                booking_ms.append(t1 - t0)
                reference_ms.append(t2 - t1)
                outcomes[response.status] = outcomes.get(response.status, 0) + 1

    try:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    pairs = overlapping_pairs()
    from consultations.models import Consultation

    held = Consultation.objects.filter(status__in=("pending_payment", "requested", "confirmed")).count()
    print(f"{CLIENTS} clients, {EXPERTS} experts, {len(starts)} candidate starts each, {elapsed:.1f} s")
    print(f"responses: {dict(sorted(outcomes.items()))}  (201 booked, 409 slot_taken)")
    print(f"bookings held/active in the database: {held}")
    print(f"overlapping booking pairs: {pairs}  ({'OK: zero double bookings' if pairs == 0 else 'DOUBLE BOOKINGS'})")
    print(f"POST /api/v1/consultations   {summary(booking_ms)}  throughput={len(booking_ms) / elapsed:.1f}/s")
    print(f"GET {REFERENCE} (reference)  {summary(reference_ms)}")
    ratio = percentile(booking_ms, 95) / max(percentile(reference_ms, 95), 1e-9)
    print(f"booking p95 / reference p95 = {ratio:.1f}x")
    if pairs:
        sys.exit(1)


if __name__ == "__main__":
    main()
