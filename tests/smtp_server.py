#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for desk's mail tests (aiosmtpd).

Prints the port it listens on, then one line per message it stored. Each
message becomes DIR/NNNN.json with the envelope (mail_from, rcpt_tos), the
raw data, and the headers and body as Python's email package decodes them
(an independent reading of what desk sent). Stops on SIGTERM or when stdin
closes.

  smtp_server.py DIR [--port N] [--reject ADDR]... [--reject-note TEXT]
                     [--auth USER:PASSWORD] [--tls starttls|implicit]
                     [--require-starttls] [--raw]

--reject refuses that recipient with 550 and a reply that quotes it (and
TEXT of --reject-note after it, as some servers add a help line).

--raw stores only the envelope, the raw message and its Message-ID, without
reading the message with Python's email package: it accepts a message in a
fraction of a millisecond rather than a few, as an MTA that just writes its
queue file would (bench/kill_run.py measures with it).

--tls makes a CA and a certificate for 127.0.0.1 with openssl, signed by
it, and writes the CA to DIR/ca.pem for the client to trust.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import signal
import ssl
import subprocess
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write(
        "smtp_server.py: the Python package aiosmtpd is missing; run the tests "
        "with scripts/test, which installs it in target/test-env/\n"
    )
    sys.exit(3)


def make_certificates(directory):
    """A CA (DIR/ca.pem) and a server certificate for 127.0.0.1 signed by it."""
    run = lambda *args: subprocess.run(args, cwd=directory, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=desk test CA")
    run("openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "keyUsage=digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(directory, "server.pem"),
                            os.path.join(directory, "server.key"))
    return context


class Store:
    def __init__(self, directory, reject, note, raw):
        self.directory = directory
        self.reject = {a.lower() for a in reject}
        self.note = f"; {note}" if note else ""
        self.raw = raw
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown{self.note}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if self.raw:
            found = re.search(rb"^Message-ID: *(<[^>\r\n]*>)", raw, re.I | re.M)
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": raw.decode("utf-8", "replace"),
                "headers": {"Message-ID": found.group(1).decode() if found else None},
            }
            return self.store(record)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "tls": session.ssl is not None
                   or server.transport.get_extra_info("sslcontext") is not None,
            "data": raw.decode("utf-8", "replace"),
            "headers": {k: str(v) for k, v in parsed.items()},
            "body": body.get_content() if body is not None else None,
        }
        return self.store(record)

    def store(self, record):
        self.count += 1
        name = os.path.join(self.directory, f"{self.count:04}.json")
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        os.replace(name + ".tmp", name)
        print(f"stored {name}", flush=True)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--reject-note")
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--require-starttls", action="store_true")
    args = parser.parse_args()

    context = make_certificates(args.directory) if args.tls else None
    handler = Store(args.directory, args.reject, args.reject_note, args.raw)
    options = {"hostname": "desk-test", "decode_data": False, "ident": "desk test SMTP"}
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=args.require_starttls)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword)
                  and data.login.decode() == user and data.password.decode() == password)
            # handled=False: aiosmtpd answers 535 itself.
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=authenticate, auth_required=True,
                       # aiosmtpd counts only STARTTLS as TLS for this check.
                       auth_require_tls=args.tls == "starttls")

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, **options), "127.0.0.1", args.port,
        ssl=context if args.tls == "implicit" else None))
    print(server.sockets[0].getsockname()[1], flush=True)

    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    # The test that started it may die without killing it: stdin then closes.
    loop.add_reader(sys.stdin.fileno(),
                    lambda: sys.stdin.buffer.read1(1) or stop.done() or stop.set_result(None))
    loop.run_until_complete(stop)
    server.close()


if __name__ == "__main__":
    main()
