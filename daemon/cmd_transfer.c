/* Data-channel commands: passive set-up, listings, downloads, uploads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ascii.h"
#include "daemon/commands.h"
#include "daemon/data.h"
#include "daemon/listing.h"
#include "daemon/log.h"
#include "daemon/path.h"
#include "privsep/pasv.h"
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
	if (s->epsv_all)
		return ctrl_reply(&s->ctrl, 501, "PASV not allowed after EPSV ALL.");
	if (!net_addr_ipv4(&s->local, &v4))
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
	const char *mine = net_addr_ipv4(&s->local, &v4) ? "1" : "2";
	int st;

	if (strcasecmp(arg, "ALL") == 0) {
		s->epsv_all = true;
		return ctrl_reply(&s->ctrl, 200, "EPSV ALL ok.");
	}
	if (arg[0] && strcmp(arg, mine) != 0) {
		if (strcmp(arg, "1") == 0 || strcmp(arg, "2") == 0)
			return ctrl_reply(&s->ctrl, 522,
					  "Network protocol not supported, use (%s)", mine);
		return ctrl_reply(&s->ctrl, 501, "Bad EPSV argument.");
	}
	st = data_pasv_request(s, PASV_KIND_EPSV, &adv);
	if (st != PASV_OK)
		return pasv_failed(s, st);
	pasv_format_229(reply, sizeof(reply), net_addr_port(&adv));
	return ctrl_reply(&s->ctrl, 229, "%s", reply + 4);
}

static int emit_to_data(void *ctx, const char *buf, size_t len)
{
	return data_write_all(ctx, buf, len);
}

/* "LIST -la path": ls-style options are accepted and mostly ignored, as
 * clients send them by habit; -a shows dot files. */
static const char *skip_list_options(const char *arg, bool *show_hidden)
{
	while (arg[0] == '-' && arg[1] && arg[1] != ' ') {
		for (arg++; *arg && *arg != ' '; arg++)
			if (*arg == 'a' || *arg == 'A')
				*show_hidden = true;
		while (*arg == ' ')
			arg++;
	}
	return arg;
}

static int send_listing(struct session *s, const char *arg, enum listing_kind kind)
{
	struct listing_opts opts = {
		.hide_ids = s->set->hide_ids,
		.resolve_names = !s->chrooted,
		.write_enable = s->set->write_enable,
		.facts = s->mlst_facts,
		.now = time(NULL),
	};
	char path[SESSION_PATH_MAX];
	struct data_conn dc;
	struct stat st;
	int rc;

	if (kind != LISTING_MLSD)
		arg = skip_list_options(arg, &opts.show_hidden);
	if (path_resolve(path, sizeof(path), s->cwd, arg) < 0)
		return ctrl_reply(&s->ctrl, 550, "Path too long.");
	if (stat(path, &st) < 0)
		return ctrl_reply(&s->ctrl, 550, "No such file or directory.");
	if (kind == LISTING_MLSD && !S_ISDIR(st.st_mode))
		return ctrl_reply(&s->ctrl, 501, "Not a directory.");
	rc = data_open(s, &dc, "Here comes the directory listing.");
	if (rc < 0)
		return rc == -2 ? -1 : 0;
	rc = listing_write(path, kind, &opts, emit_to_data, &dc);
	data_close(&dc);
	if (rc == -2)
		return ctrl_reply(&s->ctrl, 426, "Connection closed; transfer aborted.");
	if (rc < 0)
		return ctrl_reply(&s->ctrl, 451, "Cannot read directory: %s.", strerror(errno));
	return ctrl_reply(&s->ctrl, 226, "Directory send OK.");
}

int cmd_list(struct session *s, const char *arg)
{
	return send_listing(s, arg, LISTING_LONG);
}

int cmd_nlst(struct session *s, const char *arg)
{
	return send_listing(s, arg, LISTING_NAMES);
}

int cmd_mlsd(struct session *s, const char *arg)
{
	return send_listing(s, arg, LISTING_MLSD);
}

static uint64_t elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - start->tv_sec) * 1000 +
	       (uint64_t)((now.tv_nsec - start->tv_nsec) / 1000000);
}

static void report_transfer(struct session *s, uint32_t dir, const char *path,
			    uint64_t bytes, const struct timespec *start,
			    bool complete)
{
	struct priv_xfer x = {
		.direction = dir,
		.ascii = s->ascii,
		.complete = complete,
		.bytes = bytes,
		.msecs = elapsed_ms(start),
	};
	struct priv_msg m;

	snprintf(x.path, sizeof(x.path), "%s", path);
	priv_encode_xfer(&m, &x);
	(void)priv_send(s->priv_fd, &m);
}

enum xfer_result { XFER_OK, XFER_NET_ERROR, XFER_FILE_ERROR };

/* Plaintext downloads go file → socket inside the kernel. */
static enum xfer_result send_sendfile(int file, int data, uint64_t *sent)
{
	for (;;) {
		ssize_t n = sendfile(data, file, NULL, 1 << 20);
		if (n == 0)
			return XFER_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EIO ? XFER_FILE_ERROR : XFER_NET_ERROR;
		}
		*sent += (uint64_t)n;
	}
}

