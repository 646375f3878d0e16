"""A scripted IMAP client on Python's imaplib (a client nobody here wrote), driven by the tests.

argv[1] is a JSON plan: host, port, tls ('none' | 'starttls' | 'implicit'), ca (PEM file), and
steps. Every outcome is printed as one JSON line; a 'wait' step prints {"event": "waiting"} and
reads one line from stdin before going on (the test does something meanwhile).
"""
import base64
import imaplib
import json
import ssl
import sys


def emit(**fields):
    print(json.dumps(fields), flush=True)


def text(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else str(value)


def context(plan):
    ctx = ssl.create_default_context(cafile=plan['ca'])
    if plan.get('maxTls') == 'TLSv1.1':
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers('DEFAULT@SECLEVEL=0')
    return ctx


def connect(plan):
    tls = plan.get('tls', 'none')
    if tls == 'implicit':
        client = imaplib.IMAP4_SSL(plan['host'], plan['port'], ssl_context=context(plan))
    else:
        client = imaplib.IMAP4(plan['host'], plan['port'])
        if tls == 'starttls':
            client.starttls(ssl_context=context(plan))
    emit(event='connected', greeting=text(client.welcome), capabilities=list(client.capabilities))
    return client


def idle(client):
    tag = client._new_tag().decode()
    client.send(f'{tag} IDLE\r\n'.encode())
    emit(event='idle-started', reply=text(client.readline()).strip())
    print(json.dumps({'event': 'waiting'}), flush=True)
    sys.stdin.readline()
    while True:
        line = text(client.readline()).strip()
        if line.endswith('EXISTS'):
            break
    client.send(b'DONE\r\n')
    while True:
        done = text(client.readline()).strip()
        if done.startswith(tag):
            break
    emit(event='idle', exists=line, done=done)


def run(client, step):
    op = step['op']
    if op == 'login':
        typ, data = client.login(step['user'], step['password'])
        emit(event='login', typ=typ, text=text(data[0]), capability=text(client.response('CAPABILITY')[1][0] or b''))
    elif op == 'authenticate-plain':
        credentials = f"\0{step['user']}\0{step['password']}".encode()
        typ, data = client.authenticate('PLAIN', lambda _challenge: credentials)
        emit(event='login', typ=typ, text=text(data[0]))
    elif op == 'select':
        typ, data = client.select(step.get('mailbox', 'INBOX'))
        emit(event='select', typ=typ, exists=int(data[0]))
    elif op == 'fetch-all':
        typ, data = client.fetch('1:*', '(BODY.PEEK[])')
        bodies = [base64.b64encode(part[1]).decode() for part in data if isinstance(part, tuple)]
        emit(event='fetch', typ=typ, bodies=bodies)
    elif op == 'append':
        typ, data = client.append(step.get('mailbox', 'INBOX'), None, None, base64.b64decode(step['message']))
        emit(event='append', typ=typ, text=text(data[0]))
    elif op == 'list':
        typ, data = client.list()
        emit(event='list', typ=typ, folders=[text(line) for line in data])
    elif op == 'noop':
        typ, data = client.noop()
        emit(event='noop', typ=typ)
    elif op == 'idle':
        idle(client)
    elif op == 'wait':
        emit(event='waiting')
        sys.stdin.readline()
    elif op == 'logout':
        typ, data = client.logout()
        emit(event='logout', typ=typ)
    elif op == 'reconnect':
        return connect(PLAN)
    return client


PLAN = json.loads(sys.argv[1])


def main():
    try:
        client = connect(PLAN)
    except (OSError, imaplib.IMAP4.error) as error:
        emit(event='error', op='connect', kind=type(error).__name__, text=str(error))
        return
    for step in PLAN['steps']:
        try:
            client = run(client, step)
        except imaplib.IMAP4.abort as error:
            emit(event='error', op=step['op'], kind='abort', text=str(error))
        except imaplib.IMAP4.error as error:
            emit(event='error', op=step['op'], kind='error', text=str(error))
        except OSError as error:
            emit(event='error', op=step['op'], kind=type(error).__name__, text=str(error))


main()
