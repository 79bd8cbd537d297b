/* Unit tests for privsep/codec.c and privsep/proto.c: the wire format the
 * engine and the monitor speak. The monitor must treat every datagram as
 * hostile, so most of this file feeds it malformed input. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "privsep/codec.h"
#include "privsep/proto.h"

#define WIRE_MAX (PRIV_HDR_LEN + PRIV_BODY_MAX)
#define FUZZ_ROUNDS 20000

/* ---- helpers ---------------------------------------------------------- */

/* Encode M to the wire and parse it back into OUT, as a datagram would
 * travel between the two processes. */
static void wire_round_trip(const struct priv_msg *m, struct priv_msg *out)
{
	static uint8_t wire[WIRE_MAX];
	int n = priv_msg_encode(m, wire, sizeof(wire));

	assert_true(n >= PRIV_HDR_LEN);
	assert_int_equal((size_t)n, PRIV_HDR_LEN + m->len);
	assert_int_equal(priv_msg_decode(out, wire, (size_t)n), 0);
	assert_int_equal(out->type, m->type);
	assert_int_equal(out->len, m->len);
	assert_int_equal(out->pos, 0);
	assert_int_equal(out->fd, -1);
	assert_false(out->bad);
}

/* A header with every field chosen by the caller. */
static void put_hdr(uint8_t *wire, uint16_t type, uint16_t reserved, uint32_t len)
{
	memcpy(wire, &type, 2);
	memcpy(wire + 2, &reserved, 2);
	memcpy(wire + 4, &len, 4);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The fd number the kernel would hand out next. */
static int next_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static bool fd_is_open(int fd)
{
	errno = 0;
	if (fcntl(fd, F_GETFD) >= 0)
		return true;
	assert_int_equal(errno, EBADF);
	return false;
}

static void seqpacket_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* Send a raw datagram with NFDS fds attached (each in its own cmsg when
 * SPLIT, all in one otherwise). */
static void send_raw(int sock, const void *data, size_t n, const int *fds, size_t nfds, int split)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16) * 2 + 16 * CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = n };
	struct msghdr mh = { 0 };
	ssize_t sent;

	assert_true(nfds <= 16);
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;
		mh.msg_control = ctl.buf;
		if (split) {
			mh.msg_controllen = nfds * CMSG_SPACE(sizeof(int));
			c = CMSG_FIRSTHDR(&mh);
			for (size_t i = 0; i < nfds; i++) {
				assert_non_null(c);
				c->cmsg_level = SOL_SOCKET;
				c->cmsg_type = SCM_RIGHTS;
				c->cmsg_len = CMSG_LEN(sizeof(int));
				memcpy(CMSG_DATA(c), &fds[i], sizeof(int));
				c = CMSG_NXTHDR(&mh, c);
			}
		} else {
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
	}
	sent = sendmsg(sock, &mh, MSG_NOSIGNAL);
	assert_int_equal(sent, (ssize_t)n);
}

static void same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_dev, sb.st_dev);
	assert_int_equal(sa.st_ino, sb.st_ino);
}

static int temp_file(void)
{
	char name[] = "/tmp/ftpsd-test-codec-XXXXXX";
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	unlink(name);
	return fd;
}

/* Build a message of TYPE with the fields put by the caller, send it
 * across the wire, and hand back the parsed copy for a decoder. */
static void reparse(struct priv_msg *m)
{
	static struct priv_msg copy;

	wire_round_trip(m, &copy);
	memcpy(m, &copy, sizeof(copy));
}

/* Start a hand-built LOGIN body: whatever fixed fields precede the user
 * name (taken from a real encoding, so the tests follow the format), then
 * the caller puts user, pass and pending itself. */
static void login_begin(struct priv_msg *m)
{
	static struct priv_login empty;
	static const uint8_t zeros[12];

	memset(&empty, 0, sizeof(empty));
	priv_encode_login(m, &empty);
	/* Empty user, pass and pending: three zero u32 lengths at the end. */
	assert_true(m->len >= 12);
	assert_memory_equal(m->body + m->len - 12, zeros, 12);
	m->len -= 12;
}

/* ---- round trips ------------------------------------------------------ */

static void test_rt_log(void **state)
{
	static struct priv_msg m, r;
	struct priv_log in, out;
	(void)state;

	for (uint32_t lvl = LOG_LVL_ERR; lvl <= LOG_LVL_DEBUG; lvl++) {
		memset(&in, 0, sizeof(in));
		in.level = lvl;
		snprintf(in.line, sizeof(in.line), "engine says %u: ok", lvl);
		priv_encode_log(&m, &in);
		assert_int_equal(m.type, PRIV_LOG);
		wire_round_trip(&m, &r);
		memset(&out, 0x5a, sizeof(out));
		assert_int_equal(priv_decode_log(&r, &out), 0);
		assert_int_equal(out.level, lvl);
		assert_string_equal(out.line, in.line);
	}

	/* Longest line that fits, and the empty line. */
	memset(&in, 0, sizeof(in));
	memset(in.line, 'L', sizeof(in.line) - 1);
	priv_encode_log(&m, &in);
	wire_round_trip(&m, &r);
	assert_int_equal(priv_decode_log(&r, &out), 0);
	assert_int_equal(strlen(out.line), sizeof(out.line) - 1);
	assert_string_equal(out.line, in.line);

	memset(&in, 0, sizeof(in));
	priv_encode_log(&m, &in);
	wire_round_trip(&m, &r);
	assert_int_equal(priv_decode_log(&r, &out), 0);
	assert_string_equal(out.line, "");
}

static void test_rt_login_with_pending(void **state)
{
	static struct priv_msg m, r;
	static struct priv_login in, out;
	(void)state;

	memset(&in, 0, sizeof(in));
	strcpy(in.user, "alice");
	strcpy(in.pass, "s3cr3t with spaces");
	/* A pipelining client: the next commands, binary-unsafe bytes too. */
	static const uint8_t pend[] = "PWD\r\nTYPE I\r\n\0\xff\xf4X";
	memcpy(in.pending, pend, sizeof(pend));
	in.npending = sizeof(pend);

	priv_encode_login(&m, &in);
	assert_int_equal(m.type, PRIV_LOGIN);
	wire_round_trip(&m, &r);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(priv_decode_login(&r, &out), 0);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.pass, "s3cr3t with spaces");
	assert_int_equal(out.npending, sizeof(pend));
	assert_memory_equal(out.pending, pend, sizeof(pend));

	/* No pending bytes, empty password. */
	memset(&in, 0, sizeof(in));
	strcpy(in.user, "bob");
	priv_encode_login(&m, &in);
	wire_round_trip(&m, &r);
	assert_int_equal(priv_decode_login(&r, &out), 0);
	assert_string_equal(out.user, "bob");
	assert_string_equal(out.pass, "");
	assert_int_equal(out.npending, 0);

	/* Every field at its maximum. */
	memset(&in, 0, sizeof(in));
	memset(in.user, 'u', sizeof(in.user) - 1);
	memset(in.pass, 'p', sizeof(in.pass) - 1);
	for (size_t i = 0; i < sizeof(in.pending); i++)
		in.pending[i] = (uint8_t)(i * 7);
	in.npending = PRIV_PENDING_MAX;
	priv_encode_login(&m, &in);
	wire_round_trip(&m, &r);
	assert_int_equal(priv_decode_login(&r, &out), 0);
	assert_string_equal(out.user, in.user);
	assert_string_equal(out.pass, in.pass);
	assert_int_equal(out.npending, PRIV_PENDING_MAX);
	assert_memory_equal(out.pending, in.pending, PRIV_PENDING_MAX);
}

