"""``manage.py evaluate_matching [FILE]``: NDCG@10 and MRR of the engine and of BM25."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from foodxchange.errors import DomainError, exit_code, message_of
from matching import embeddings
from matching.evaluation import runner


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Evaluates the matching engine against a plain BM25 baseline on a labelled JSON file of needs "
        "(default: the shipped matching/evaluation/needs.json). The corpus is created in a transaction that "
        "is rolled back: the database is left as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(runner.DEFAULT_NEEDS))
        parser.add_argument("--per-need", action="store_true", help="Print every need's figures too.")
        parser.add_argument(
            "--embeddings",
            choices=["off", "local", "openai"],
            help="Semantic re-rank for this run (default: the MATCHING_EMBEDDINGS setting).",
        )
        parser.add_argument("--blend", type=float, help="MATCHING_EMBEDDINGS_BLEND for this run (0..1).")

    def handle(self, *args, file: str, per_need: bool, **options):
        overrides = {}
        if options.get("embeddings"):
            overrides["MATCHING_EMBEDDINGS"] = options["embeddings"]
        if options.get("blend") is not None:
            overrides["MATCHING_EMBEDDINGS_BLEND"] = options["blend"]
        with override_settings(**overrides):
            self._run(file, per_need)

    def _run(self, file: str, per_need: bool) -> None:
        try:
            labelled, corpus = runner.load(Path(file))
            self.stdout.write(
                f"Evaluating {len(labelled['needs'])} needs over {len(corpus['experts'])} experts "
                f"(embeddings {settings.MATCHING_EMBEDDINGS})…"
            )
            figures = None
            try:
                with transaction.atomic():
                    figures = runner.evaluate(labelled, corpus)
                    raise Rollback
            except Rollback:
                pass
        except DomainError as exc:
            raise CommandError(message_of(exc), returncode=exit_code(exc))
        except embeddings.EmbeddingError as exc:
            raise CommandError(f"Embeddings failed: {exc}")
        assert figures is not None
        if per_need:
            for row in figures.per_need:
                self.stdout.write(
                    f"  {row['id']:<22} engine ndcg {row['engine_ndcg']:.3f} mrr {row['engine_mrr']:.3f} | "
                    f"bm25 ndcg {row['bm25_ndcg']:.3f} mrr {row['bm25_mrr']:.3f} | "
                    f"engine {','.join(row['engine_top3'])} | bm25 {','.join(row['bm25_top3'])}"
                )
        self.stdout.write(f"{'':8}{'NDCG@10':>9}{'MRR':>8}")
        self.stdout.write(f"{'engine':8}{figures.engine_ndcg:>9.3f}{figures.engine_mrr:>8.3f}")
        self.stdout.write(f"{'bm25':8}{figures.bm25_ndcg:>9.3f}{figures.bm25_mrr:>8.3f}")
        ms = sorted(figures.engine_ms)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        self.stdout.write(f"engine time per need: median {ms[len(ms) // 2]:.1f} ms, p95 {p95:.1f} ms")
