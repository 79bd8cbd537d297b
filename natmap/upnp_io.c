/* UPnP-IGD for the NAT helper: SSDP to the gateway's port 1900 (unicast:
 * the M-SEARCH goes to the gateway itself, over the connected socket made
 * before the sandbox), then HTTP to the gateway only: every URL the router
 * names must have the gateway's own address as its host, or it is
 * refused before any connect(). The router's words are parsed by the pure
 * natmap/upnp.c. We never ask GetStatusInfo: an IGD whose WAN status
 * reads oddly (miniupnpc's "not connected?") is still asked to map. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "natmap/helper.h"

#define HTTP_DEADLINE_MS 5000
#define TRIES_SSDP 4

struct ssdp_ctx {
	struct nm *n;
	struct upnp_url *location;
};

static bool ssdp_match(const uint8_t *p, size_t len, void *ctx)
{
	struct ssdp_ctx *c = ctx;

	return upnp_parse_ssdp((const char *)p, len, c->location) == 0 &&
	       c->location->ip == c->n->gateway;
}

static int wait_fd(int fd, short events, long long end)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = end - now_ms();

	if (left <= 0)
		return -1;
	return poll(&p, 1, (int)left) == 1 ? 0 : -1;
}

/* Connect to U (the gateway, nothing else), send REQ, read the whole
 * response into BUF (at most UPNP_HTTP_MAX); all within one deadline. */
