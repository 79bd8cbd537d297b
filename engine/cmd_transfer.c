/* Data-channel commands: passive set-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/ascii.h"
#include "engine/commands.h"
#include "engine/data.h"
#include "engine/listing.h"
#include "common/log.h"
#include "engine/path.h"
#include "engine/perm.h"
#include "config/pasv.h"
#include "privsep/proto.h"

#define XFER_CHUNK (128 * 1024)

static int pasv_failed(struct session *s, int status)
{
	if (status == PASV_EXHAUSTED)
		return ctrl_reply(&s->ctrl, 425,
				  "No passive port available in the configured range.");
	if (status == PASV_REFUSED)
		return ctrl_reply(&s->ctrl, 501, "Passive mode refused.");
	return ctrl_reply(&s->ctrl, 425, "Cannot open passive connection.");
}

int cmd_pasv(struct session *s, const char *arg)
{
	struct net_addr adv;
	struct in_addr v4;
	char reply[128];
	int st;

	(void)arg;
	if (s->eng.epsv_all)
		return ctrl_reply(&s->ctrl, 501, "PASV not allowed after EPSV ALL.");
	if (!net_addr_ipv4(&s->given.local, &v4))
		return ctrl_reply(&s->ctrl, 501, "PASV is IPv4 only (RFC 2428); use EPSV.");
	st = data_pasv_request(s, PASV_KIND_PASV, &adv);
	if (st != PASV_OK)
		return pasv_failed(s, st);
	if (pasv_format_227(reply, sizeof(reply), &adv) < 0)
		return ctrl_reply(&s->ctrl, 425, "Cannot advertise this address with PASV.");
	return ctrl_reply(&s->ctrl, 227, "%s", reply + 4);
}

/* RFC 2428: EPSV, EPSV <proto>, EPSV ALL. */
int cmd_epsv(struct session *s, const char *arg)
{
	struct net_addr adv;
	struct in_addr v4;
	char reply[128];
	const char *mine = net_addr_ipv4(&s->given.local, &v4) ? "1" : "2";
	int st;

	if (strcasecmp(arg, "ALL") == 0) {
		s->eng.epsv_all = true;
		return ctrl_reply(&s->ctrl, 200, "EPSV ALL ok.");
	}
	if (arg[0] && strcmp(arg, mine) != 0) {
		if (strcmp(arg, "1") == 0 || strcmp(arg, "2") == 0)
			return ctrl_reply(&s->ctrl, 522, "Network protocol not supported, use (%s)",
					  mine);
		return ctrl_reply(&s->ctrl, 501, "Bad EPSV argument.");
	}
	st = data_pasv_request(s, PASV_KIND_EPSV, &adv);
	if (st != PASV_OK)
		return pasv_failed(s, st);
	pasv_format_229(reply, sizeof(reply), net_addr_port(&adv));
	return ctrl_reply(&s->ctrl, 229, "%s", reply + 4);
}

/* Listings are in engine/cmd_list.c, RETR/STOR/APPE/STOU in engine/cmd_xfer.c. */
