"""A local stand-in for OpenAI's chat completions: the real SDK talks to it via base_url."""

from typing import Any

from foodxchange.tests.fake_json_api import FakeJSONAPI


class FakeOpenAI(FakeJSONAPI):
    def __init__(self) -> None:
        super().__init__()
        self.content = "Answer [1]."

    def answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "test"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": self.content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