static void test_rt_login_result(void **state)
{
	static struct priv_msg m, r;
	const uint32_t results[] = { LOGIN_FAIL, LOGIN_CLOSE };
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		uint32_t got = 0;
		priv_encode_login_result(&m, results[i]);
		assert_int_equal(m.type, PRIV_LOGIN_RESULT);
		wire_round_trip(&m, &r);
		assert_int_equal(priv_decode_login_result(&r, &got), 0);
		assert_int_equal(got, results[i]);
	}
}

static void test_rt_pasv(void **state)
{
	static struct priv_msg m, r;
	const uint32_t kinds[] = { PASV_KIND_PASV, PASV_KIND_EPSV };
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		uint32_t got = 0;
		priv_encode_pasv(&m, kinds[i]);
		assert_int_equal(m.type, PRIV_PASV);
		wire_round_trip(&m, &r);
		assert_int_equal(priv_decode_pasv(&r, &got), 0);
		assert_int_equal(got, kinds[i]);
	}
}

/* PRIV_ASSIGN with and without the client a trusted proxy named. */
static void test_rt_assign(void **state)
{
	static struct priv_msg m, r;
	struct priv_assign a = { .vhost = 3, .implicit_tls = 1, .proxied = 1 }, got;
	char ip[NETADDR_STRLEN];
	(void)state;

	assert_int_equal(net_addr_parse(&a.client, "2001:db8::9", 4711), 0);
	assert_int_equal(net_addr_parse(&a.proxy, "10.0.0.5", 33000), 0);
	priv_encode_assign(&m, &a, -1);
	wire_round_trip(&m, &r);
	r.fd = 7; /* as if passed: ASSIGN needs its connection */
	assert_int_equal(priv_decode_assign(&r, &got), 0);
	assert_int_equal(got.vhost, 3);
	assert_int_equal(got.proxied, 1);
	net_addr_string(&got.client, ip, sizeof(ip));
	assert_string_equal(ip, "[2001:db8::9]:4711");
	net_addr_string(&got.proxy, ip, sizeof(ip));
	assert_string_equal(ip, "10.0.0.5:33000");

	a.proxied = 0;
	priv_encode_assign(&m, &a, -1);
	wire_round_trip(&m, &r);
	r.fd = 7;
	assert_int_equal(priv_decode_assign(&r, &got), 0);
	assert_int_equal(got.proxied, 0);
	assert_int_equal(got.client.len, 0);
	/* "proxied" is a flag, and a proxied one carries two addresses. */
	a.proxied = 2;
	priv_encode_assign(&m, &a, -1);
	wire_round_trip(&m, &r);
	r.fd = 7;
	assert_int_equal(priv_decode_assign(&r, &got), -1);
}

static void test_rt_xfer(void **state)
{
	static struct priv_msg m, r;
	static struct priv_xfer in, out;
	(void)state;

	memset(&in, 0, sizeof(in));
	in.direction = XFER_UPLOAD;
	in.ascii = 1;
	in.complete = 0;
	in.bytes = UINT64_C(0x123456789abcdef0);
	in.msecs = UINT64_MAX;
	strcpy(in.path, "/home/alice/dir with space/f\xc3\xa9.txt");
	priv_encode_xfer(&m, &in);
	assert_int_equal(m.type, PRIV_XFER);
	wire_round_trip(&m, &r);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(priv_decode_xfer(&r, &out), 0);
	assert_int_equal(out.direction, XFER_UPLOAD);
	assert_int_equal(out.ascii, 1);
	assert_int_equal(out.complete, 0);
	assert_true(out.bytes == in.bytes);
	assert_true(out.msecs == in.msecs);
	assert_string_equal(out.path, in.path);

	memset(&in, 0, sizeof(in));
	in.direction = XFER_DOWNLOAD;
	in.complete = 1;
	memset(in.path, 'p', sizeof(in.path) - 1);
	priv_encode_xfer(&m, &in);
	wire_round_trip(&m, &r);
	assert_int_equal(priv_decode_xfer(&r, &out), 0);
	assert_int_equal(out.direction, XFER_DOWNLOAD);
	assert_int_equal(out.complete, 1);
	assert_int_equal(out.bytes, 0);
	assert_string_equal(out.path, in.path);
}

static void test_rt_pasv_result_error_statuses(void **state)
{
	static struct priv_msg m, r;
	const uint32_t st[] = { PASV_EXHAUSTED, PASV_REFUSED, PASV_ERROR };
	(void)state;

	for (size_t i = 0; i < 3; i++) {
		struct priv_pasv_result in, out;
		memset(&in, 0, sizeof(in));
		in.status = st[i];
		/* An fd on an error result is never sent. */
		in.fd = 0;
		priv_encode_pasv_result(&m, &in);
		assert_int_equal(m.type, PRIV_PASV_RESULT);
		assert_int_equal(m.fd, -1);
		wire_round_trip(&m, &r);
		assert_int_equal(priv_decode_pasv_result(&r, &out), 0);
		assert_int_equal(out.status, st[i]);
		assert_int_equal(out.fd, -1);
	}
}

/* PASV_RESULT through a real SOCK_SEQPACKET pair: the listener fd arrives
 * and refers to the same open file. */
static void test_rt_pasv_result_fd_passing(void **state)
{
	static struct priv_msg m, r;
	const struct {
		const char *ip;
		unsigned port;
		const char *want_ip; /* after the trip */
		int want_family;
	} cases[] = {
		{ "10.1.2.3", 50000, "10.1.2.3", AF_INET },
		{ "::1", 2121, "::1", AF_INET6 },
		{ "2001:db8::7", 65535, "2001:db8::7", AF_INET6 },
		/* IPv4-mapped is sent as its IPv4 form. */
		{ "::ffff:192.0.2.9", 1, "192.0.2.9", AF_INET },
	};
	int sv[2];
	(void)state;

	seqpacket_pair(sv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct priv_pasv_result in, out;
		char ip[NETADDR_STRLEN];
		int file = temp_file();
		int fdflags;

		memset(&in, 0, sizeof(in));
		in.status = PASV_OK;
		assert_int_equal(net_addr_parse(&in.advertise, cases[i].ip, cases[i].port), 0);
		in.fd = file;
		priv_encode_pasv_result(&m, &in);
		assert_int_equal(m.fd, file);
		assert_int_equal(priv_send(sv[0], &m), 0);

		assert_int_equal(priv_recv(sv[1], &r), 1);
		assert_int_equal(r.type, PRIV_PASV_RESULT);
		assert_true(r.fd >= 0);
		assert_int_not_equal(r.fd, file);
		same_file(r.fd, file);
		/* Received with MSG_CMSG_CLOEXEC. */
		fdflags = fcntl(r.fd, F_GETFD);
		assert_true(fdflags >= 0 && (fdflags & FD_CLOEXEC));

		memset(&out, 0, sizeof(out));
		assert_int_equal(priv_decode_pasv_result(&r, &out), 0);
		assert_int_equal(out.status, PASV_OK);
		assert_int_equal(out.fd, r.fd);
		assert_int_equal(net_addr_family(&out.advertise), cases[i].want_family);
		assert_int_equal(net_addr_port(&out.advertise), cases[i].port);
		net_addr_ip_string(&out.advertise, ip, sizeof(ip));
		assert_string_equal(ip, cases[i].want_ip);
		close(r.fd);
		close(file);
	}
	close(sv[0]);
	close(sv[1]);
}

