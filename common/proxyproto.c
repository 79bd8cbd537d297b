/* PROXY protocol v1 and v2 headers (the spec: haproxy's
 * doc/proxy-protocol.txt). Untrusted input: every length is checked
 * against what was received and against our bounds before use. */
#include "common/proxyproto.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
static const char v1_sig[] = "PROXY ";

#define V2_FIXED 16
#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_FAM_UNSPEC 0x0
#define V2_FAM_INET 0x1
#define V2_FAM_INET6 0x2
#define V2_PROTO_STREAM 0x1
#define V2_INET_LEN 12  /* two IPv4 addresses, two ports */
#define V2_INET6_LEN 36 /* two IPv6 addresses, two ports */
#define V2_TLV_HEAD 3   /* type, 16-bit length */

static enum proxy_status fail(const char **why, const char *reason)
{
	*why = reason;
	return PROXY_ERROR;
}

static bool prefix_of(const uint8_t *buf, size_t len, const void *sig, size_t siglen)
{
	return memcmp(buf, sig, len < siglen ? len : siglen) == 0;
}

bool proxy_header_looks_like(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return false;
	return prefix_of(buf, len, v1_sig, sizeof(v1_sig) - 1) ||
	       prefix_of(buf, len, v2_sig, sizeof(v2_sig));
}

/* ---- version 1 ---------------------------------------------------------- */

/* The next space-separated word of LINE[*pos..end), at most CAP-1 bytes,
 * into WORD. Words are separated by exactly one space (the spec). */
static int v1_word(const char *line, size_t end, size_t *pos, char *word, size_t cap)
{
	size_t start = *pos, n;

	while (*pos < end && line[*pos] != ' ')
		(*pos)++;
	n = *pos - start;
	if (n == 0 || n >= cap)
		return -1;
	memcpy(word, line + start, n);
	word[n] = '\0';
	if (*pos < end)
		(*pos)++; /* the separator */
	return 0;
}

