#!/usr/bin/env bash
# Installs the sandbox mail peers from Debian without starting any of Debian's daemons:
# Dovecot (IMAP + LMTP + SASL for Postfix) and Postfix (SMTP submission -> Dovecot LMTP).
# Idempotent: a fast no-op when everything is present. Needs root (CI and bootstrap run as root).
# Usage: install-mail-peers.sh
set -euo pipefail

PACKAGES=(dovecot-imapd dovecot-lmtpd postfix)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "  mail peers present: ${PACKAGES[*]}"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "install-mail-peers.sh: root is needed to install ${missing[*]}" >&2; exit 1; }

# The packages' postinst scripts run `invoke-rc.d <daemon> start`, which would start Dovecot on
# :143/:993 and Postfix with /etc configs. A policy-rc.d answering 101 forbids that. Create one only
# when the image has none, and remove only the one we created.
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# temporary, from DISPATCH scripts/mail/install-mail-peers.sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

# "No configuration": Postfix asks no debconf question and writes no /etc/postfix/main.cf.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/mail-peers-apt.XXXXXX.log)
install() { apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; }
t0=$EPOCHREALTIME
# package lists may be missing or stale on a fresh machine: update once, then retry
if ! install; then
  echo "  apt-get install failed; running apt-get update and retrying"
  apt-get update -q >>"$log" 2>&1 && install || { tail -30 "$log" >&2; exit 1; }
fi
rm -f "$log"
awk -v a="$t0" -v b="$EPOCHREALTIME" -v p="${missing[*]}" 'BEGIN { printf "  installed: %s (%.1fs, no daemon started)\n", p, b - a }'
