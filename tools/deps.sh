#!/bin/sh
# Installs the Debian packages sipwire builds and tests with. Idempotent:
# apt-get runs only when something is missing.
set -e
PKGS="build-essential clang pkg-config libpcap-dev libpcre2-dev libyaml-dev libcmocka-dev \
libclang-rt-14-dev tshark tcpdump python3 python3-jsonschema python3-yaml jq libhyperscan-dev libssl-dev libh2o-evloop-dev hyperfine time bc \
kamailio sipvicious sip-tester iptables nftables ethtool \
libnetfilter-queue-dev libmnl-dev libcap-dev conntrack"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
