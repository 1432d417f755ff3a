"""``manage.py refresh_embeddings``: computes the semantic vectors of every expert that
lacks a current one (after turning ``MATCHING_EMBEDDINGS`` on or changing its model)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from experts.selectors import visible_experts
from matching import embeddings


class Command(BaseCommand):
    help = (
        "Computes the stored sentence-embedding vectors of public experts for the configured "
        "MATCHING_EMBEDDINGS backend; experts whose profile text did not change are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=256, help="Experts per backend call group (default 256).")

    def handle(self, *args, batch: int, **options):
        if not embeddings.enabled():
            raise CommandError("MATCHING_EMBEDDINGS is off: set it to local or openai first.")
        ids = list(visible_experts().order_by("pk").values_list("pk", flat=True))
        written = 0
        with tqdm(total=len(ids), unit="expert", disable=options["verbosity"] == 0) as bar:
            for start in range(0, len(ids), max(1, batch)):
                chunk = ids[start : start + batch]
                try:
                    written += embeddings.refresh(chunk)
                except embeddings.EmbeddingError as exc:
                    raise CommandError(f"Stopped after {written} vectors: {exc}")
                bar.update(len(chunk))
        self.stdout.write(f"{written} vector(s) computed for {len(ids)} public experts ({embeddings.backend()}).")
