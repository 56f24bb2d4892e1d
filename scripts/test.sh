#!/usr/bin/env bash
# The one test command: installs what the tests need, builds, and runs every suite.
# As root it installs missing Debian packages with apt; otherwise it says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(etcd-server etcd-client zookeeper dnsmasq-base bind9-dnsutils dnsperf iproute2 chromium openssl python3-etcd python3-dnspython nsd knot knot-dnsutils bind9 unbound)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
  fi
fi

npm ci --no-audit --no-fund
npm test -- "$@"