/* Every message type through priv_send/priv_recv, no fd. */
static void test_rt_all_over_socket(void **state)
{
	static struct priv_msg m, r;
	static struct priv_login login;
	static struct priv_xfer xfer;
	struct priv_log lg;
	uint32_t v;
	int sv[2];
	(void)state;

	seqpacket_pair(sv);

	memset(&lg, 0, sizeof(lg));
	lg.level = LOG_LVL_WARN;
	strcpy(lg.line, "hello");
	priv_encode_log(&m, &lg);
	assert_int_equal(priv_send(sv[0], &m), 0);
	assert_int_equal(priv_recv(sv[1], &r), 1);
	assert_int_equal(r.type, PRIV_LOG);
	assert_int_equal(r.fd, -1);
	assert_int_equal(priv_decode_log(&r, &lg), 0);
	assert_string_equal(lg.line, "hello");

	memset(&login, 0, sizeof(login));
	strcpy(login.user, "u");
	strcpy(login.pass, "p");
	login.npending = 3;
	memcpy(login.pending, "a\r\n", 3);
	priv_encode_login(&m, &login);
	assert_int_equal(priv_send(sv[1], &m), 0);
	assert_int_equal(priv_recv(sv[0], &r), 1);
	assert_int_equal(r.type, PRIV_LOGIN);
	assert_int_equal(priv_decode_login(&r, &login), 0);
	assert_int_equal(login.npending, 3);
	assert_memory_equal(login.pending, "a\r\n", 3);

	priv_encode_login_result(&m, LOGIN_CLOSE);
	assert_int_equal(priv_send(sv[0], &m), 0);
	assert_int_equal(priv_recv(sv[1], &r), 1);
	assert_int_equal(priv_decode_login_result(&r, &v), 0);
	assert_int_equal(v, LOGIN_CLOSE);

	priv_encode_pasv(&m, PASV_KIND_EPSV);
	assert_int_equal(priv_send(sv[1], &m), 0);
	assert_int_equal(priv_recv(sv[0], &r), 1);
	assert_int_equal(priv_decode_pasv(&r, &v), 0);
	assert_int_equal(v, PASV_KIND_EPSV);

	memset(&xfer, 0, sizeof(xfer));
	xfer.direction = XFER_DOWNLOAD;
	xfer.bytes = 42;
	strcpy(xfer.path, "/x");
	priv_encode_xfer(&m, &xfer);
	assert_int_equal(priv_send(sv[1], &m), 0);
	assert_int_equal(priv_recv(sv[0], &r), 1);
	assert_int_equal(priv_decode_xfer(&r, &xfer), 0);
	assert_int_equal(xfer.bytes, 42);
	assert_string_equal(xfer.path, "/x");

	close(sv[0]);
	close(sv[1]);
}

/* ---- hostile headers -------------------------------------------------- */

static void test_truncated_header(void **state)
{
	static struct priv_msg m;
	uint8_t wire[PRIV_HDR_LEN];
	(void)state;

	put_hdr(wire, PRIV_LOG, 0, 0);
	for (size_t n = 0; n < PRIV_HDR_LEN; n++)
		assert_int_equal(priv_msg_decode(&m, wire, n), -1);
	/* A full header with an empty body is well-formed at this layer. */
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN), 0);
	assert_int_equal(m.len, 0);
}

static void test_length_field_mismatch(void **state)
{
	static struct priv_msg m;
	static uint8_t wire[WIRE_MAX + 16];
	(void)state;

	memset(wire, 0, sizeof(wire));
	/* Length larger than the datagram. */
	put_hdr(wire, PRIV_PASV, 0, 10);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 5), -1);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 9), -1);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 10), 0);
	/* Length smaller than the datagram. */
	put_hdr(wire, PRIV_PASV, 0, 4);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 10), -1);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 5), -1);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 4), 0);
	/* A length that would wrap or exceed the body buffer. */
	put_hdr(wire, PRIV_PASV, 0, UINT32_MAX);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + 4), -1);
	put_hdr(wire, PRIV_PASV, 0, PRIV_BODY_MAX + 1);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + PRIV_BODY_MAX + 1), -1);
	put_hdr(wire, PRIV_PASV, 0, PRIV_BODY_MAX);
	assert_int_equal(priv_msg_decode(&m, wire, PRIV_HDR_LEN + PRIV_BODY_MAX), 0);
}

static void test_reserved_nonzero(void **state)
{
	static struct priv_msg m;
	uint8_t wire[PRIV_HDR_LEN + 4] = { 0 };
	const uint16_t bad[] = { 1, 0x100, 0x8000, 0xffff };
	(void)state;

	for (size_t i = 0; i < 4; i++) {
		put_hdr(wire, PRIV_PASV, bad[i], 4);
		assert_int_equal(priv_msg_decode(&m, wire, sizeof(wire)), -1);
	}
}

/* ---- hostile bodies --------------------------------------------------- */

static void test_string_overruns_body(void **state)
{
	static struct priv_msg m;
	struct priv_log lg;
	static struct priv_login login;
	(void)state;

	/* LOG: line length says 100, only 10 bytes follow. */
	priv_msg_init(&m, PRIV_LOG);
	priv_put_u32(&m, LOG_LVL_INFO);
	priv_put_u32(&m, 100);
	priv_put_u32(&m, 0x41414141);
	priv_put_u32(&m, 0x41414141);
	priv_put_u32(&m, 0x0a0a4141);
	reparse(&m);
	assert_int_equal(priv_decode_log(&m, &lg), -1);
	assert_string_equal(lg.line, "");

	/* Length says UINT32_MAX: no wrap-around in the bounds check. */
	priv_msg_init(&m, PRIV_LOG);
	priv_put_u32(&m, LOG_LVL_INFO);
	priv_put_u32(&m, UINT32_MAX);
	reparse(&m);
	assert_int_equal(priv_decode_log(&m, &lg), -1);

	/* A length field itself cut short (2 of its 4 bytes). */
	login_begin(&m);
	priv_put_str(&m, "alice");
	m.body[m.len++] = 3;
	m.body[m.len++] = 0;
	reparse(&m);
	assert_int_equal(priv_decode_login(&m, &login), -1);

	/* Pending bytes overrun. */
	login_begin(&m);
	priv_put_str(&m, "alice");
	priv_put_str(&m, "pw");
	priv_put_u32(&m, 16);
	priv_put_u32(&m, 0);
	reparse(&m);
	assert_int_equal(priv_decode_login(&m, &login), -1);

	/* Raw getters agree: a failed read returns 0 and marks bad. */
	priv_msg_init(&m, PRIV_LOG);
	priv_put_u32(&m, 7);
	reparse(&m);
	assert_int_equal(priv_get_u32(&m), 7);
	assert_int_equal(priv_get_u32(&m), 0);
	assert_true(m.bad);
	assert_int_equal(priv_msg_check(&m), -1);
	/* Once bad, stays bad. */
	assert_int_equal(priv_get_u64(&m), 0);
	assert_true(m.bad);
}

