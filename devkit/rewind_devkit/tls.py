"""One TLS context per process for the httpx clients of the local tools, tests and commands.

httpx loads the CA bundle into a new SSL context for every client it makes, `httpx.get` included
(about 40 ms of CPU), even a client that only ever speaks plain HTTP to 127.0.0.1. A test run
makes hundreds of clients, some twenty at once from a thread pool; sharing one context (it is
safe to share across threads) keeps that to one load per process.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["shared_tls_context"]


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CA bundle, hostname checks), made once."""
    return httpx.create_ssl_context()
