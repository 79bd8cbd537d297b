/* UPnP-IGD (UPnP Device Architecture 1.1; WANIPConnection:1/2,
 * WANPPPConnection:1) as the NAT helper needs it, the parsing and the
 * encoding: an SSDP M-SEARCH sent to the gateway itself, its reply's
 * LOCATION, the device description's control URL, HTTP responses and
 * SOAP requests and their answers. Pure: no I/O. Untrusted: every byte
 * parsed here comes from the router, and nothing in it is a C string
 * until a function below has bounded and copied it. */
#ifndef FTPSD_NATMAP_UPNP_H
#define FTPSD_NATMAP_UPNP_H

#include <stddef.h>
#include <stdint.h>

#define UPNP_SSDP_PORT 1900
#define UPNP_PATH_MAX 256
#define UPNP_SERVICE_MAX 64
#define UPNP_HTTP_MAX 65536 /* the most we read of any HTTP response */
#define UPNP_REQ_MAX 2048

/* http://IPv4[:port]/path; IP in network order. */
struct upnp_url {
	uint32_t ip;
	uint16_t port;
	char path[UPNP_PATH_MAX];
};

size_t upnp_encode_msearch(char *buf, size_t size);

/* An http URL with an IPv4 literal host (a router names no other). 0/-1. */
int upnp_parse_url(const char *s, size_t n, struct upnp_url *out);

/* An SSDP reply ("HTTP/1.1 200", a LOCATION header) of N bytes: 0/-1. */
int upnp_parse_ssdp(const char *p, size_t n, struct upnp_url *location);

/* In the device description XML (N bytes), the first WAN connection
 * service: its type into SERVICE, its control URL (absolute, or a path
 * relative to LOCATION's host) into CONTROL. 0/-1. */
int upnp_find_control(const char *xml, size_t n, const struct upnp_url *location, char *service,
		      size_t ssize, struct upnp_url *control);

/* An HTTP response of N bytes: its status and its body (bounded by
 * Content-Length when there is one; chunked bodies are refused). 0/-1. */
int upnp_http_split(const char *p, size_t n, int *status, const char **body, size_t *blen);

/* The text of the first element named TAG (any namespace prefix) in the
 * N bytes of XML: letters, digits and ".-_:" only, into OUT. 0/-1. */
int upnp_xml_text(const char *xml, size_t n, const char *tag, char *out, size_t size);

size_t upnp_encode_get(char *buf, size_t size, const struct upnp_url *u);

/* A SOAP POST of ACTION of SERVICE to CONTROL, ARGS the argument
 * elements (ours, already formatted). 0 when it does not fit. */
size_t upnp_encode_soap(char *buf, size_t size, const struct upnp_url *control, const char *service,
			const char *action, const char *args);

#endif