static void test_string_embedded_nul(void **state)
{
	static struct priv_msg m;
	struct priv_log lg;
	static struct priv_login login;
	static struct priv_xfer x;
	(void)state;

	priv_msg_init(&m, PRIV_LOG);
	priv_put_u32(&m, LOG_LVL_INFO);
	priv_put_bytes(&m, "ab\0cd", 5);
	reparse(&m);
	assert_int_equal(priv_decode_log(&m, &lg), -1);

	/* "root\0x": a truncation attack on the user name. */
	login_begin(&m);
	priv_put_bytes(&m, "root\0x", 6);
	priv_put_str(&m, "pw");
	priv_put_bytes(&m, "", 0);
	reparse(&m);
	assert_int_equal(priv_decode_login(&m, &login), -1);

	login_begin(&m);
	priv_put_str(&m, "alice");
	priv_put_bytes(&m, "pw\0", 3); /* trailing NUL counts as embedded */
	priv_put_bytes(&m, "", 0);
	reparse(&m);
	assert_int_equal(priv_decode_login(&m, &login), -1);

	/* NUL bytes in pending data are just data. */
	login_begin(&m);
	priv_put_str(&m, "alice");
	priv_put_str(&m, "pw");
	priv_put_bytes(&m, "\0\0\0", 3);
	reparse(&m);
	assert_int_equal(priv_decode_login(&m, &login), 0);
	assert_int_equal(login.npending, 3);

	priv_msg_init(&m, PRIV_XFER);
	priv_put_u32(&m, XFER_DOWNLOAD);
	priv_put_u32(&m, 0);
	priv_put_u32(&m, 1);
	priv_put_u64(&m, 1);
	priv_put_u64(&m, 1);
	priv_put_bytes(&m, "/a\0/etc/shadow", 14);
	reparse(&m);
	assert_int_equal(priv_decode_xfer(&m, &x), -1);
}

static void test_string_longer_than_destination(void **state)
{
	static struct priv_msg m;
	static char big[PRIV_PATH_MAX + 2];
	static struct priv_login login;
	static struct priv_xfer x;
	struct priv_log lg;
	(void)state;

	memset(big, 'A', sizeof(big));

	/* LOG line: 1023 fits, 1024 does not. */
	for (size_t n = PRIV_LINE_MAX - 1; n <= PRIV_LINE_MAX; n++) {
		priv_msg_init(&m, PRIV_LOG);
		priv_put_u32(&m, LOG_LVL_INFO);
		priv_put_bytes(&m, big, n);
		reparse(&m);
		assert_int_equal(priv_decode_log(&m, &lg), n < PRIV_LINE_MAX ? 0 : -1);
	}

	/* User name: 255 fits, 256 does not. */
	for (size_t n = PRIV_USER_MAX - 1; n <= PRIV_USER_MAX; n++) {
		login_begin(&m);
		priv_put_bytes(&m, big, n);
		priv_put_str(&m, "pw");
		priv_put_bytes(&m, "", 0);
		reparse(&m);
		assert_int_equal(priv_decode_login(&m, &login), n < PRIV_USER_MAX ? 0 : -1);
	}

	/* Password. */
	for (size_t n = PRIV_PASS_MAX - 1; n <= PRIV_PASS_MAX; n++) {
		login_begin(&m);
		priv_put_str(&m, "u");
		priv_put_bytes(&m, big, n);
		priv_put_bytes(&m, "", 0);
		reparse(&m);
		assert_int_equal(priv_decode_login(&m, &login), n < PRIV_PASS_MAX ? 0 : -1);
	}

	/* Pending (raw bytes, no NUL): 4096 fits, 4097 does not. */
	for (size_t n = PRIV_PENDING_MAX; n <= PRIV_PENDING_MAX + 1; n++) {
		login_begin(&m);
		priv_put_str(&m, "u");
		priv_put_str(&m, "p");
		priv_put_bytes(&m, big, n);
		reparse(&m);
		assert_int_equal(priv_decode_login(&m, &login), n <= PRIV_PENDING_MAX ? 0 : -1);
	}

	/* Transfer path: 4095 fits, 4096 does not. */
	for (size_t n = PRIV_PATH_MAX - 1; n <= PRIV_PATH_MAX; n++) {
		priv_msg_init(&m, PRIV_XFER);
		priv_put_u32(&m, XFER_UPLOAD);
		priv_put_u32(&m, 0);
		priv_put_u32(&m, 0);
		priv_put_u64(&m, 0);
		priv_put_u64(&m, 0);
		priv_put_bytes(&m, big, n);
		reparse(&m);
		assert_int_equal(priv_decode_xfer(&m, &x), n < PRIV_PATH_MAX ? 0 : -1);
	}

	/* priv_get_str into a zero-size buffer. */
	priv_msg_init(&m, PRIV_LOG);
	priv_put_str(&m, "");
	reparse(&m);
	priv_get_str(&m, big, 0);
	assert_true(m.bad);

	/* priv_get_bytes never writes past SIZE. */
	{
		char out[8];
		memset(out, 'Z', sizeof(out));
		priv_msg_init(&m, PRIV_LOG);
		priv_put_bytes(&m, "0123456789", 10);
		reparse(&m);
		assert_int_equal(priv_get_bytes(&m, out, 4), 0);
		assert_true(m.bad);
		assert_memory_equal(out + 4, "ZZZZ", 4);
	}
}

static void test_trailing_garbage(void **state)
{
	static struct priv_msg m;
	static struct priv_login login;
	static struct priv_xfer x;
	struct priv_log lg;
	struct priv_pasv_result pr;
	uint32_t v;
	const size_t extra[] = { 1, 4 };
	(void)state;

	for (size_t e = 0; e < 2; e++) {
		memset(&lg, 0, sizeof(lg));
		strcpy(lg.line, "x");
		priv_encode_log(&m, &lg);
		m.body[m.len] = 0;
		m.len += extra[e];
		reparse(&m);
		assert_int_equal(priv_decode_log(&m, &lg), -1);

		memset(&login, 0, sizeof(login));
		priv_encode_login(&m, &login);
		m.body[m.len] = 0;
		m.len += extra[e];
		reparse(&m);
		assert_int_equal(priv_decode_login(&m, &login), -1);

		priv_encode_login_result(&m, LOGIN_FAIL);
		m.len += extra[e];
		reparse(&m);
		assert_int_equal(priv_decode_login_result(&m, &v), -1);

		priv_encode_pasv(&m, PASV_KIND_PASV);
		m.len += extra[e];
		reparse(&m);
		assert_int_equal(priv_decode_pasv(&m, &v), -1);

		memset(&pr, 0, sizeof(pr));
		pr.status = PASV_REFUSED;
		pr.fd = -1;
		priv_encode_pasv_result(&m, &pr);
		m.len += extra[e];
		reparse(&m);
		assert_int_equal(priv_decode_pasv_result(&m, &pr), -1);

		memset(&x, 0, sizeof(x));
		x.direction = XFER_DOWNLOAD;
		priv_encode_xfer(&m, &x);
		m.len += extra[e];
		reparse(&m);
		assert_int_equal(priv_decode_xfer(&m, &x), -1);
	}
}

