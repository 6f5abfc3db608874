"""Hardening under workerd (issue 10), only what the runtime itself shows: request bodies are
streamed (never read for an unknown route or before the key, cut at the cap), deep JSON does not
kill the isolate (the claim across two runtimes: test_two_runtimes.py). Every point is
tested in-process too (tests/app)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.tls import shared_tls_context
from tests.support.helpers import add_key, bearer, unique

MB = 1024 * 1024
ANSWER_TIMEOUT_S = 20


def _status_after_partial_body(worker: LocalWorker, head: str, first: bytes) -> tuple[int, float]:
    """Send a request's head and only the start of its body, then read the status line: an
    answer arriving at all proves the Worker did not wait for (read) the rest of the body."""
    url = urlsplit(worker.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=ANSWER_TIMEOUT_S) as sock:
        started = time.monotonic()
        sock.sendall(head.encode() + b"\r\n" + first)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        elapsed = time.monotonic() - started
    return int(answer.split(b" ", 2)[1]), elapsed


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/v1/nothing/here", 404), ("POST", "/v1/admin/keys", 401)],
)
def test_a_chunked_body_is_not_read_for_an_unknown_route_or_without_a_key(
    worker: LocalWorker, method: str, path: str, status: int
) -> None:
    # The head announces a chunked body that never ends; only its first KB is ever sent. (With a
    # 1 MB first chunk, still being passed on inside the local runtime when the Worker answered,
    # the connection once closed with no answer at all under load.)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n"
    )
    answered, elapsed = _status_after_partial_body(worker, head, _chunk(b"[" * 1024))
    assert answered == status
    assert elapsed < 5


def test_a_declared_length_over_the_cap_is_413_before_the_body(worker: LocalWorker) -> None:
    admin = add_key(worker, scope="admin")
    head = (
        f"PUT /v1/admin/images/listening/albums/{unique('big')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {admin}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {30 * MB}\r\nConnection: close\r\n"
    )
    answered, elapsed = _status_after_partial_body(worker, head, b"--x\r\n")
    assert answered == 413
    assert elapsed < 5


def test_a_chunked_upload_over_the_cap_is_cut_while_streaming(worker: LocalWorker) -> None:
    admin = add_key(worker, scope="admin")
    entity = unique("stream")
    head = (
        f"PUT /v1/admin/images/listening/albums/{entity} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Bearer {admin}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    # Far more than the cap: a reader that stopped at the cap leaves most of it unsent.
    total_mb = 200
    sent_mb = [0]
    answered = threading.Event()
    url = urlsplit(worker.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=ANSWER_TIMEOUT_S) as sock:
        sock.sendall(head.encode())

        def send() -> None:  # 1 MB chunks, stopping once the answer is in
            with contextlib.suppress(OSError):  # the Worker may close the connection
                while sent_mb[0] < total_mb and not answered.is_set():
                    sock.sendall(_chunk(b"\0" * MB))
                    sent_mb[0] += 1

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            status_line = sock.recv(4096).split(b"\r\n", 1)[0]
        except ConnectionResetError:
            status_line = b""  # the runtime reset the connection as it stopped reading
        at_answer = sent_mb[0]
        answered.set()
        sender.join(ANSWER_TIMEOUT_S)
    # The runtime answers 413 and closes; when its close overtakes the answer under load (a
    # reset discards what the client had not read yet), the connection ends without one. Either
    # way it came while most of the body was still unsent: the reader stopped at the cap
    # (20 MB). What else was sent sits in socket and runtime buffers, which hold more while the
    # machine is loaded (53 MB was seen with the whole suite running on two cores).
    # (Seen twice in many runs of the whole suite, never alone: a 500, cause unknown. The
    # message keeps the log's lines about this request and any error, not only its tail.)
    assert status_line == b"" or status_line.split(b" ")[1] == b"413", (
        status_line,
        [
            line
            for line in worker.log().splitlines()
            if entity in line or any(word in line for word in ("Traceback", "rror", "failed"))
        ][-40:],
    )
    assert at_answer < total_mb // 2


def test_deep_json_is_a_400_and_the_isolate_lives_on(worker: LocalWorker) -> None:
    admin = bearer(add_key(worker, scope="admin", rate_limit_rpm=1000))
    # Measured without the bound: 5,000 nested arrays aborted the process ("Python worker fatal
    # error: RangeError: Maximum call stack size exceeded"); the client saw a 500.
    deep = b"[" * 5_000 + b"]" * 5_000
    with httpx.Client(base_url=worker.base_url, timeout=60, verify=shared_tls_context()) as client:
        response = client.post("/v1/admin/keys", headers=admin, content=deep)
        assert response.status_code == 400
        assert response.json() == {"error": "Body is nested too deeply", "status": 400}
        after = client.get("/v1/admin/keys", headers=admin)
    assert after.status_code == 200
    # The per-isolate rate-limit count went on: the same isolate answered both (a crashed
    # isolate is replaced by a fresh one, which would start counting again).
    remaining = int(response.headers["x-ratelimit-remaining"])
    assert int(after.headers["x-ratelimit-remaining"]) == remaining - 1
