"""Python's standard library as a peer of the benchmarks: poplib, imaplib and smtplib doing the same
work as the Node contenders, over the same number of connections. Driven by python-peer.ts: one JSON
request per line on stdin, one JSON answer per line on stdout. Only the work is timed (perf_counter),
not the start of Python nor the login, as on the Node side. Tokens arrive on stdin, never in argv,
and are never printed."""

import base64
import hashlib
import imaplib
import json
import poplib
import smtplib
import ssl
import sys
import threading
import time
from email.message import EmailMessage

smtp_connections = []


def context(ca):
    ctx = ssl.create_default_context(cadata=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def xoauth2(user, token):
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def pop3(request):
    client = poplib.POP3_SSL(request["host"], request["port"], context=context(request["ca"]))
    client._shortcmd("AUTH XOAUTH2")
    client._shortcmd(base64.b64encode(xoauth2(request["user"], request["token"]).encode()).decode())
    digests = [] if request.get("digests") else None
    start = time.perf_counter()
    for number in range(1, request["count"] + 1):
        _, lines, _ = client.retr(number)
        # poplib undoes the dot-stuffing and splits the lines; the message is the lines with CRLF.
        body = b"\r\n".join(lines) + b"\r\n"
        if digests is not None:
            digests.append(hashlib.sha256(body).hexdigest())
    ms = (time.perf_counter() - start) * 1e3
    client.quit()
    return {"ms": ms, "digests": digests}


def imap(request):
    client = imaplib.IMAP4_SSL(request["host"], request["port"], ssl_context=context(request["ca"]))
    client.authenticate("XOAUTH2", lambda _: xoauth2(request["user"], request["token"]).encode())
    client.select("INBOX")
    digests = [] if request.get("digests") else None
    start = time.perf_counter()
    status, data = client.fetch("1:*", "(BODY.PEEK[])")
    count = 0
    size = 0
    for item in data:
        if isinstance(item, tuple):
            count += 1
            size += len(item[1])
            if digests is not None:
                digests.append(hashlib.sha256(item[1]).hexdigest())
    ms = (time.perf_counter() - start) * 1e3
    client.logout()
    if status != "OK":
        raise RuntimeError("FETCH failed")
    return {"ms": ms, "count": count, "bytes": size, "digests": digests}


def smtp_open(request):
    for _ in range(request["connections"]):
        client = smtplib.SMTP(request["host"], request["port"], timeout=30)
        client.starttls(context=context(request["ca"]))
        client.ehlo()
        payload = base64.b64encode(xoauth2(request["user"], request["token"]).encode()).decode()
        code, _ = client.docmd("AUTH", f"XOAUTH2 {payload}")
        if code != 235:
            raise RuntimeError(f"AUTH refused ({code})")
        smtp_connections.append(client)
    return {}


def smtp_send(request):
    """Sends `count` messages over the open connections, one thread each taking the next message."""
    lock = threading.Lock()
    next_index = [0]
    errors = []

    def worker(client):
        try:
            while True:
                with lock:
                    index = next_index[0]
                    if index >= request["count"]:
                        return
                    next_index[0] += 1
                message = EmailMessage()
                message["From"] = request["from"]
                message["To"] = request["to"]
                message["Subject"] = f"{request['subject']} {index}"
                message.set_content(request["text"])
                client.send_message(message)
        except Exception as error:  # noqa: BLE001 - reported by name only
            errors.append(type(error).__name__)

    threads = [threading.Thread(target=worker, args=(c,)) for c in smtp_connections]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = (time.perf_counter() - start) * 1e3
    if errors:
        raise RuntimeError(f"send failed: {errors[0]}")
    return {"ms": ms}


def smtp_close(_request):
    while smtp_connections:
        try:
            smtp_connections.pop().quit()
        except Exception:  # noqa: BLE001
            pass
    return {}


OPS = {"pop3": pop3, "imap": imap, "smtp-open": smtp_open, "smtp-send": smtp_send, "smtp-close": smtp_close}

for line in sys.stdin:
    request = json.loads(line)
    try:
        answer = OPS[request["op"]](request)
    except Exception as error:  # noqa: BLE001 - the name only: library errors may quote a command
        answer = {"error": type(error).__name__}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
