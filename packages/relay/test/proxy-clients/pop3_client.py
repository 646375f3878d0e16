"""A scripted POP3 client on Python's poplib (a client nobody here wrote), driven by the tests.

argv[1] is a JSON plan: host, port, tls ('none' | 'starttls' | 'implicit'), ca (PEM file), and
steps. Every outcome is printed as one JSON line; a 'wait' step prints {"event": "waiting"} and
reads one line from stdin before going on.
"""
import base64
import json
import poplib
import ssl
import sys


def emit(**fields):
    print(json.dumps(fields), flush=True)


def text(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else str(value)


def connect(plan):
    tls = plan.get('tls', 'none')
    ctx = ssl.create_default_context(cafile=plan['ca']) if tls != 'none' else None
    if tls == 'implicit':
        client = poplib.POP3_SSL(plan['host'], plan['port'], context=ctx)
    else:
        client = poplib.POP3(plan['host'], plan['port'])
        if tls == 'starttls':
            client.stls(context=ctx)
    emit(event='connected', greeting=text(client.getwelcome()))
    return client


def run(client, step):
    op = step['op']
    if op == 'capa':
        emit(event='capa', capabilities=sorted(client.capa().keys()))
    elif op == 'login':
        client.user(step['user'])
        emit(event='login', reply=text(client.pass_(step['password'])))
    elif op == 'stat':
        count, size = client.stat()
        emit(event='stat', count=count, size=size)
    elif op == 'retr':
        reply, lines, octets = client.retr(step['which'])
        body = b'\r\n'.join(lines) + b'\r\n'
        emit(event='retr', reply=text(reply), body=base64.b64encode(body).decode())
    elif op == 'uidl':
        reply, lines, octets = client.uidl()
        emit(event='uidl', lines=[text(line) for line in lines])
    elif op == 'wait':
        emit(event='waiting')
        sys.stdin.readline()
    elif op == 'quit':
        emit(event='quit', reply=text(client.quit()))
    elif op == 'reconnect':
        return connect(PLAN)
    return client


PLAN = json.loads(sys.argv[1])


def main():
    try:
        client = connect(PLAN)
    except (OSError, poplib.error_proto) as error:
        emit(event='error', op='connect', kind=type(error).__name__, text=str(error))
        return
    for step in PLAN['steps']:
        try:
            client = run(client, step)
        except poplib.error_proto as error:
            emit(event='error', op=step['op'], kind='error_proto', text=text(error.args[0] if error.args else error))
        except OSError as error:
            emit(event='error', op=step['op'], kind=type(error).__name__, text=str(error))


main()