/* Each decoder on a body that stops before its last field. */
static void test_short_bodies(void **state)
{
	static struct priv_msg m, full;
	static struct priv_login login;
	static struct priv_xfer x;
	struct priv_log lg;
	uint32_t v;
	(void)state;

	memset(&x, 0, sizeof(x));
	x.direction = XFER_UPLOAD;
	strcpy(x.path, "/f");
	priv_encode_xfer(&full, &x);
	for (size_t n = 0; n < full.len; n++) {
		memcpy(&m, &full, sizeof(m));
		m.len = n;
		reparse(&m);
		assert_int_equal(priv_decode_xfer(&m, &x), -1);
	}

	memset(&login, 0, sizeof(login));
	strcpy(login.user, "u");
	login.npending = 2;
	priv_encode_login(&full, &login);
	for (size_t n = 0; n < full.len; n++) {
		memcpy(&m, &full, sizeof(m));
		m.len = n;
		reparse(&m);
		assert_int_equal(priv_decode_login(&m, &login), -1);
	}

	memset(&lg, 0, sizeof(lg));
	strcpy(lg.line, "abc");
	priv_encode_log(&full, &lg);
	for (size_t n = 0; n < full.len; n++) {
		memcpy(&m, &full, sizeof(m));
		m.len = n;
		reparse(&m);
		assert_int_equal(priv_decode_log(&m, &lg), -1);
	}

	for (size_t n = 0; n < 4; n++) {
		priv_encode_login_result(&m, LOGIN_FAIL);
		m.len = n;
		reparse(&m);
		assert_int_equal(priv_decode_login_result(&m, &v), -1);
		priv_encode_pasv(&m, PASV_KIND_PASV);
		m.len = n;
		reparse(&m);
		assert_int_equal(priv_decode_pasv(&m, &v), -1);
	}
}

static void test_enum_out_of_range(void **state)
{
	static struct priv_msg m;
	static struct priv_xfer x;
	struct priv_log lg;
	uint32_t v;
	(void)state;

	/* LOG level above DEBUG. */
	{
		const uint32_t bad[] = { LOG_LVL_DEBUG + 1, 100, UINT32_MAX };
		for (size_t i = 0; i < 3; i++) {
			memset(&lg, 0, sizeof(lg));
			lg.level = bad[i];
			priv_encode_log(&m, &lg);
			reparse(&m);
			assert_int_equal(priv_decode_log(&m, &lg), -1);
		}
	}
	/* Login result 0 and 3. */
	{
		const uint32_t bad[] = { 0, 3, UINT32_MAX };
		for (size_t i = 0; i < 3; i++) {
			priv_encode_login_result(&m, bad[i]);
			reparse(&m);
			assert_int_equal(priv_decode_login_result(&m, &v), -1);
		}
	}
	/* Pasv kind 0 and 3. */
	{
		const uint32_t bad[] = { 0, 3, UINT32_MAX };
		for (size_t i = 0; i < 3; i++) {
			priv_encode_pasv(&m, bad[i]);
			reparse(&m);
			assert_int_equal(priv_decode_pasv(&m, &v), -1);
		}
	}
	/* Transfer direction 0 and 3; ascii/complete flags not 0/1. */
	{
		const uint32_t bad[] = { 0, 3, UINT32_MAX };
		for (size_t i = 0; i < 3; i++) {
			memset(&x, 0, sizeof(x));
			x.direction = bad[i];
			priv_encode_xfer(&m, &x);
			reparse(&m);
			assert_int_equal(priv_decode_xfer(&m, &x), -1);
		}
		memset(&x, 0, sizeof(x));
		x.direction = XFER_DOWNLOAD;
		x.ascii = 2;
		priv_encode_xfer(&m, &x);
		reparse(&m);
		assert_int_equal(priv_decode_xfer(&m, &x), -1);
		memset(&x, 0, sizeof(x));
		x.direction = XFER_DOWNLOAD;
		x.complete = 2;
		priv_encode_xfer(&m, &x);
		reparse(&m);
		assert_int_equal(priv_decode_xfer(&m, &x), -1);
	}
	/* Pasv result status beyond PASV_ERROR. */
	{
		struct priv_pasv_result pr;
		priv_msg_init(&m, PRIV_PASV_RESULT);
		priv_put_u32(&m, PASV_ERROR + 1);
		priv_put_str(&m, "");
		priv_put_u32(&m, 0);
		reparse(&m);
		assert_int_equal(priv_decode_pasv_result(&m, &pr), -1);
	}
}

static void test_pasv_result_fd_status_mismatch(void **state)
{
	static struct priv_msg m;
	struct priv_pasv_result pr;
	int file = temp_file();
	(void)state;

	/* OK, well-formed address, but no listener. */
	priv_msg_init(&m, PRIV_PASV_RESULT);
	priv_put_u32(&m, PASV_OK);
	priv_put_str(&m, "10.0.0.1");
	priv_put_u32(&m, 40000);
	reparse(&m);
	assert_int_equal(m.fd, -1);
	assert_int_equal(priv_decode_pasv_result(&m, &pr), -1);

	/* Error status with an fd attached. */
	const uint32_t errs[] = { PASV_EXHAUSTED, PASV_REFUSED, PASV_ERROR };
	for (size_t i = 0; i < 3; i++) {
		priv_msg_init(&m, PRIV_PASV_RESULT);
		priv_put_u32(&m, errs[i]);
		priv_put_str(&m, "");
		priv_put_u32(&m, 0);
		reparse(&m);
		m.fd = file;
		assert_int_equal(priv_decode_pasv_result(&m, &pr), -1);
	}

	/* OK with an fd but a bad address or port. */
	{
		const char *ips[] = { "", "10.0.0", "[::1]", "host.example", "10.0.0.1 " };
		for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
			priv_msg_init(&m, PRIV_PASV_RESULT);
			priv_put_u32(&m, PASV_OK);
			priv_put_str(&m, ips[i]);
			priv_put_u32(&m, 40000);
			reparse(&m);
			m.fd = file;
			assert_int_equal(priv_decode_pasv_result(&m, &pr), -1);
		}
		priv_msg_init(&m, PRIV_PASV_RESULT);
		priv_put_u32(&m, PASV_OK);
		priv_put_str(&m, "10.0.0.1");
		priv_put_u32(&m, 65536);
		reparse(&m);
		m.fd = file;
		assert_int_equal(priv_decode_pasv_result(&m, &pr), -1);
	}
	/* The decoder never closes the fd: the caller owns it. */
	assert_true(fcntl(file, F_GETFD) >= 0);
	close(file);
}

/* ---- encode limits ---------------------------------------------------- */

