#include "natmap/upnp.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The WAN connection services, most wanted first. */
static const char *const wan_services[] = {
	"urn:schemas-upnp-org:service:WANIPConnection:2",
	"urn:schemas-upnp-org:service:WANIPConnection:1",
	"urn:schemas-upnp-org:service:WANPPPConnection:1",
};

/* memmem within N bytes, case-sensitive. */
static const char *find(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle));
}

static bool put(size_t size, int len)
{
	return len > 0 && (size_t)len < size;
}

size_t upnp_encode_msearch(char *buf, size_t size)
{
	int len = snprintf(buf, size,
			   "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
			   "MAN: \"ssdp:discover\"\r\nMX: 1\r\n"
			   "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n");
	return put(size, len) ? (size_t)len : 0;
}

/* LEN decimal digits (1 to 6) at P. */
static int decimal(const char *p, size_t len, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 6)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	*out = v;
	return 0;
}

static bool path_char_ok(char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\';
}

int upnp_parse_url(const char *s, size_t n, struct upnp_url *out)
{
	char host[16];
	size_t i = 7, h = 0, plen;
	unsigned long port = 80;

	memset(out, 0, sizeof(*out));
	if (n < 8 || strncasecmp(s, "http://", 7) != 0)
		return -1;
	while (i < n && h < sizeof(host) - 1 && (s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
		host[h++] = s[i++];
	host[h] = '\0';
	if (inet_pton(AF_INET, host, &out->ip) != 1)
		return -1;
	if (i < n && s[i] == ':') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (decimal(s + d, i - d, &port) < 0 || port == 0 || port > 65535)
			return -1;
	}
	out->port = (uint16_t)port;
	if (i == n) {
		strcpy(out->path, "/");
		return 0;
	}
	plen = n - i;
	if (s[i] != '/' || plen >= sizeof(out->path))
		return -1;
	for (size_t k = 0; k < plen; k++)
		if (!path_char_ok(s[i + k]))
			return -1;
	memcpy(out->path, s + i, plen);
	out->path[plen] = '\0';
	return 0;
}

/* The value of header NAME (case-insensitive, at a line start), trimmed. */
static int header(const char *p, size_t n, const char *name, const char **v, size_t *vlen)
{
	size_t nl = strlen(name);

	for (size_t pos = 0; pos < n;) {
		const char *eol = memchr(p + pos, '\n', n - pos);
		size_t len = eol ? (size_t)(eol - (p + pos)) : n - pos;
		if (len == 0 || (len == 1 && p[pos] == '\r'))
			return -1; /* end of the headers */
		if (len > nl && strncasecmp(p + pos, name, nl) == 0 && p[pos + nl] == ':') {
			size_t a = pos + nl + 1, b = pos + len;
			while (a < b && (p[a] == ' ' || p[a] == '\t'))
				a++;
			while (b > a && (p[b - 1] == '\r' || p[b - 1] == ' '))
				b--;
			*v = p + a;
			*vlen = b - a;
			return 0;
		}
		pos += len + 1;
	}
	return -1;
}

/* "HTTP/1.x NNN": the status, or -1. */
static int status_line(const char *p, size_t n)
{
	if (n < 12 || strncmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
	    p[11] > '9')
		return -1;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

int upnp_parse_ssdp(const char *p, size_t n, struct upnp_url *location)
{
	const char *v;
	size_t vlen;
	const char *eol = memchr(p, '\n', n);

	if (status_line(p, n) != 200 || !eol)
		return -1;
	eol++;
	if (header(eol, n - (size_t)(eol - p), "LOCATION", &v, &vlen) < 0)
		return -1;
	return upnp_parse_url(v, vlen, location);
}

/* The text between <TAG> and </TAG> in [p, p+n), raw. */
static int element(const char *p, size_t n, const char *tag, const char **v, size_t *vlen)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (!(a = find(p, n, open)))
		return -1;
	a += strlen(open);
	if (!(b = find(a, n - (size_t)(a - p), close)))
		return -1;
	*v = a;
	*vlen = (size_t)(b - a);
	return 0;
}

static void trim(const char **v, size_t *len)
{
	while (*len && (**v == ' ' || **v == '\t' || **v == '\r' || **v == '\n'))
		(*v)++, (*len)--;
	while (*len && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t' || (*v)[*len - 1] == '\r' ||
			(*v)[*len - 1] == '\n'))
		(*len)--;
}

