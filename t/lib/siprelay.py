#!/usr/bin/env python3
"""siprelay.py - a stateless SIP/UDP relay for tests that tampers with SDP.

usage: siprelay.py PORT [--corrupt-answers]

A party configured with this relay as its outbound proxy sends its
requests here; the relay adds its own Via and forwards the request to the
Request-URI's host and port. Responses come back through its Via, which
it removes before sending them on to the next Via. With
--corrupt-answers it flips one hex digit of every a=fingerprint in the
responses (a man in the middle who substitutes the answerer's
certificate; the length, and so Content-Length, stays the same). Loopback only; it exits after 300 s in any case.
"""
import os
import re
import socket
import sys
import time

port = int(sys.argv[1])
corrupt = "--corrupt-answers" in sys.argv[2:]
me = "127.0.0.1:%d" % port
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", port))
sock.settimeout(1.0)
deadline = time.time() + 300


def flip(m):
    fp = m.group(2)
    first = fp[0]
    return m.group(1) + ("0" if first != "0" else "1") + fp[1:]


def hostport(text, default=5060):
    m = re.match(r"\[?([0-9a-fA-F.:]+?)\]?(?::(\d+))?$", text)
    return (m.group(1), int(m.group(2) or default)) if m else None


while time.time() < deadline:
    try:
        data, src = sock.recvfrom(65535)
    except socket.timeout:
        continue
    text = data.decode("utf-8", "replace")
    head, sep, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if lines[0].startswith("SIP/2.0"):
        vias = [i for i, l in enumerate(lines) if re.match(r"(?i)^(via|v)\s*:", l)]
        if not vias or me not in lines[vias[0]]:
            continue
        del lines[vias[0]]
        nxt = [l for l in lines if re.match(r"(?i)^(via|v)\s*:", l)]
        if not nxt:
            continue
        sent_by = re.search(r"SIP/2\.0/UDP\s+([^;\s]+)", nxt[0], re.I)
        rport = re.search(r";rport=(\d+)", nxt[0])
        received = re.search(r";received=([^;\s]+)", nxt[0])
        dest = hostport(sent_by.group(1)) if sent_by else None
        if dest is None:
            continue
        if received:
            dest = (received.group(1), dest[1])
        if rport:
            dest = (dest[0], int(rport.group(1)))
        if corrupt:
            body = re.sub(r"(a=fingerprint:\S+ )([0-9A-Fa-f:]+)", flip, body)
    else:
        m = re.match(r"^\S+\s+sips?:(?:[^@\s]*@)?([^;>\s]+)", lines[0])
        dest = hostport(m.group(1)) if m else None
        if dest is None:
            continue
        branch = "z9hG4bKrelay" + os.urandom(6).hex()
        first_via = next(i for i, l in enumerate(lines) if re.match(r"(?i)^(via|v)\s*:", l))
        lines.insert(first_via, "Via: SIP/2.0/UDP %s;branch=%s" % (me, branch))
    out = "\r\n".join(lines) + sep + body
    sock.sendto(out.encode("utf-8", "replace"), dest)