static void test_encode_oversize_refused(void **state)
{
	static struct priv_msg m;
	static uint8_t wire[WIRE_MAX + 64];
	int sv[2];
	(void)state;

	/* Exactly PRIV_BODY_MAX: fine. */
	priv_msg_init(&m, PRIV_LOG);
	for (size_t i = 0; i < PRIV_BODY_MAX / 4; i++)
		priv_put_u32(&m, (uint32_t)i);
	assert_false(m.bad);
	assert_int_equal(m.len, PRIV_BODY_MAX);
	assert_int_equal(priv_msg_encode(&m, wire, sizeof(wire)), PRIV_HDR_LEN + PRIV_BODY_MAX);
	/* Wire buffer one byte short. */
	assert_int_equal(priv_msg_encode(&m, wire, PRIV_HDR_LEN + PRIV_BODY_MAX - 1), -1);

	/* PRIV_BODY_MAX+1 bytes through the put calls: the put marks the
	 * message bad, encode refuses. */
	{
		uint8_t one = 1;
		priv_msg_init(&m, PRIV_LOG);
		for (size_t i = 0; i < PRIV_BODY_MAX / 4 - 1; i++)
			priv_put_u32(&m, (uint32_t)i);
		assert_false(m.bad);
		priv_put_bytes(&m, &one, 1); /* 4 + 1 bytes: one too many */
		assert_true(m.bad);
		assert_true(m.len <= PRIV_BODY_MAX);
		assert_int_equal(priv_msg_encode(&m, wire, sizeof(wire)), -1);
		m.bad = false;
	}

	/* A body length of PRIV_BODY_MAX+1 set directly (not via put). */
	m.len = PRIV_BODY_MAX + 1;
	assert_int_equal(priv_msg_encode(&m, wire, sizeof(wire)), -1);

	/* A field bigger than the body. */
	{
		static char big[PRIV_BODY_MAX + 1];
		memset(big, 'x', sizeof(big) - 1);
		priv_msg_init(&m, PRIV_LOG);
		priv_put_u32(&m, 0);
		priv_put_str(&m, big);
		assert_true(m.bad);
		assert_int_equal(priv_msg_encode(&m, wire, sizeof(wire)), -1);
	}

	/* priv_send refuses a bad message without sending anything. */
	seqpacket_pair(sv);
	errno = 0;
	assert_int_equal(priv_send(sv[0], &m), -1);
	assert_int_equal(errno, EINVAL);
	{
		char c;
		assert_int_equal(recv(sv[1], &c, 1, MSG_DONTWAIT), -1);
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	}
	close(sv[0]);
	close(sv[1]);
}

/* ---- priv_recv on hostile datagrams ----------------------------------- */