/* 0..65535 in decimal, no sign, no leading zero (nothing else sends one). */
static int v1_port(const char *word, unsigned *port)
{
	unsigned v = 0;
	size_t n = strlen(word);

	if (n == 0 || n > 5 || (word[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (word[i] < '0' || word[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(word[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int v1_addr(struct net_addr *out, const char *ip, const char *port, int family)
{
	unsigned p;

	if (v1_port(port, &p) < 0 || net_addr_parse(out, ip, p) < 0)
		return -1;
	return net_addr_family(out) == family ? 0 : -1;
}

/* LINE is the header without its CRLF, LEN bytes, all printable. */
static enum proxy_status v1_fields(const char *line, size_t len, struct proxy_header *out,
				   const char **why)
{
	char proto[8], sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN], sport[8], dport[8];
	size_t pos = sizeof(v1_sig) - 1;
	int family;

	if (v1_word(line, len, &pos, proto, sizeof(proto)) < 0)
		return fail(why, "PROXY v1: bad protocol");
	if (strcmp(proto, "UNKNOWN") == 0) {
		/* The rest is to be ignored (the spec): the proxy's own
		 * connection, a health check. */
		out->local = true;
		return PROXY_DONE;
	}
	if (strcmp(proto, "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(proto, "TCP6") == 0)
		family = AF_INET6;
	else
		return fail(why, "PROXY v1: unknown protocol");
	if (v1_word(line, len, &pos, sip, sizeof(sip)) < 0 ||
	    v1_word(line, len, &pos, dip, sizeof(dip)) < 0 ||
	    v1_word(line, len, &pos, sport, sizeof(sport)) < 0 ||
	    v1_word(line, len, &pos, dport, sizeof(dport)) < 0 || pos != len ||
	    line[len - 1] == ' ')
		return fail(why, "PROXY v1: malformed fields");
	if (v1_addr(&out->src, sip, sport, family) < 0 ||
	    v1_addr(&out->dst, dip, dport, family) < 0)
		return fail(why, "PROXY v1: bad address or port");
	return PROXY_DONE;
}

static enum proxy_status v1_parse(const uint8_t *buf, size_t len, struct proxy_header *out,
				  const char **why)
{
	size_t i;

	if (!prefix_of(buf, len, v1_sig, sizeof(v1_sig) - 1))
		return fail(why, "not a PROXY header");
	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\r')
			break;
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return fail(why, "PROXY v1: control or non-ASCII byte");
	}
	if (i == PROXY_V1_MAX)
		return fail(why, "PROXY v1: longer than 107 bytes");
	if (i == len || i + 1 == len)
		return PROXY_MORE; /* no CR yet, or CR as the last byte */
	if (buf[i + 1] != '\n')
		return fail(why, "PROXY v1: CR without LF");
	if (i + 2 > PROXY_V1_MAX)
		return fail(why, "PROXY v1: longer than 107 bytes");
	if (i < sizeof(v1_sig) - 1)
		return fail(why, "PROXY v1: truncated");
	out->version = 1;
	out->len = i + 2;
	return v1_fields((const char *)buf, i, out, why);
}

/* ---- version 2 ---------------------------------------------------------- */

static void v2_inet(struct net_addr *a, const uint8_t *ip, const uint8_t *port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ip, 4);
	memcpy(&sin->sin_port, port, 2); /* both in network order */
	a->len = sizeof(*sin);
}

static void v2_inet6(struct net_addr *a, const uint8_t *ip, const uint8_t *port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, ip, 16);
	memcpy(&sin6->sin6_port, port, 2);
	a->len = sizeof(*sin6);
}

/* The TLVs after the addresses, BODY[0..len): each must fit. Their
 * contents are not used (none changes whom we serve), only walked. */
static int v2_tlvs_ok(const uint8_t *body, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		size_t vlen;
		if (len - pos < V2_TLV_HEAD)
			return -1;
		vlen = ((size_t)body[pos + 1] << 8) | body[pos + 2];
		if (vlen > len - pos - V2_TLV_HEAD)
			return -1;
		pos += V2_TLV_HEAD + vlen;
	}
	return 0;
}

/* BODY is the LEN bytes after the fixed part; ADDRS of them are
 * addresses, the rest TLVs. */
static enum proxy_status v2_addresses(uint8_t fam, const uint8_t *body, size_t len,
				      struct proxy_header *out, const char **why)
{
	size_t addrs;

	if ((fam & 0x0f) != V2_PROTO_STREAM)
		return fail(why, "PROXY v2: not a stream connection");
	if (fam >> 4 == V2_FAM_INET)
		addrs = V2_INET_LEN;
	else if (fam >> 4 == V2_FAM_INET6)
		addrs = V2_INET6_LEN;
	else
		return fail(why, "PROXY v2: not an IPv4 or IPv6 connection");
	if (len < addrs)
		return fail(why, "PROXY v2: addresses truncated");
	if (v2_tlvs_ok(body + addrs, len - addrs) < 0)
		return fail(why, "PROXY v2: malformed TLV");
	if (addrs == V2_INET_LEN) {
		v2_inet(&out->src, body, body + 8);
		v2_inet(&out->dst, body + 4, body + 10);
	} else {
		v2_inet6(&out->src, body, body + 32);
		v2_inet6(&out->dst, body + 16, body + 34);
	}
	return PROXY_DONE;
}

static enum proxy_status v2_parse(const uint8_t *buf, size_t len, struct proxy_header *out,
				  const char **why)
{
	size_t body;

	if (!prefix_of(buf, len, v2_sig, sizeof(v2_sig)))
		return fail(why, "not a PROXY header");
	if (len > sizeof(v2_sig) && buf[12] >> 4 != 2)
		return fail(why, "PROXY v2: unknown version");
	if (len > sizeof(v2_sig) && (buf[12] & 0x0f) > V2_CMD_PROXY)
		return fail(why, "PROXY v2: unknown command");
	if (len < V2_FIXED)
		return PROXY_MORE;
	body = ((size_t)buf[14] << 8) | buf[15];
	if (body > PROXY_HEADER_MAX - V2_FIXED)
		return fail(why, "PROXY v2: longer than we accept");
	if (len < V2_FIXED + body)
		return PROXY_MORE;
	out->version = 2;
	out->len = V2_FIXED + body;
	if ((buf[12] & 0x0f) == V2_CMD_LOCAL) {
		/* A health check of the proxy's own: addresses (if any) are
		 * not about a client; TLVs are skipped unread. */
		out->local = true;
		return PROXY_DONE;
	}
	return v2_addresses(buf[13], buf + V2_FIXED, body, out, why);
}

enum proxy_status proxy_header_parse(const uint8_t *buf, size_t len, struct proxy_header *out,
				     const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len == 0)
		return PROXY_MORE;
	if (buf[0] == v1_sig[0])
		return v1_parse(buf, len, out, why);
	if (buf[0] == v2_sig[0])
		return v2_parse(buf, len, out, why);
	return fail(why, "not a PROXY header");
}
