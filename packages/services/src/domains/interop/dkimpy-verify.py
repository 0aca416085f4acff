#!/usr/bin/python3
"""Verifies every DKIM-Signature of the message on standard input with dkimpy (Debian's
python3-dkim), asking the DNS server given as argv[1] (host) and argv[2] (port) for the keys:
the tests serve them from a local server because these machines cannot reach the internet.
Prints one JSON line per signature: {"d", "s", "a", "ok"}."""
import json
import sys

import dkim
import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [sys.argv[1]]
resolver.port = int(sys.argv[2])


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    try:
        answer = resolver.resolve(name, "TXT", lifetime=timeout, tcp=False)
    except dns.exception.DNSException:
        return None
    return b"".join(b"".join(r.strings) for r in answer)


message = sys.stdin.buffer.read()
d = dkim.DKIM(message)
count = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
for i in range(count):
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:  # e.g. "body hash mismatch": a failed verification
        print(f"signature {i}: {e}", file=sys.stderr)
        ok = False
    sig = d.signature_fields
    print(json.dumps({
        "d": sig.get(b"d", b"").decode(),
        "s": sig.get(b"s", b"").decode(),
        "a": sig.get(b"a", b"").decode(),
        "ok": bool(ok),
    }))
