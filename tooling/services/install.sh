#!/usr/bin/env bash
# Installs the Debian packages the test suites run as real peers: redis-server (cache tests start
# their own), curl, swaks and python3 (clients nobody here wrote), Dovecot and Postfix (interoperability tests start
# their own instances from generated config directories), chromium (the sign-in page's browser). Run as root; safe to re-run.
set -euo pipefail

missing=()
command -v redis-server >/dev/null || missing+=(redis-server redis-tools)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/pop3 ] ||
  missing+=(dovecot-core dovecot-imapd dovecot-pop3d)
[ -x /usr/sbin/postfix ] || missing+=(postfix)
# The relay's tests drive it with clients nobody here wrote: swaks, curl and Python's mail modules.
command -v swaks >/dev/null || missing+=(swaks)
# swaks's TLS (--tls, --tls-on-connect) needs these; --no-install-recommends leaves them out.
perl -MIO::Socket::SSL -MNet::SSLeay -e1 2>/dev/null || missing+=(libio-socket-ssl-perl libnet-ssleay-perl)
command -v python3 >/dev/null || missing+=(python3)
# `kalisto login`'s end-to-end test drives the sandbox's sign-in page in Debian's chromium
# (through playwright-core, which downloads no browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "tooling/services/install.sh: run as root to install: ${missing[*]}" >&2
  exit 1
fi

# Keep apt from starting the packages' own services on the standard ports: tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