/* Read and write: TLS data connections and TYPE A. One large buffer per
 * call so TLS writes full 16 KiB records. */
static enum xfer_result send_copy(int file, struct data_conn *dc, bool ascii,
				  uint64_t *sent)
{
	char in[XFER_CHUNK];
	char out[XFER_CHUNK * 2];
	bool prev_cr = false;

	for (;;) {
		ssize_t n = read(file, in, sizeof(in));
		const char *w = in;
		size_t wn = (size_t)n;
		if (n == 0)
			return XFER_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return XFER_FILE_ERROR;
		}
		if (ascii) {
			wn = ascii_to_network(in, (size_t)n, out, &prev_cr);
			w = out;
		}
		if (data_write_all(dc, w, wn) < 0)
			return XFER_NET_ERROR;
		*sent += wn;
	}
}

int cmd_retr(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], prelim[SESSION_PATH_MAX + 128];
	struct timespec start;
	struct stat st;
	struct data_conn dc;
	uint64_t sent = 0;
	enum xfer_result r;
	int file, rc;

	if (path_resolve(path, sizeof(path), s->cwd, arg) < 0)
		return ctrl_reply(&s->ctrl, 550, "Path too long.");
	/* O_NONBLOCK: opening a FIFO must not hang the session. */
	file = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (file < 0)
		return ctrl_reply(&s->ctrl, 550, "Failed to open file.");
	if (fstat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(file);
		return ctrl_reply(&s->ctrl, 550, "Not a plain file.");
	}
	snprintf(prelim, sizeof(prelim), "Opening %s mode data connection for %s (%lld bytes).",
		 s->ascii ? "ASCII" : "BINARY", arg, (long long)st.st_size);
	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = data_open(s, &dc, prelim);
	if (rc < 0) {
		close(file);
		return rc == -2 ? -1 : 0;
	}
	if (!dc.ssl && !s->ascii)
		r = send_sendfile(file, dc.fd, &sent);
	else
		r = send_copy(file, &dc, s->ascii, &sent);
	close(file);
	data_close(&dc);
	report_transfer(s, XFER_DOWNLOAD, path, sent, &start, r == XFER_OK);
	if (r == XFER_NET_ERROR)
		return ctrl_reply(&s->ctrl, 426, "Failure writing network stream.");
	if (r == XFER_FILE_ERROR)
		return ctrl_reply(&s->ctrl, 451, "Failure reading local file.");
	return ctrl_reply(&s->ctrl, 226, "Transfer complete.");
}

static int write_file(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static enum xfer_result receive(struct data_conn *dc, int file, bool ascii,
			       uint64_t *got)
{
	char in[XFER_CHUNK];
	char out[XFER_CHUNK + 1];
	bool pending_cr = false;

	for (;;) {
		ssize_t n = data_read(dc, in, sizeof(in));
		const char *w = in;
		size_t wn;
		if (n < 0)
			return XFER_NET_ERROR;
		*got += (uint64_t)n;
		if (n == 0) {
			wn = ascii ? ascii_from_network_end(out, &pending_cr) : 0;
			return write_file(file, out, wn) < 0 ? XFER_FILE_ERROR : XFER_OK;
		}
		wn = (size_t)n;
		if (ascii) {
			wn = ascii_from_network(in, (size_t)n, out, &pending_cr);
			w = out;
		}
		if (write_file(file, w, wn) < 0)
			return XFER_FILE_ERROR;
	}
}

static int file_error_reply(struct session *s, int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return ctrl_reply(&s->ctrl, 452, "Insufficient storage space.");
	return ctrl_reply(&s->ctrl, 451, "Failure writing local file.");
}

int cmd_stor(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	struct timespec start;
	struct stat st;
	struct data_conn dc;
	uint64_t got = 0;
	enum xfer_result r;
	int file, err, rc;

	if (!s->set->write_enable)
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	if (path_resolve(path, sizeof(path), s->cwd, arg) < 0)
		return ctrl_reply(&s->ctrl, 553, "Path too long.");
	file = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0666);
	if (file < 0)
		return ctrl_reply(&s->ctrl, 553, "Could not create file.");
	if (fstat(file, &st) < 0 || !S_ISREG(st.st_mode) || ftruncate(file, 0) < 0) {
		close(file);
		return ctrl_reply(&s->ctrl, 553, "Not a plain file.");
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = data_open(s, &dc, "Ok to send data.");
	if (rc < 0) {
		close(file);
		return rc == -2 ? -1 : 0;
	}
	r = receive(&dc, file, s->ascii, &got);
	err = errno;
	if (close(file) < 0 && r == XFER_OK) {
		r = XFER_FILE_ERROR;
		err = errno;
	}
	data_close(&dc);
	report_transfer(s, XFER_UPLOAD, path, got, &start, r == XFER_OK);
	if (r == XFER_NET_ERROR)
		return ctrl_reply(&s->ctrl, 426, "Failure reading network stream.");
	if (r == XFER_FILE_ERROR)
		return file_error_reply(s, err);
	return ctrl_reply(&s->ctrl, 226, "Transfer complete.");
}
