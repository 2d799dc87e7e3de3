#!/usr/bin/env bash
# Installs Switchboard under systemd: release binaries in /usr/local/bin, units in
# /etc/systemd/system, settings in /etc/switchboard, generated secrets as systemd credentials in
# /etc/switchboard/credentials (root-only). `--uninstall` removes binaries and units but keeps
# /etc/switchboard and /var/lib/switchboard (your configuration, secrets and databases).
set -euo pipefail
cd "$(dirname "$0")/.."

services=(directory notifier router adapters console)
prefix=/usr/local/bin
units=/etc/systemd/system
etc=/etc/switchboard

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (it writes $prefix, $units and $etc)" >&2
    exit 1
fi

if [ "${1:-}" = "--uninstall" ]; then
    systemctl disable --now switchboard.target "${services[@]/#/switchboard-}" 2>/dev/null || true
    for service in "${services[@]}"; do
        rm -f "$prefix/switchboard-$service" "$units/switchboard-$service.service"
    done
    rm -f "$prefix/switchboardctl" "$units/switchboard.target"
    systemctl daemon-reload 2>/dev/null || true
    echo "Switchboard removed. Kept: $etc (settings, credentials) and /var/lib/switchboard (databases)."
    exit 0
fi

swift build -c release
for service in "${services[@]}"; do
    install -m 0755 ".build/release/switchboard-$service" "$prefix/switchboard-$service"
    install -m 0644 "deploy/systemd/switchboard-$service.service" "$units/switchboard-$service.service"
    [ -f "$etc/$service.json" ] || install -D -m 0644 "deploy/config/$service.json" "$etc/$service.json"
done
install -m 0755 .build/release/switchboardctl "$prefix/switchboardctl"
install -m 0644 deploy/systemd/switchboard.target "$units/switchboard.target"

credentials="$etc/credentials"
install -d -m 0700 "$credentials"
secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# One mesh token guards every line port; clients present it as directory-token, notifier-token
# and router-token. Provider secrets start random and must be replaced with the real ones.
for name in token webhook-secret ghl-token twilio-auth-token whatsapp-app-secret whatsapp-verify-token bridge-signing-secret; do
    [ -f "$credentials/$name" ] || { secret > "$credentials/$name"; chmod 0600 "$credentials/$name"; }
done
for name in directory-token notifier-token router-token; do
    [ -f "$credentials/$name" ] || install -m 0600 "$credentials/token" "$credentials/$name"
done
# Empty until used: an OAuth grant replaces the fixed ghl-token when it is filled in.
[ -f "$credentials/ghl-oauth" ] || install -m 0600 /dev/null "$credentials/ghl-oauth"

# The console's admin password: made once, shown once, only its hash kept (as a credential).
console_password=""
if [ ! -f "$credentials/console-password-hash" ]; then
    console_password="$(head -c 15 /dev/urandom | base64 | tr -d '/+=' | head -c 20)"
    printf %s "$console_password" | "$prefix/switchboardctl" console hash-password > "$credentials/console-password-hash"
    chmod 0600 "$credentials/console-password-hash"
fi

systemctl daemon-reload
cat <<MSG
Switchboard is installed.
Console: http://127.0.0.1:7105/ (behind HTTPS: docs/https.md)${console_password:+
  admin password (shown this once; a new one: printf %s NEW | switchboardctl console hash-password > $credentials/console-password-hash): $console_password}
Next:
  1. Put your real provider secrets in $credentials (twilio-auth-token, whatsapp-app-secret,
     whatsapp-verify-token, bridge-signing-secret; for GoHighLevel ghl-token, or ghl-oauth with
     {"clientId","clientSecret","refreshToken"}) and set public-base-url in $etc/adapters.json.
  2. systemctl enable --now switchboard.target
  3. switchboardctl apply -f your-location.json --token-file $credentials/token
     (every switchboardctl command needs the mesh token: --token-file, or SWITCHBOARD_TOKEN)
  4. journalctl -u 'switchboard-*' -f
MSG
