#!/bin/sh
# The ftpsd NAT lab: network namespaces, veth pairs, a bridge and nftables
# DNAT + masquerade on a router, all on this machine and nowhere else.
#
#   outside client (ns PREFIX-out)  198.51.100.7/24, gw 198.51.100.1
#            │ veth
#   router (ns PREFIX-rtr)  wan 198.51.100.1/24 plus the public addresses
#            │              203.0.113.10/32 and 203.0.113.99/32,
#            │              lan bridge br0 10.99.0.1/24
#            │ bridge br0 (veths)
#   server (ns PREFIX-srv)  10.99.0.10/24 and 10.99.0.11/24, gw 10.99.0.1
#   inside client (ns PREFIX-in) 10.99.0.20/24, gw 10.99.0.1
#
# The router DNATs, for packets arriving on wan only (no NAT reflection, as
# most home and office routers): 203.0.113.10 → 10.99.0.10 and
# 203.0.113.99 → 10.99.0.11, TCP ports CTRL_PORTS (control, implicit
# FTPS) and PASV_MIN-PASV_MAX (the passive range); LAN traffic leaving on
# wan is masqueraded; new connections from wan to the LAN are dropped
# unless DNATed or RELATED (the FTP conntrack helper's expectations).
#
# Usage:
#   lab.sh up [CTRL_PORTS [PASV_MIN PASV_MAX]]   build (defaults: 21,990 40000 40009)
#   lab.sh down                                  delete everything
#   lab.sh exec srv|rtr|in|out CMD...            run CMD in a namespace
#   lab.sh helper on|off                         FTP conntrack helper on port 21
#   lab.sh status                                addresses and ruleset
#   lab.sh proxy PASV_MIN PASV_MAX               add the reverse-proxy host
#
# `proxy` adds a LAN host for an L4 proxy (HAProxy in the tests), ns
# PREFIX-pxy at 10.99.0.30/24 and 10.99.0.31/24, and two more public
# addresses on the router, 203.0.113.50 and 203.0.113.51, DNATed from wan
# to those two for port 21 and PASV_MIN-PASV_MAX (the proxy forwards them
# to the server; two frontends, two public names); `down` removes it too.
# Environment: LAB_PREFIX (default ftpsd-nat) names the namespaces.
# A hosts file for the server namespace lives in /etc/netns/PREFIX-srv/hosts
# (ip netns exec bind-mounts it over /etc/hosts; edit it in place), and a
# resolv.conf that points at nothing; `down` removes both.
set -eu

P=${LAB_PREFIX:-ftpsd-nat}
SRV=$P-srv RTR=$P-rtr IN=$P-in OUT=$P-out PXY=$P-pxy

LAN_NET=10.99.0.0/24 RTR_LAN=10.99.0.1 SRV_LAN=10.99.0.10 SRV_LAN2=10.99.0.11
IN_LAN=10.99.0.20 RTR_WAN=198.51.100.1 OUT_WAN=198.51.100.7
PUBLIC=203.0.113.10 PUBLIC2=203.0.113.99
PXY_LAN=10.99.0.30 PUBLIC3=203.0.113.50 PXY_LAN2=10.99.0.31 PUBLIC4=203.0.113.51

die() { echo "lab.sh: $*" >&2; exit 1; }
nsx() { ns=$1; shift; ip netns exec "$ns" "$@"; }