static ssize_t http_exchange(struct nm *n, const struct upnp_url *u, const char *req, size_t len,
			     char *buf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(u->port),
				  .sin_addr = { .s_addr = u->ip } };
	long long end = now_ms() + HTTP_DEADLINE_MS;
	size_t got = 0, sent = 0;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	if (u->ip != n->gateway) {
		nm_why(n, "UPnP-IGD: the gateway named another host; refused");
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if ((connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) ||
	    wait_fd(fd, POLLOUT, end) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		close(fd);
		return -1;
	}
	while (sent < len) {
		ssize_t w;
		if (wait_fd(fd, POLLOUT, end) < 0 || (w = write(fd, req + sent, len - sent)) <= 0) {
			close(fd);
			return -1;
		}
		sent += (size_t)w;
	}
	for (;;) {
		ssize_t r;
		if (got == UPNP_HTTP_MAX || wait_fd(fd, POLLIN, end) < 0) {
			nm_why(n, "UPnP-IGD: the gateway's answer is too large or too slow");
			close(fd);
			return -1;
		}
		r = read(fd, buf + got, UPNP_HTTP_MAX - got);
		if (r == 0)
			break;
		if (r < 0) {
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}

/* A description or SOAP answer: status and body. */
static int http_call(struct nm *n, const struct upnp_url *u, const char *req, size_t len, char *buf,
		     int *status, const char **body, size_t *blen)
{
	ssize_t got = len ? http_exchange(n, u, req, len, buf) : -1;

	if (got < 0)
		return -1;
	if (upnp_http_split(buf, (size_t)got, status, body, blen) < 0) {
		nm_why(n, "UPnP-IGD: a malformed HTTP answer");
		return -1;
	}
	return 0;
}

static enum nm_status discover(struct nm *n)
{
	char req[UPNP_REQ_MAX], buf[UPNP_HTTP_MAX];
	struct upnp_url location;
	struct ssdp_ctx c = { .n = n, .location = &location };
	size_t len = upnp_encode_msearch(req, sizeof(req));
	const char *body;
	size_t blen;
	int status;
	enum nm_status st;

	if (n->ssdp < 0)
		return NM_NOT_SPOKEN;
	st = exchange(n, n->ssdp, (const uint8_t *)req, len, TRIES_SSDP, true, ssdp_match, &c);
	if (st != NM_OK)
		return st;
	len = upnp_encode_get(req, sizeof(req), &location);
	if (http_call(n, &location, req, len, buf, &status, &body, &blen) < 0)
		return NM_FAILED;
	if (status != 200 || upnp_find_control(body, blen, &location, n->service,
					       sizeof(n->service), &n->control) < 0) {
		nm_why(n, "UPnP-IGD: the gateway describes no WAN connection service");
		return NM_FAILED;
	}
	if (n->control.ip != n->gateway) {
		nm_why(n, "UPnP-IGD: the control URL names another host; refused");
		return NM_FAILED;
	}
	n->upnp_ready = true;
	return NM_OK;
}

/* One SOAP action; its answer's body in BUF. A fault sets why. */
static enum nm_status soap(struct nm *n, const char *action, const char *args, char *buf,
			   const char **body, size_t *blen, uint16_t port)
{
	char req[UPNP_REQ_MAX], code[16], text[64];
	size_t len = upnp_encode_soap(req, sizeof(req), &n->control, n->service, action, args);
	int status;

	if (http_call(n, &n->control, req, len, buf, &status, body, blen) < 0) {
		n->upnp_ready = false; /* find it again next time */
		return n->why[0] ? NM_FAILED : NM_NO_ANSWER;
	}
	if (status == 200)
		return NM_OK;
	if (upnp_xml_text(*body, *blen, "errorCode", code, sizeof(code)) < 0)
		snprintf(code, sizeof(code), "HTTP %d", status);
	if (upnp_xml_text(*body, *blen, "errorDescription", text, sizeof(text)) < 0)
		text[0] = '\0';
	if (port)
		nm_why(n, "UPnP-IGD: port %u: %s: error %s %s", port, action, code, text);
	else
		nm_why(n, "UPnP-IGD: %s: error %s %s", action, code, text);
	return NM_FAILED;
}

enum nm_status upnp_probe(struct nm *n, uint32_t *ext_ip)
{
	char buf[UPNP_HTTP_MAX], ip[32];
	const char *body;
	size_t blen;
	enum nm_status st;
	struct in_addr a;

	if (!n->upnp_ready && (st = discover(n)) != NM_OK)
		return st;
	if ((st = soap(n, "GetExternalIPAddress", "", buf, &body, &blen, 0)) != NM_OK)
		return st;
	if (upnp_xml_text(body, blen, "NewExternalIPAddress", ip, sizeof(ip)) < 0 ||
	    inet_pton(AF_INET, ip, &a) != 1) {
		nm_why(n, "UPnP-IGD: no external IPv4 address in the answer");
		return NM_FAILED;
	}
	*ext_ip = a.s_addr;
	return NM_OK;
}

static enum nm_status add(struct nm *n, uint16_t port, uint32_t lease)
{
	char args[512], self[INET_ADDRSTRLEN], buf[UPNP_HTTP_MAX];
	struct in_addr a = { .s_addr = n->self };
	const char *body;
	size_t blen;

	inet_ntop(AF_INET, &a, self, sizeof(self));
	snprintf(args, sizeof(args),
		 "<NewRemoteHost></NewRemoteHost><NewExternalPort>%u</NewExternalPort>"
		 "<NewProtocol>TCP</NewProtocol><NewInternalPort>%u</NewInternalPort>"
		 "<NewInternalClient>%s</NewInternalClient><NewEnabled>1</NewEnabled>"
		 "<NewPortMappingDescription>ftpsd</NewPortMappingDescription>"
		 "<NewLeaseDuration>%u</NewLeaseDuration>",
		 port, port, self, lease);
	return soap(n, "AddPortMapping", args, buf, &body, &blen, port);
}

enum nm_status upnp_port(struct nm *n, uint16_t port, uint32_t lifetime, uint32_t *granted)
{
	char args[256], buf[UPNP_HTTP_MAX];
	const char *body;
	size_t blen;
	enum nm_status st;

	if (!n->upnp_ready && (st = discover(n)) != NM_OK)
		return st;
	if (lifetime == 0) {
		snprintf(args, sizeof(args),
			 "<NewRemoteHost></NewRemoteHost><NewExternalPort>"
			 "%u</NewExternalPort><NewProtocol>TCP</NewProtocol>",
			 port);
		return soap(n, "DeletePortMapping", args, buf, &body, &blen, port);
	}
	*granted = lifetime;
	st = add(n, port, lifetime);
	/* 725 OnlyPermanentLeasesSupported (IGDv1): a lease of 0, which we
	 * renew all the same and delete at exit. */
	if (st == NM_FAILED && strstr(n->why, "error 725")) {
		n->why[0] = '\0';
		*granted = 0;
		st = add(n, port, 0);
	}
	return st;
}
