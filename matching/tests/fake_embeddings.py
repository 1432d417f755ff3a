"""A local stand-in for the OpenAI embeddings endpoint: the real SDK talks to it through
``base_url``. Each input gets the vector of the first of ``vectors``' keys it contains
(``default`` otherwise), so a test decides what is "close" in meaning."""

from typing import Any

from foodxchange.tests.fake_json_api import FakeJSONAPI


class FakeEmbeddings(FakeJSONAPI):
    def __init__(self) -> None:
        super().__init__()
        self.vectors: dict[str, list[float]] = {}
        self.default = [0.0, 0.0, 1.0]

    def answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else inputs
        return {
            "object": "list",
            "model": body.get("model"),
            "data": [
                {"object": "embedding", "index": i, "embedding": self.vector_of(text)} for i, text in enumerate(inputs)
            ],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }

    def vector_of(self, text: str) -> list[float]:
        for key, vector in self.vectors.items():
            if key.lower() in text.lower():
                return vector
        return self.default
