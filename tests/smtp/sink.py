#!/usr/bin/env python3
"""A real SMTP server on loopback for desk's tests (aiosmtpd, Debian's python3-aiosmtpd).

Every accepted message is written to OUT/NNNNNN.eml, preceded by one JSON line with its
envelope ({"from": ..., "to": [...]}). Prints the port it listens on, then serves until its
standard input closes.

  sink.py OUT [--plan 451,451,550] [--tls CERT KEY --auth USER:PASSWORD] [--delay SECONDS]

--plan: the answers to the first RCPT commands, in order (250 once the plan is used up).
--tls: STARTTLS with this certificate, required; --auth then requires this login over TLS.
--delay: wait this long after keeping each message before saying so (a slow server).
"""

import asyncio
import json
import os
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, out, plan, delay):
        self.out = out
        self.plan = plan
        self.delay = delay
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.plan:
            code = self.plan.pop(0)
            if code != 250:
                kind = "try again later" if code < 500 else "no such user here"
                return f"{code} {code // 100}.{'1.1' if code >= 500 else '3.0'} {kind}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        path = os.path.join(self.out, f"{n:06}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            head = {"from": envelope.mail_from, "to": envelope.rcpt_tos}
            f.write(json.dumps(head).encode() + b"\n")
            data = envelope.original_content or envelope.content
            f.write(data if isinstance(data, bytes) else data.encode())
        os.rename(tmp, path)
        # The message is kept before the answer leaves: a client that dies while it waits
        # has delivered it without knowing (and sends it again).
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    plan, cert, key, login, delay = [], None, None, None, 0.0
    while args:
        a = args.pop(0)
        if a == "--plan":
            plan = [int(x) for x in args.pop(0).split(",") if x]
        elif a == "--tls":
            cert, key = args.pop(0), args.pop(0)
        elif a == "--auth":
            login = args.pop(0).split(":", 1)
        elif a == "--delay":
            delay = float(args.pop(0))
    port = free_port()
    kwargs = {}
    if cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if login:

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and [
                auth_data.login.decode(),
                auth_data.password.decode(),
            ] == login
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_require_tls=True, auth_required=True)
    controller = Controller(
        Handler(out, plan, delay), hostname="127.0.0.1", port=port, **kwargs
    )
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