veth() { # veth NS_A IF_A NS_B IF_B
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

nft_rules() { # CTRL_PORTS PASV_MIN PASV_MAX
	cat <<NFT
table ip lab {
	ct helper ftp-21 {
		type "ftp" protocol tcp
	}
	chain dnat_in {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" ip daddr $PUBLIC tcp dport { $1, $2-$3 } dnat to $SRV_LAN
		iifname "wan" ip daddr $PUBLIC2 tcp dport { $1, $2-$3 } dnat to $SRV_LAN2
	}
	chain snat_out {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" ip saddr $LAN_NET masquerade
	}
	chain ftp_helper {
		type filter hook forward priority filter - 1; policy accept;
	}
	chain filter_fwd {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname "wan" ct status dnat accept
		iifname "wan" drop
	}
}
NFT
}

up() {
	trap 'down' EXIT
	ctrl=${1:-21,990} pmin=${2:-40000} pmax=${3:-40009}
	for ns in $SRV $RTR $IN $OUT; do
		ip netns list | grep -qw "$ns" && die "$ns exists: run 'lab.sh down' first"
	done
	for ns in $SRV $RTR $IN $OUT; do
		ip netns add "$ns"
		nsx "$ns" ip link set lo up
	done
	# LAN: a bridge in the router, one veth per LAN host.
	nsx $RTR ip link add br0 type bridge
	veth $RTR srv0 $SRV eth0
	veth $RTR in0 $IN eth0
	for i in srv0 in0; do
		nsx $RTR ip link set "$i" master br0
		nsx $RTR ip link set "$i" up
	done
	nsx $RTR ip addr add $RTR_LAN/24 dev br0
	nsx $RTR ip link set br0 up
	nsx $SRV ip addr add $SRV_LAN/24 dev eth0
	nsx $SRV ip addr add $SRV_LAN2/24 dev eth0
	nsx $SRV ip link set eth0 up
	nsx $SRV ip route add default via $RTR_LAN
	nsx $IN ip addr add $IN_LAN/24 dev eth0
	nsx $IN ip link set eth0 up
	nsx $IN ip route add default via $RTR_LAN
	# WAN: the outside client, and the public addresses on a dummy.
	veth $RTR wan $OUT eth0
	nsx $RTR ip addr add $RTR_WAN/24 dev wan
	nsx $RTR ip link set wan up
	nsx $RTR ip addr add $PUBLIC/32 dev wan
	nsx $RTR ip addr add $PUBLIC2/32 dev wan
	nsx $OUT ip addr add $OUT_WAN/24 dev eth0
	nsx $OUT ip link set eth0 up
	nsx $OUT ip route add default via $RTR_WAN
	nsx $RTR sysctl -qw net.ipv4.ip_forward=1
	nft_rules "$ctrl" "$pmin" "$pmax" | nsx $RTR nft -f -
	mkdir -p /etc/netns/$SRV
	[ -e /etc/netns/$SRV/hosts ] || printf '127.0.0.1 localhost\n' >/etc/netns/$SRV/hosts
	# No DNS server in the lab: a name missing from hosts fails at once
	# (nothing listens on the server's own port 53), no query leaves.
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
		>/etc/netns/$SRV/resolv.conf
	trap - EXIT
}

# The reverse proxy's host on the LAN, reached from wan through PUBLIC3.
proxy() { # PASV_MIN PASV_MAX
	[ $# -eq 2 ] || die "proxy PASV_MIN PASV_MAX"
	ip netns list | grep -qw "$PXY" && die "$PXY exists"
	ip netns add $PXY
	nsx $PXY ip link set lo up
	veth $RTR pxy0 $PXY eth0
	nsx $RTR ip link set pxy0 master br0
	nsx $RTR ip link set pxy0 up
	nsx $PXY ip addr add $PXY_LAN/24 dev eth0
	nsx $PXY ip addr add $PXY_LAN2/24 dev eth0
	nsx $PXY ip link set eth0 up
	nsx $PXY ip route add default via $RTR_LAN
	nsx $RTR ip addr add $PUBLIC3/32 dev wan
	nsx $RTR ip addr add $PUBLIC4/32 dev wan
	nsx $RTR nft add rule ip lab dnat_in iifname "wan" ip daddr $PUBLIC3 \
		tcp dport "{ 21, $1-$2 }" dnat to $PXY_LAN
	nsx $RTR nft add rule ip lab dnat_in iifname "wan" ip daddr $PUBLIC4 \
		tcp dport "{ 21, $1-$2 }" dnat to $PXY_LAN2
}

down() {
	for ns in $PXY $SRV $RTR $IN $OUT; do
		if ip netns list | grep -qw "$ns"; then
			# Processes left in a namespace keep it alive: end them.
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill -9 "$pid" 2>/dev/null || true
			done
			ip netns del "$ns" || true
		fi
	done
	rm -rf /etc/netns/$SRV
}

helper() {
	case $1 in
	on) nsx $RTR nft add rule ip lab ftp_helper iifname "wan" tcp dport 21 ct helper set "ftp-21" ;;
	off) nsx $RTR nft flush chain ip lab ftp_helper ;;
	*) die "helper on|off" ;;
	esac
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
up) up "$@" ;;
down) down ;;
exec)
	[ $# -ge 2 ] || die "exec srv|rtr|in|out CMD..."
	ns=$P-$1
	shift
	exec ip netns exec "$ns" "$@"
	;;
helper) helper "${1:-}" ;;
proxy) proxy "$@" ;;
status)
	for ns in $SRV $RTR $IN $OUT $PXY; do
		ip netns list | grep -qw "$ns" || continue
		echo "== $ns"
		nsx "$ns" ip -br addr
	done
	nsx $RTR nft list ruleset
	;;
*) sed -n '2,39p' "$0"; exit 2 ;;
esac
