"""A small stateful stand-in for the Stripe API (PaymentIntents, refunds, transfers) on
a local port, so the real SDK path runs in tests without the internet."""

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.by_key: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.fail_status: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                status, body = fake.handle(self.path, params, self.headers.get("Idempotency-Key", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeStripe":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, params: dict, key: str) -> tuple[int, dict]:
        with self._lock:
            self.requests.append({"path": path, "params": params, "key": key})
            if self.fail_status:
                return self.fail_status, {"error": {"type": "api_error", "message": "fake outage"}}
            if key and key in self.by_key:
                return 200, self.by_key[key]
            n = next(self._ids)
            if path == "/v1/payment_intents":
                body = {
                    "id": f"pi_fake_{n}",
                    "object": "payment_intent",
                    "amount": int(params["amount"]),
                    "currency": params["currency"],
                    "capture_method": params.get("capture_method"),
                    "status": "requires_payment_method",
                    "client_secret": f"pi_fake_{n}_secret_abc",
                    "latest_charge": None,
                }
                self.intents[body["id"]] = body
            elif path == "/v1/refunds":
                intent = self.intents.get(params.get("payment_intent", ""))
                if intent is None:
                    return 404, {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}
                body = {
                    "id": f"re_fake_{n}",
                    "object": "refund",
                    "amount": int(params["amount"]),
                    "status": "succeeded",
                }
            elif path == "/v1/transfers":
                body = {
                    "id": f"tr_fake_{n}",
                    "object": "transfer",
                    "amount": int(params["amount"]),
                    "currency": params["currency"],
                    "destination": params["destination"],
                    "source_transaction": params.get("source_transaction"),
                }
            else:
                return 404, {"error": {"type": "invalid_request_error", "message": f"unknown path {path}"}}
            if key:
                self.by_key[key] = body
            return 200, body
