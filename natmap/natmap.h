/* The NAT helper (`--role natmap`): one per master, started when a vhost
 * has pasv_address=auto or nat_port_mapping=YES. As root it finds the
 * default gateway and opens one UDP socket connected to the gateway's
 * port 5351 (PCP and NAT-PMP), then becomes nopriv_user in the empty
 * chroot under a seccomp filter that allows no new socket, no connect,
 * and sends only on its link to the master: it can reach the gateway's
 * port 5351 and the master, nothing else. With UPnP-IGD it also holds a
 * socket connected to the gateway's port 1900 (SSDP) and may open TCP
 * connections, each checked to go to the gateway (upnp_io.c). It maps each vhost's ports,
 * learns the external address, renews the leases at half their life and
 * re-learns the address every pasv_address_refresh seconds, and reports
 * each round as PRIV_NAT_STATE. On PRIV_NAT_STOP (or the link closing) it
 * removes its mappings, within a deadline, and exits. */
#ifndef FTPSD_NATMAP_NATMAP_H
#define FTPSD_NATMAP_NATMAP_H

#include "config/config.h"

__attribute__((noreturn)) void natmap_run(const struct ftpsd_config *cfg, int link);

#endif
