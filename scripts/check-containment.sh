#!/usr/bin/env bash
# Proves that the test suite sends nothing off the machine: runs `npm test` (or the command given) in a
# network namespace whose only route out is a veth pair into a "sink" namespace, where iptables counts
# every IPv4 packet that arrives. The suite isolates itself (scripts/isolate.mjs), so the sink must count 0.
#   sudo bash scripts/check-containment.sh [command...]      default: npm test
set -euo pipefail
cd "$(dirname "$0")/.."
id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
suite="spx-suite-$id" sink="spx-sink-$id"
cleanup() { ip netns del "$suite" 2>/dev/null || true; ip netns del "$sink" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$suite"
ip netns add "$sink"
ip link add "spxa$id" netns "$suite" type veth peer name "spxb$id" netns "$sink"
for ns in "$suite" "$sink"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; ip -n "$ns" link set lo up; done
ip -n "$suite" addr add 198.18.254.1/30 dev "spxa$id"
ip -n "$sink" addr add 198.18.254.2/30 dev "spxb$id"
ip -n "$suite" link set "spxa$id" up
ip -n "$sink" link set "spxb$id" up
ip -n "$suite" route add default via 198.18.254.2
ip netns exec "$sink" iptables -t raw -A PREROUTING -i "spxb$id" -j ACCEPT
# self-check: a packet sent from the suite namespace on its own is counted
ip netns exec "$suite" bash -c 'exec 3<>/dev/udp/198.51.100.7/9; echo x >&3' 2>/dev/null || true
seen=$(ip netns exec "$sink" iptables -t raw -L PREROUTING -v -n -x | awk 'NR==3 {print $1}')
[ "${seen:-0}" -ge 1 ] || { echo "check-containment: the sink does not count (saw ${seen:-0})" >&2; exit 2; }
ip netns exec "$sink" iptables -t raw -Z PREROUTING
[ $# -gt 0 ] || set -- npm test
rc=0
ip netns exec "$suite" "$@" || rc=$?
count=$(ip netns exec "$sink" iptables -t raw -L PREROUTING -v -n -x | awk 'NR==3 {print $1}')
echo "check-containment: the sink counted ${count} packets from the suite's namespace (command exit ${rc})"
[ "$count" -eq 0 ] || exit 1
exit "$rc"
