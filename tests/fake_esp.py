"""A fake Postmark on loopback: anymail's real postmark backend talks HTTP to it, as it would to Postmark.

It speaks the part of Postmark's API that anymail's backend uses (`POST /email` with the
`X-Postmark-Server-Token` header; the success answer `{"To", "SubmittedAt", "MessageID", "ErrorCode": 0,
"Message": "OK"}`; error 10 for a bad token; error 406 and the "inactive addresses" answer for addresses it
was told are inactive), the Outbound Messages search (`GET /messages/outbound?count=&offset=` with an
optional `metadata_<key>=<value>` filter, one metadata field at a time, answering `{"TotalCount",
"Messages": [...]}` newest first), and it can post Postmark-format delivery webhooks to the app, as
Postmark does.

What tests control: a delay per call, failing a fraction of calls for a while (HTTP 500 or a dropped
connection, both before the message is accepted; or, in doubt, after accepting it: "accept-drop" closes the
connection without an answer, "accept-slow" answers only after `slow` seconds, past the client's timeout),
failing the search (`search_fails`), holding calls open after accepting (so a worker can be killed in the
middle of a send), holding webhooks back. What tests read: every accepted message with its
Message-ID header and metadata, `count(message_id)` for duplicates (also over HTTP:
`GET /_fake/messages?message_id=...`).

Bounded: it answers at most `max_calls` sends and stops by itself after `lifetime` seconds.

    with FakePostmark(delay=0.05) as esp:
        settings.ANYMAIL = esp.anymail_settings()

It also runs as a server process of its own (the chaos run, `make chaos`), failing a fraction of all calls,
and lists what it accepted at `GET /_fake/accepted`:

    python -m tests.fake_esp --port 6391 --fail-rate 0.3 --modes 500,drop,accept-drop,accept-slow --lifetime 700 \
        --search-fail-rate 0.1
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests

SERVER_TOKEN = "test"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a caller that went away mid-call is expected
        pass


@dataclass
class Accepted:
    """One message the fake provider accepted."""

    postmark_id: str
    message_id: str  # the Message-ID header the sender set
    to: str
    metadata: dict
    subject: str
    tag: str
    submitted_at: str
    # Postmark's Attachments: [{"Name", "Content" (base64), "ContentType", "ContentID" for inline images}]
    attachments: list = field(default_factory=list)
    html_body: str = ""


@dataclass
class Failing:
    rate: float = 0.0
    calls_left: int = 0  # failing stops after this many more calls
    modes: tuple[str, ...] = ("500", "drop")
    rng: random.Random = field(default_factory=lambda: random.Random(4))


class FakePostmark:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        lifetime: float = 300,
        max_calls: int = 20_000,
        webhook_url: str | None = None,
        webhook_auth: tuple[str, str] | None = None,
        port: int = 0,
    ) -> None:
        self.delay = delay
        self.lifetime = lifetime
        self.max_calls = max_calls
        self.webhook_url = webhook_url
        self.webhook_auth = webhook_auth
        self.accepted: list[Accepted] = []
        self.calls = 0
        self.failures: Counter[str] = Counter()
        self.inactive: set[str] = set()
        self.slow = 3.0  # seconds an "accept-slow" call waits before answering
        self.client_timeout: float | None = None  # anymail's REQUESTS_TIMEOUT for the senders, when set
        self.search_fails = False  # the search answers 500
        self.search_fail_rate = 0.0  # or this fraction of searches does (drawn from search_rng)
        self.search_rng = random.Random(5)
        self.search_lags = 0  # this many searches do not list anything yet (the search index lags behind)
        self.searches = 0
        self.answers_lost: list[str] = []  # Message-IDs accepted by an "accept-drop"/"accept-slow" call
        self.webhooks_posted = 0
        self._failing = Failing()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._open = threading.Event()  # cleared: accepted calls wait before answering
        self._open.set()
        self._webhooks: queue.Queue[Accepted | None] = queue.Queue()
        self._webhooks_open = threading.Event()
        self._webhooks_open.set()
        self._stopped = threading.Event()
        self._by_dispatch: dict[str, list[Accepted]] = {}  # the search's usual filter, without a scan of all
        self._indexed = 0  # how many of `accepted` _by_dispatch holds (tests may append to `accepted` directly)
        self._server = _QuietServer(("127.0.0.1", port), self._handler())
        self._threads: list[threading.Thread] = []

    # Life cycle ------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def anymail_settings(self, **extra) -> dict:
        timeout = {"REQUESTS_TIMEOUT": self.client_timeout} if self.client_timeout else {}
        return {"POSTMARK_SERVER_TOKEN": SERVER_TOKEN, "POSTMARK_API_URL": self.url, **timeout, **extra}

    def start(self) -> FakePostmark:
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        post = threading.Thread(target=self._post_webhooks, daemon=True)
        timer = threading.Timer(self.lifetime, self.stop)
        timer.daemon = True
        self._threads = [serve, post, timer]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._open.set()
        self._webhooks_open.set()
        self._webhooks.put(None)
        self._server.shutdown()
        self._server.server_close()
        self._threads[2].cancel()

    def __enter__(self) -> FakePostmark:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # Controls --------------------------------------------------------------------------------------

    def fail(self, rate: float, *, calls: int, modes: tuple[str, ...] = ("500", "drop"), seed: int = 4) -> None:
        """Fail this fraction of the next `calls` calls, each with one of the modes, before accepting."""
        with self._lock:
            self._failing = Failing(rate, calls, modes, random.Random(seed))

    def hold(self) -> None:
        """Calls from now on are accepted (recorded) but not answered until `release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def hold_webhooks(self) -> None:
        self._webhooks_open.clear()

    def release_webhooks(self) -> None:
        self._webhooks_open.set()

    # Reading ---------------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Calls accepted but not answered yet."""
        with self._lock:
            return self._in_flight

    def count(self, message_id: str) -> int:
        """How many times a message with this Message-ID header was accepted (more than 1: a duplicate)."""
        with self._lock:
            return sum(1 for message in self.accepted if message.message_id == message_id)

    def has(self, message_id: str) -> bool:
        return self.count(message_id) > 0

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(message.message_id for message in self.accepted)

    def wait_for(self, condition, timeout: float, interval: float = 0.01) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(interval)
        return condition()

    def webhooks_drained(self, timeout: float = 10) -> bool:
        return self.wait_for(lambda: self._webhooks.unfinished_tasks == 0, timeout)

    # The server ------------------------------------------------------------------------------------

    def _handler(self):
        esp = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                if parsed.path == "/messages/outbound":
                    return self._search(parse_qs(parsed.query))
                if parsed.path == "/_fake/accepted":
                    return self._answer(200, esp.report())
                if parsed.path != "/_fake/messages":
                    return self._answer(404, {"ErrorCode": 404, "Message": "Not found"})
                wanted = parse_qs(parsed.query).get("message_id", [""])[0]
                return self._answer(200, {"MessageID": wanted, "Count": esp.count(wanted)})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if urlparse(self.path).path != "/email":
                    return self._answer(404, {"ErrorCode": 404, "Message": "Not found"})
                if self.headers.get("X-Postmark-Server-Token") != SERVER_TOKEN:
                    return self._answer(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
                failure = esp._take_call()
                if failure == "limit":
                    return self._answer(503, {"ErrorCode": 100, "Message": "Fake provider: call limit reached."})
                if failure == "500":
                    return self._answer(500, {"ErrorCode": 100, "Message": "Fake provider: internal error."})
                if failure == "drop":
                    return self._drop()
                if failure in ("accept-drop", "accept-slow"):
                    return self._accept_then_fail(json.loads(body or b"{}"), failure)
                self._accept(json.loads(body or b"{}"))

            def _search(self, query: dict[str, list[str]]) -> None:
                """Postmark's Outbound Messages search: count and offset required; metadata_<key> filters."""
                if self.headers.get("X-Postmark-Server-Token") != SERVER_TOKEN:
                    return self._answer(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
                with esp._lock:
                    esp.searches += 1
                    unlucky = esp.search_fail_rate and esp.search_rng.random() < esp.search_fail_rate
                    if unlucky:
                        esp.failures["search"] += 1
                if esp.search_fails or unlucky:
                    return self._answer(500, {"ErrorCode": 100, "Message": "Fake provider: search failed."})
                try:
                    count, offset = int(query["count"][0]), int(query["offset"][0])
                except (KeyError, ValueError):
                    return self._answer(422, {"ErrorCode": 1, "Message": "The 'count' and 'offset' are required."})
                filters = {key[len("metadata_"):]: values[0] for key, values in query.items()
                           if key.startswith("metadata_")}  # fmt: skip
                if len(filters) > 1:
                    return self._answer(422, {"ErrorCode": 1, "Message": "Only one metadata filter is allowed."})
                with esp._lock:
                    candidates = esp.accepted
                    if list(filters) == ["dispatch_id"]:
                        candidates = esp._by_dispatch_id(filters["dispatch_id"])
                    found = [m for m in reversed(candidates)
                             if all(str(m.metadata.get(k)) == v for k, v in filters.items())]  # fmt: skip
                    if esp.search_lags > 0:
                        esp.search_lags -= 1
                        found = []
                page = [esp.search_entry(message) for message in found[offset : offset + count]]
                return self._answer(200, {"TotalCount": len(found), "Messages": page})

            def _accept_then_fail(self, data: dict, failure: str) -> None:
                """Accepted (stored, will be delivered), but the caller never gets the answer in time."""
                message = esp._record(data)
                with esp._lock:
                    esp.answers_lost.append(message.message_id)
                try:
                    if failure == "accept-drop":
                        return self._drop()
                    time.sleep(esp.slow)
                    self._answer(200, {"To": message.to, "SubmittedAt": message.submitted_at,
                                       "MessageID": message.postmark_id, "ErrorCode": 0, "Message": "OK"})  # fmt: skip
                except OSError:
                    pass
                finally:
                    with esp._lock:
                        esp._in_flight -= 1

            def _accept(self, data: dict) -> None:
                to = data.get("To", "")
                addresses = [part.strip().rsplit("<", 1)[-1].rstrip(">").lower() for part in to.split(",") if part]
                inactive = [address for address in addresses if address in esp.inactive]
                if inactive and len(inactive) == len(addresses):
                    text = (
                        "You tried to send to a recipient that has been marked as inactive.\n"
                        f"Found inactive addresses: {', '.join(inactive)}.\n"
                        "Inactive recipients are ones that have generated a hard bounce or a spam complaint. "
                    )
                    return self._answer(422, {"ErrorCode": 406, "Message": text})
                message = esp._record(data)
                try:
                    esp._open.wait(timeout=esp.lifetime)
                    if esp.delay:
                        time.sleep(esp.delay)
                    text = "OK"
                    if inactive:
                        text = (f"Message OK, but will not deliver to these inactive addresses: {', '.join(inactive)}."
                                " Inactive recipients are ones that have generated a hard bounce or a spam "
                                "complaint.")  # fmt: skip
                    self._answer(200, {"To": to, "SubmittedAt": message.submitted_at,
                                       "MessageID": message.postmark_id, "ErrorCode": 0, "Message": text})  # fmt: skip
                except OSError:
                    pass  # the caller died while we held its call (a killed worker): it is accepted all the same
                finally:
                    with esp._lock:
                        esp._in_flight -= 1

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _take_call(self) -> str | None:
        """Count a call and decide whether it fails (and how), before anything is accepted."""
        with self._lock:
            self.calls += 1
            if self.calls > self.max_calls:
                return "limit"
            failing = self._failing
            if failing.calls_left <= 0:
                return None
            failing.calls_left -= 1
            if failing.rng.random() >= failing.rate:
                return None
            mode = failing.rng.choice(failing.modes)
            self.failures[mode] += 1
            return mode

    def _record(self, data: dict) -> Accepted:
        headers = {item.get("Name", "").lower(): item.get("Value", "") for item in data.get("Headers", [])}
        message = Accepted(
            postmark_id=str(uuid.uuid4()), message_id=headers.get("message-id", ""), to=data.get("To", ""),
            metadata=data.get("Metadata") or {}, subject=data.get("Subject", ""), tag=data.get("Tag", ""),
            submitted_at=datetime.now(UTC).isoformat(), attachments=data.get("Attachments") or [],
            html_body=data.get("HtmlBody", ""),
        )  # fmt: skip
        with self._lock:
            self.accepted.append(message)
            self._in_flight += 1
        if self.webhook_url:
            self._webhooks.put(message)
        return message

    def _by_dispatch_id(self, dispatch_id: str) -> list[Accepted]:
        """The accepted messages with this dispatch_id metadata, oldest first (called holding the lock)."""
        for message in self.accepted[self._indexed :]:
            self._by_dispatch.setdefault(str(message.metadata.get("dispatch_id")), []).append(message)
        self._indexed = len(self.accepted)
        return self._by_dispatch.get(dispatch_id, [])

    def report(self) -> dict:
        """What a test process reads over HTTP: the calls, the failures by mode, and every accepted message."""
        with self._lock:
            return {
                "calls": self.calls,
                "failures": dict(self.failures),
                "searches": self.searches,
                "answers_lost": list(self.answers_lost),
                "accepted": [
                    {"message_id": m.message_id, "metadata": m.metadata, "postmark_id": m.postmark_id}
                    for m in self.accepted
                ],
            }

    def search_entry(self, message: Accepted) -> dict:
        """One message as the Outbound Messages search lists it."""
        recipients = [part.strip().rsplit("<", 1)[-1].rstrip(">") for part in message.to.split(",") if part]
        return {"Tag": message.tag, "MessageID": message.postmark_id, "To": [{"Email": r, "Name": None}
                for r in recipients], "Cc": [], "Bcc": [], "Recipients": recipients,
                "ReceivedAt": message.submitted_at, "From": "", "Subject": message.subject, "Attachments": [],
                "Status": "Sent", "TrackOpens": False, "TrackLinks": "None", "Metadata": message.metadata,
                "MessageStream": "outbound"}  # fmt: skip

    # Webhooks --------------------------------------------------------------------------------------

    def delivery_payload(self, message: Accepted) -> dict:
        """Postmark's Delivery webhook for an accepted message."""
        recipient = message.to.split(",")[0].strip().rsplit("<", 1)[-1].rstrip(">")
        return {"RecordType": "Delivery", "ServerID": 1, "MessageStream": "outbound",
                "MessageID": message.postmark_id, "Recipient": recipient, "Tag": message.tag,
                "DeliveredAt": datetime.now(UTC).isoformat(), "Details": "Fake provider: delivered.",
                "Metadata": message.metadata}  # fmt: skip

    def _post_webhooks(self) -> None:
        session = requests.Session()
        while not self._stopped.is_set():
            message = self._webhooks.get()
            try:
                if message is None:
                    return
                self._webhooks_open.wait(timeout=self.lifetime)
                self._post(session, self.delivery_payload(message))
            finally:
                self._webhooks.task_done()

    def _post(self, session: requests.Session, payload: dict, tries: int = 5) -> None:
        for attempt in range(tries):  # Postmark retries a webhook that failed; a few times is enough here
            if self._stopped.is_set():
                return
            try:
                response = session.post(self.webhook_url, json=payload, auth=self.webhook_auth, timeout=10)
                if response.status_code < 300:
                    with self._lock:
                        self.webhooks_posted += 1
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1 * (attempt + 1))


def main(argv: list[str] | None = None) -> None:
    """Serve on a port of its own until `lifetime` runs out or SIGTERM, failing `fail_rate` of all calls."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="A fake Postmark on loopback, with fault injection.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--modes", default="500,drop", help="comma-separated: 500, drop, accept-drop, accept-slow")
    parser.add_argument("--search-fail-rate", type=float, default=0.0, help="fraction of searches answering 500")
    parser.add_argument("--slow", type=float, default=3.0, help="seconds an accept-slow call waits")
    parser.add_argument("--lifetime", type=float, default=600)
    parser.add_argument("--max-calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    options = parser.parse_args(argv)
    esp = FakePostmark(lifetime=options.lifetime, max_calls=options.max_calls, port=options.port)
    esp.slow, esp.search_fail_rate = options.slow, options.search_fail_rate
    if options.fail_rate:
        esp.fail(options.fail_rate, calls=options.max_calls, modes=tuple(options.modes.split(",")), seed=options.seed)
    signal.signal(signal.SIGTERM, lambda *_: esp.stop())
    esp.start()
    print(f"fake Postmark listening on {esp.url}", flush=True)  # noqa: T201
    esp._stopped.wait()


if __name__ == "__main__":
    main()