static void test_recv_two_fds_refused(void **state)
{
	static struct priv_msg m, r;
	static uint8_t wire[WIRE_MAX];
	int sv[2];
	(void)state;

	seqpacket_pair(sv);
	priv_encode_pasv(&m, PASV_KIND_PASV);
	int n = priv_msg_encode(&m, wire, sizeof(wire));
	assert_true(n > 0);

	for (int split = 0; split <= 1; split++) {
		int a = temp_file(), b = temp_file();
		int fds[2] = { a, b };
		int before = count_fds();
		int next = next_free_fd();

		assert_false(fd_is_open(next + 1));
		send_raw(sv[0], wire, (size_t)n, fds, 2, split);
		errno = 0;
		assert_int_equal(priv_recv(sv[1], &r), -1);
		assert_int_equal(errno, EPROTO);
		assert_int_equal(count_fds(), before);
		/* Neither received copy is still open. */
		assert_false(fd_is_open(next));
		assert_false(fd_is_open(next + 1));
		close(a);
		close(b);
	}

	/* Many fds: more than the receive control buffer holds. */
	{
		int fds[8];
		int before, next;
		for (int i = 0; i < 8; i++)
			fds[i] = temp_file();
		before = count_fds();
		next = next_free_fd();
		for (int i = 0; i < 8; i++)
			assert_false(fd_is_open(next + i));
		send_raw(sv[0], wire, (size_t)n, fds, 8, 0);
		assert_int_equal(priv_recv(sv[1], &r), -1);
		assert_int_equal(count_fds(), before);
		for (int i = 0; i < 8; i++) {
			assert_false(fd_is_open(next + i));
			close(fds[i]);
		}
	}

	/* The link still works afterwards. */
	assert_int_equal(priv_send(sv[0], &m), 0);
	assert_int_equal(priv_recv(sv[1], &r), 1);
	assert_int_equal(r.fd, -1);
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_malformed_with_fd_closes_it(void **state)
{
	static struct priv_msg r;
	uint8_t wire[PRIV_HDR_LEN + 4] = { 0 };
	int sv[2];
	int file = temp_file();
	int before, next;
	(void)state;

	seqpacket_pair(sv);
	put_hdr(wire, PRIV_PASV_RESULT, 7, 4); /* reserved field nonzero */
	before = count_fds();
	next = next_free_fd();
	send_raw(sv[0], wire, sizeof(wire), &file, 1, 0);
	assert_int_equal(priv_recv(sv[1], &r), -1);
	assert_int_equal(count_fds(), before);
	assert_false(fd_is_open(next));

	put_hdr(wire, PRIV_PASV_RESULT, 0, 100); /* length mismatch */
	send_raw(sv[0], wire, sizeof(wire), &file, 1, 0);
	assert_int_equal(priv_recv(sv[1], &r), -1);
	assert_int_equal(count_fds(), before);

	send_raw(sv[0], wire, 3, &file, 1, 0); /* truncated header */
	assert_int_equal(priv_recv(sv[1], &r), -1);
	assert_int_equal(count_fds(), before);

	close(file);
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_oversize_datagram(void **state)
{
	static struct priv_msg r, m;
	static uint8_t wire[WIRE_MAX + 100];
	int sv[2];
	int file = temp_file();
	int before;
	(void)state;

	seqpacket_pair(sv);
	/* A header that claims the true length, one byte past the max. */
	memset(wire, 'A', sizeof(wire));
	put_hdr(wire, PRIV_LOG, 0, PRIV_BODY_MAX + 1);
	send_raw(sv[0], wire, WIRE_MAX + 1, NULL, 0, 0);
	errno = 0;
	assert_int_equal(priv_recv(sv[1], &r), -1);
	assert_int_equal(errno, EPROTO);

	/* A header that lies (claims PRIV_BODY_MAX): the tail would be
	 * silently cut without the MSG_TRUNC check. */
	put_hdr(wire, PRIV_LOG, 0, PRIV_BODY_MAX);
	send_raw(sv[0], wire, WIRE_MAX + 50, NULL, 0, 0);
	assert_int_equal(priv_recv(sv[1], &r), -1);

	/* Same, with an fd: closed. */
	before = count_fds();
	send_raw(sv[0], wire, WIRE_MAX + 50, &file, 1, 0);
	assert_int_equal(priv_recv(sv[1], &r), -1);
	assert_int_equal(count_fds(), before);

	/* Exactly the maximum is accepted. */
	send_raw(sv[0], wire, WIRE_MAX, NULL, 0, 0);
	assert_int_equal(priv_recv(sv[1], &r), 1);
	assert_int_equal(r.len, PRIV_BODY_MAX);

	/* And the link is still in sync. */
	priv_encode_pasv(&m, PASV_KIND_EPSV);
	assert_int_equal(priv_send(sv[0], &m), 0);
	assert_int_equal(priv_recv(sv[1], &r), 1);
	assert_int_equal(r.type, PRIV_PASV);

	close(file);
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_peer_close(void **state)
{
	static struct priv_msg m, r;
	int sv[2];
	(void)state;

	seqpacket_pair(sv);
	/* A queued message is still delivered, then 0. */
	priv_encode_pasv(&m, PASV_KIND_PASV);
	assert_int_equal(priv_send(sv[0], &m), 0);
	close(sv[0]);
	assert_int_equal(priv_recv(sv[1], &r), 1);
	assert_int_equal(priv_recv(sv[1], &r), 0);
	assert_int_equal(priv_recv(sv[1], &r), 0);
	close(sv[1]);

	/* Sending to a closed peer fails without SIGPIPE. */
	seqpacket_pair(sv);
	close(sv[1]);
	assert_int_equal(priv_send(sv[0], &m), -1);
	close(sv[0]);
}

/* A zero-length datagram carrying an fd: recvmsg returns 0 as for a peer
 * close, but the fd has been installed. priv_recv must not leak it (and
 * must not report a message). */
static void test_recv_empty_datagram_with_fd(void **state)
{
	static struct priv_msg r;
	int sv[2];
	int file = temp_file();
	int before, next, rc;
	(void)state;

	seqpacket_pair(sv);
	before = count_fds();
	next = next_free_fd();
	send_raw(sv[0], "", 0, &file, 1, 0);
	rc = priv_recv(sv[1], &r);
	assert_int_not_equal(rc, 1);
	/* The fd must not stay open in the receiver. */
	assert_int_equal(count_fds(), before);
	assert_false(fd_is_open(next));
	close(file);
	close(sv[0]);
	close(sv[1]);
}

/* ---- fuzz ------------------------------------------------------------- */

static uint64_t xs_state;

static uint64_t xorshift64(void)
{
	uint64_t x = xs_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	xs_state = x;
	return x;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(xorshift64() % n) : 0;
}

/* A body that looks like fields: small integers, plausible lengths and
 * string bytes, so the decoders get past their first read. */
static size_t fuzz_body(uint8_t *b, size_t max)
{
	size_t len = 0;
	size_t target = rnd(8) == 0 ? rnd((uint32_t)max + 1) : rnd(300);

	if (target > max)
		target = max;
	while (len < target) {
		uint32_t v;
		switch (rnd(6)) {
		case 0: /* small enum-ish value */ v = rnd(6); break;
		case 1: /* a length near what is left */
			v = (uint32_t)(target - len) - 4 + rnd(9) - 4;
			break;
		case 2: /* a length near a destination size */
		{
			const uint32_t sizes[] = { PRIV_USER_MAX, PRIV_PASS_MAX, PRIV_PENDING_MAX,
						   PRIV_LINE_MAX, PRIV_PATH_MAX, NETADDR_STRLEN };
			v = sizes[rnd(6)] + rnd(5) - 2;
			break;
		}
		case 3: /* text, sometimes an IP literal */
		{
			const char *t = rnd(2) ? "10.0.0.1" : "::ffff:1.2.3.4";
			size_t tl = strlen(t);
			if (len + 4 + tl <= target) {
				v = (uint32_t)tl;
				memcpy(b + len, &v, 4);
				memcpy(b + len + 4, t, tl);
				len += 4 + tl;
				continue;
			}
			v = (uint32_t)xorshift64();
			break;
		}
		default: v = (uint32_t)xorshift64(); break;
		}
		for (int i = 0; i < 4 && len < target; i++)
			b[len++] = (uint8_t)(v >> (8 * i));
	}
	return len;
}

/* A valid message of a random type with random field values, to be
 * mutated: reaches the decoders' later checks far more often than noise. */
static size_t fuzz_seed(uint8_t *wire, size_t size)
{
	static struct priv_msg m;
	static struct priv_login login;
	static struct priv_xfer x;
	struct priv_log lg;
	struct priv_pasv_result pr;
	const char *ips[] = { "10.1.2.3", "::1", "::ffff:10.0.0.9", "bogus" };
	int n;

	switch (rnd(6)) {
	case 0:
		memset(&lg, 0, sizeof(lg));
		lg.level = rnd(5);
		memset(lg.line, 'a' + (int)rnd(26), rnd(sizeof(lg.line)));
		priv_encode_log(&m, &lg);
		break;
	case 1:
		memset(&login, 0, sizeof(login));
		memset(login.user, 'u', rnd(sizeof(login.user)));
		memset(login.pass, 'p', rnd(sizeof(login.pass)));
		login.npending = rnd(64) == 0 ? PRIV_PENDING_MAX : rnd(64);
		for (size_t i = 0; i < login.npending; i++)
			login.pending[i] = (uint8_t)xorshift64();
		priv_encode_login(&m, &login);
		break;
	case 2: priv_encode_login_result(&m, rnd(4)); break;
	case 3: priv_encode_pasv(&m, rnd(4)); break;
	case 4:
		memset(&pr, 0, sizeof(pr));
		pr.status = rnd(5);
		assert_int_equal(net_addr_parse(&pr.advertise, ips[rnd(3)], rnd(65536)), 0);
		pr.fd = -1;
		priv_encode_pasv_result(&m, &pr);
		if (rnd(4) == 0) { /* an unparsable address */
			priv_msg_init(&m, PRIV_PASV_RESULT);
			priv_put_u32(&m, PASV_OK);
			priv_put_str(&m, ips[3]);
			priv_put_u32(&m, rnd(70000));
		}
		break;
	default:
		memset(&x, 0, sizeof(x));
		x.direction = rnd(4);
		x.ascii = rnd(3);
		x.complete = rnd(3);
		x.bytes = xorshift64();
		x.msecs = xorshift64();
		memset(x.path, '/', rnd(64) == 0 ? sizeof(x.path) - 1 : rnd(200));
		priv_encode_xfer(&m, &x);
		break;
	}
	n = priv_msg_encode(&m, wire, size);
	assert_true(n >= PRIV_HDR_LEN);
	return (size_t)n;
}

/* Flip, overwrite, cut or extend a valid datagram. The header's length
 * field is kept consistent most of the time so the body gets parsed. */
static size_t fuzz_mutate(uint8_t *wire, size_t n, size_t size)
{
	unsigned k = rnd(4);
	uint32_t len;

	for (unsigned i = 0; i < k; i++) {
		switch (rnd(5)) {
		case 0: /* flip a bit */ wire[rnd((uint32_t)n)] ^= (uint8_t)(1u << rnd(8)); break;
		case 1: /* overwrite a body u32 with an interesting value */
			if (n >= PRIV_HDR_LEN + 4) {
				const uint32_t vals[] = { 0,    1,     2,     3,         4,    5,
							  255,  256,   1023,  1024,      4095, 4096,
							  4097, 65535, 65536, UINT32_MAX };
				uint32_t v = vals[rnd(16)];
				size_t at = PRIV_HDR_LEN + rnd((uint32_t)(n - PRIV_HDR_LEN - 3));
				memcpy(wire + at, &v, 4);
			}
			break;
		case 2: /* cut */ n = PRIV_HDR_LEN + rnd((uint32_t)(n - PRIV_HDR_LEN + 1)); break;
		case 3: /* extend with noise */
		{
			size_t add = rnd(16);
			if (n + add > size)
				add = size - n;
			for (size_t j = 0; j < add; j++)
				wire[n + j] = (uint8_t)xorshift64();
			n += add;
			break;
		}
		default: /* insert a NUL into some string-ish byte */
			if (n > PRIV_HDR_LEN)
				wire[PRIV_HDR_LEN + rnd((uint32_t)(n - PRIV_HDR_LEN))] = 0;
			break;
		}
	}
	if (rnd(10) != 0) {
		len = (uint32_t)(n - PRIV_HDR_LEN);
		memcpy(wire + 4, &len, 4);
	}
	return n;
}

/* How often each decoder accepted a fuzz input, by message type. */
static unsigned fuzz_ok[PRIV_XFER + 1];

static void fuzz_check_decoders(const uint8_t *wire, size_t n, int fd)
{
	static struct priv_msg m;
	static struct priv_login login;
	static struct priv_xfer x;
	struct priv_log lg;
	struct priv_pasv_result pr;
	uint32_t v;

	if (priv_msg_decode(&m, wire, n) < 0)
		return;
	assert_true(m.len <= PRIV_BODY_MAX);
	assert_int_equal(m.len, n - PRIV_HDR_LEN);

	if (priv_decode_log(&m, &lg) == 0) {
		fuzz_ok[PRIV_LOG]++;
		assert_true(lg.level <= LOG_LVL_DEBUG);
		assert_true(strnlen(lg.line, sizeof(lg.line)) < sizeof(lg.line));
	}
	assert_int_equal(priv_msg_decode(&m, wire, n), 0);
	if (priv_decode_login(&m, &login) == 0) {
		fuzz_ok[PRIV_LOGIN]++;
		assert_true(strnlen(login.user, sizeof(login.user)) < sizeof(login.user));
		assert_true(strnlen(login.pass, sizeof(login.pass)) < sizeof(login.pass));
		assert_true(login.npending <= PRIV_PENDING_MAX);
	}
	priv_msg_decode(&m, wire, n);
	if (priv_decode_login_result(&m, &v) == 0) {
		fuzz_ok[PRIV_LOGIN_RESULT]++;
		assert_true(v == LOGIN_FAIL || v == LOGIN_CLOSE);
	}
	priv_msg_decode(&m, wire, n);
	if (priv_decode_pasv(&m, &v) == 0) {
		fuzz_ok[PRIV_PASV]++;
		assert_true(v == PASV_KIND_PASV || v == PASV_KIND_EPSV);
	}
	priv_msg_decode(&m, wire, n);
	m.fd = fd;
	if (priv_decode_pasv_result(&m, &pr) == 0) {
		fuzz_ok[PRIV_PASV_RESULT]++;
		assert_true(pr.status <= PASV_ERROR);
		assert_true((pr.status == PASV_OK) == (pr.fd >= 0));
		if (pr.status == PASV_OK)
			assert_true(net_addr_family(&pr.advertise) == AF_INET ||
				    net_addr_family(&pr.advertise) == AF_INET6);
	}
	priv_msg_decode(&m, wire, n);
	if (priv_decode_xfer(&m, &x) == 0) {
		fuzz_ok[PRIV_XFER]++;
		assert_true(x.direction == XFER_DOWNLOAD || x.direction == XFER_UPLOAD);
		assert_true(x.ascii <= 1 && x.complete <= 1);
		assert_true(strnlen(x.path, sizeof(x.path)) < sizeof(x.path));
	}
}

static void test_fuzz_decoders(void **state)
{
	static uint8_t wire[WIRE_MAX + 64];
	unsigned accepted = 0;
	(void)state;

	xs_state = UINT64_C(0x9e3779b97f4a7c15);
	memset(fuzz_ok, 0, sizeof(fuzz_ok));
	for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
		size_t n;
		uint16_t type = (uint16_t)(rnd(10) == 0 ? xorshift64() : rnd(PRIV_TYPE_END + 1));
		uint16_t reserved = (uint16_t)(rnd(20) == 0 ? xorshift64() : 0);
		size_t body = fuzz_body(wire + PRIV_HDR_LEN, PRIV_BODY_MAX);
		uint32_t len = (uint32_t)body;

		n = PRIV_HDR_LEN + body;
		if (rnd(2) == 0) {
			/* Mutated valid message. */
			n = fuzz_seed(wire, WIRE_MAX);
			n = fuzz_mutate(wire, n, WIRE_MAX);
			goto decode;
		}
		switch (rnd(20)) {
		case 0:
			n = rnd(PRIV_HDR_LEN); /* truncated header */
			break;
		case 1:
			len = (uint32_t)xorshift64(); /* lying length */
			break;
		case 2: len += rnd(3) - 1; break;
		case 3: /* pure noise */
			n = rnd(64);
			for (size_t i = 0; i < n; i++)
				wire[i] = (uint8_t)xorshift64();
			goto decode;
		default: break;
		}
		put_hdr(wire, type, reserved, len);
	decode:
		/* Half the time pretend an fd came along. */
		fuzz_check_decoders(wire, n, rnd(2) ? 0 : -1);
		{
			static struct priv_msg m;
			if (priv_msg_decode(&m, wire, n) == 0)
				accepted++;
		}
	}
	/* The generator must reach the decoders, not just the header check,
	 * and every decoder must accept some inputs (else the fuzz only
	 * exercises the first field). */
	assert_true(accepted > FUZZ_ROUNDS / 2);
	for (int t = PRIV_LOG; t <= PRIV_XFER; t++)
		assert_true(fuzz_ok[t] >= 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_log),
		cmocka_unit_test(test_rt_login_with_pending),
		cmocka_unit_test(test_rt_login_result),
		cmocka_unit_test(test_rt_pasv),
		cmocka_unit_test(test_rt_xfer),
		cmocka_unit_test(test_rt_assign),
		cmocka_unit_test(test_rt_pasv_result_error_statuses),
		cmocka_unit_test(test_rt_pasv_result_fd_passing),
		cmocka_unit_test(test_rt_all_over_socket),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_length_field_mismatch),
		cmocka_unit_test(test_reserved_nonzero),
		cmocka_unit_test(test_string_overruns_body),
		cmocka_unit_test(test_string_embedded_nul),
		cmocka_unit_test(test_string_longer_than_destination),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_short_bodies),
		cmocka_unit_test(test_enum_out_of_range),
		cmocka_unit_test(test_pasv_result_fd_status_mismatch),
		cmocka_unit_test(test_encode_oversize_refused),
		cmocka_unit_test(test_recv_two_fds_refused),
		cmocka_unit_test(test_recv_malformed_with_fd_closes_it),
		cmocka_unit_test(test_recv_oversize_datagram),
		cmocka_unit_test(test_recv_peer_close),
		cmocka_unit_test(test_recv_empty_datagram_with_fd),
		cmocka_unit_test(test_fuzz_decoders),
	};

	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