int upnp_find_control(const char *xml, size_t n, const struct upnp_url *location, char *service,
		      size_t ssize, struct upnp_url *control)
{
	for (size_t s = 0; s < sizeof(wan_services) / sizeof(wan_services[0]); s++) {
		char want[128];
		const char *at, *end, *v;
		size_t vlen, rest;

		snprintf(want, sizeof(want), "<serviceType>%s</serviceType>", wan_services[s]);
		if (!(at = find(xml, n, want)))
			continue;
		/* Its controlURL is in the same <service> element. */
		rest = n - (size_t)(at - xml);
		end = find(at, rest, "</service>");
		if (!end || element(at, (size_t)(end - at), "controlURL", &v, &vlen) < 0)
			return -1;
		trim(&v, &vlen);
		if (strlen(wan_services[s]) >= ssize)
			return -1;
		strcpy(service, wan_services[s]);
		if (vlen && v[0] == '/') {
			char url[UPNP_PATH_MAX + 32], ip[16];
			inet_ntop(AF_INET, &location->ip, ip, sizeof(ip));
			if (vlen >= UPNP_PATH_MAX)
				return -1;
			snprintf(url, sizeof(url), "http://%s:%u%.*s", ip, location->port,
				 (int)vlen, v);
			return upnp_parse_url(url, strlen(url), control);
		}
		return upnp_parse_url(v, vlen, control);
	}
	return -1;
}

int upnp_http_split(const char *p, size_t n, int *status, const char **body, size_t *blen)
{
	const char *head_end = find(p, n, "\r\n\r\n"), *v;
	size_t vlen, avail;

	if ((*status = status_line(p, n)) < 0 || !head_end)
		return -1;
	*body = head_end + 4;
	avail = n - (size_t)(*body - p);
	if (header(p, (size_t)(head_end + 2 - p), "Transfer-Encoding", &v, &vlen) == 0 &&
	    vlen >= 7 && strncasecmp(v, "chunked", 7) == 0)
		return -1;
	*blen = avail;
	if (header(p, (size_t)(head_end + 2 - p), "Content-Length", &v, &vlen) == 0) {
		unsigned long len;
		if (decimal(v, vlen, &len) < 0 || len > avail)
			return -1; /* not a length, or cut short */
		*blen = (size_t)len;
	}
	return 0;
}

/* The text of the element whose start tag is at LT (after '<'), when its
 * local name (after any "prefix:") is TAG. */
static const char *start_tag(const char *name, size_t left, const char *tag)
{
	const char *local = name;
	size_t k = 0;

	while (k < left && k < 64 && name[k] != '>' && name[k] != ' ' && name[k] != '/') {
		if (name[k] == ':')
			local = name + k + 1;
		k++;
	}
	if (k >= left || name[k] != '>' || (size_t)(name + k - local) != strlen(tag) ||
	    memcmp(local, tag, strlen(tag)) != 0)
		return NULL;
	return name + k + 1;
}

static bool text_char_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '-' || c == '_' || c == ':';
}

int upnp_xml_text(const char *xml, size_t n, const char *tag, char *out, size_t size)
{
	const char *end = xml + n;

	for (const char *lt = memchr(xml, '<', n); lt;
	     lt = memchr(lt + 1, '<', (size_t)(end - lt - 1))) {
		const char *v = start_tag(lt + 1, (size_t)(end - lt - 1), tag), *close;
		size_t vlen;
		if (!v)
			continue;
		if (!(close = memchr(v, '<', (size_t)(end - v))))
			return -1;
		vlen = (size_t)(close - v);
		trim(&v, &vlen);
		if (vlen >= size)
			return -1;
		for (size_t i = 0; i < vlen; i++)
			if (!text_char_ok(v[i]))
				return -1;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return -1;
}

static void host_port(const struct upnp_url *u, char *buf, size_t size)
{
	char ip[16];

	inet_ntop(AF_INET, &u->ip, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, u->port);
}

size_t upnp_encode_get(char *buf, size_t size, const struct upnp_url *u)
{
	char host[32];
	int len;

	host_port(u, host, sizeof(host));
	len = snprintf(buf, size,
		       "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
		       "User-Agent: ftpsd\r\n\r\n",
		       u->path, host);
	return put(size, len) ? (size_t)len : 0;
}

size_t upnp_encode_soap(char *buf, size_t size, const struct upnp_url *control, const char *service,
			const char *action, const char *args)
{
	char host[32], body[1024];
	int blen, len;

	host_port(control, host, sizeof(host));
	blen = snprintf(body, sizeof(body),
			"<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas."
			"xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas."
			"xmlsoap.org/soap/encoding/\"><s:Body><u:%s xmlns:u=\"%s\">%s</u:%s>"
			"</s:Body></s:Envelope>\r\n",
			action, service, args, action);
	if (!put(sizeof(body), blen))
		return 0;
	len = snprintf(buf, size,
		       "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
		       "Content-Type: text/xml; charset=\"utf-8\"\r\nContent-Length: %d\r\n"
		       "SOAPAction: \"%s#%s\"\r\n\r\n%s",
		       control->path, host, blen, service, action, body);
	return put(size, len) ? (size_t)len : 0;
}
