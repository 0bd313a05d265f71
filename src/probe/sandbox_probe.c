/*
 * sandbox-probe: runs inside a sandbox container and prints what the container let it do,
 * one JSON object per line (docs/probe-output.md). It records raw system-call results and
 * never a verdict: binding observations to expectations is the verifier's job, so that a
 * probe bug cannot turn into a false PASS by itself.
 *
 * Safety is part of the contract, because the probe also runs in weakened containers:
 * - no packet leaves: route checks use connect() on UDP sockets, which only looks up a route;
 *   nothing is ever sent on any socket (interfaces are read from /proc, not over netlink);
 * - ptrace and unshare happen only in forked children: PTRACE_TRACEME from PID 1 hung the
 *   container in measurements, and a namespace entered by PID 1 would change what every
 *   later probe sees;
 * - every child has a deadline and is SIGKILLed and reaped after it; forks are bounded;
 * - it refuses to run outside a container, where its write and fork probes would touch a host;
 * - a file opened by handle (PR-FS-ESC-2, the known escape when CAP_DAC_READ_SEARCH is granted)
 *   is the bind's own root, opened O_PATH, only fstat-ed and closed: never read, written or
 *   walked.
 *
 * musl ships no kernel headers, so the few kernel constants not in libc are defined here.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_VERSION "1.1.0"
#define FORMAT_VERSION 1
#define PROBE_COUNT 18

#define CHILD_MS 2000           /* deadline of one forked child */
#define PIDS_BOUND 512          /* PR-PIDS-1 stops here even without a pids limit */
#define READ_MAX (256 * 1024)   /* /proc and /etc files we parse */
#define COPY_MAX (16 * 1024 * 1024)
#define LINE_MAX_BYTES (4 * 1024 * 1024)
#define NS_MAX 16               /* nameservers route-checked */
#define IF_MAX 256

/* Kernel route flags, as /proc/net/route and /proc/net/ipv6_route print them. */
#define K_RTF_UP 0x0001
#define K_RTF_REJECT 0x0200

extern char **environ;

static int g_write_failed;

/* ---------------------------------------------------------------------------------------- */
/* SHA-256 (FIPS 180-4). Small and local: the image has no library to borrow it from.       */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	unsigned char buf[64];
	size_t n;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, s->h, sizeof v);
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof v[0]);
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof iv);
	s->bytes = 0;
	s->n = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	s->bytes += len;
	while (len > 0) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n == 64) {
			sha_block(s, s->buf);
			s->n = 0;
		}
	}
}

/* hex: 65 bytes, NUL-terminated */
static void sha_final_hex(struct sha256 *s, char *hex)
{
	uint64_t bits = s->bytes * 8;
	unsigned char pad = 0x80, len[8];
	int i;

	sha_update(s, &pad, 1);
	pad = 0;
	while (s->n != 56)
		sha_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha_update(s, len, 8);
	for (i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

static void sha_hex(const void *data, size_t len, char *hex)
{
	struct sha256 s;

	sha_init(&s);
	sha_update(&s, data, len);
	sha_final_hex(&s, hex);
}

/* ---------------------------------------------------------------------------------------- */
/* Output: one growing buffer per line, written with one write() so lines never interleave  */
/* and a forked child has no buffered stdio to flush twice.                                  */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void b_put(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > LINE_MAX_BYTES) {
			b->oom = 1;
			return;
		}
		/* malloc+copy, not realloc: musl may realloc with mremap, which a tight
		 * allow-list need not carry */
		np = malloc(cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		if (b->len)
			memcpy(np, b->p, b->len);
		free(b->p);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void b_cat(struct buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

static void b_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void b_fmt(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		b->oom = 1;     /* only numbers go through here: overflow is a bug, not data */
	else
		b_put(b, tmp, (size_t)n);
}

/* Length of one well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Strings come from files the sandbox's owner controls (resolv.conf, hostname, env): every
 * byte that is not valid UTF-8 becomes U+FFFD so the line stays valid JSON. */
static void b_jstr_n(struct buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;
	char esc[8];

	b_put(b, "\"", 1);
	while (i < n) {
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			b_put(b, esc, 2);
			i++;
		} else if (s[i] == '\n') {
			b_put(b, "\\n", 2);
			i++;
		} else if (s[i] == '\t') {
			b_put(b, "\\t", 2);
			i++;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", s[i]);
			b_put(b, esc, 6);
			i++;
		} else if (s[i] < 0x80) {
			for (k = i; k < n && s[k] >= 0x20 && s[k] < 0x7f && s[k] != '"' && s[k] != '\\'; k++)
				;
			b_put(b, str + i, k - i);
			i = k;
		} else if ((k = utf8_len(s + i, n - i)) != 0) {
			b_put(b, str + i, k);
			i += k;
		} else {
			b_put(b, "\\ufffd", 6);
			i++;
		}
	}
	b_put(b, "\"", 1);
}

static void b_jstr(struct buf *b, const char *s)
{
	b_jstr_n(b, s, strlen(s));
}

static const struct {
	int num;
	const char *name;
} errnames[] = {
	{EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"},
	{EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"},
	{EBADF, "EBADF"}, {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
	{EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
	{EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
	{EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"},
	{ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"}, {ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"},
	{EROFS, "EROFS"}, {EMLINK, "EMLINK"}, {EPIPE, "EPIPE"}, {ERANGE, "ERANGE"},
	{ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ELOOP, "ELOOP"},
	{ENOTSOCK, "ENOTSOCK"}, {EPROTOTYPE, "EPROTOTYPE"}, {ENOPROTOOPT, "ENOPROTOOPT"},
	{EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
	{EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"}, {EADDRINUSE, "EADDRINUSE"},
	{EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {ENETDOWN, "ENETDOWN"}, {ENETUNREACH, "ENETUNREACH"},
	{ECONNABORTED, "ECONNABORTED"}, {ECONNRESET, "ECONNRESET"}, {ENOBUFS, "ENOBUFS"},
	{EISCONN, "EISCONN"}, {ENOTCONN, "ENOTCONN"}, {ETIMEDOUT, "ETIMEDOUT"},
	{ECONNREFUSED, "ECONNREFUSED"}, {EHOSTDOWN, "EHOSTDOWN"}, {EHOSTUNREACH, "EHOSTUNREACH"},
	{EALREADY, "EALREADY"}, {EINPROGRESS, "EINPROGRESS"}, {ESTALE, "ESTALE"},
	{EDQUOT, "EDQUOT"}, {EOVERFLOW, "EOVERFLOW"}, {EUSERS, "EUSERS"},
};

static const char *errno_name(int e)
{
	static char other[24];
	size_t i;

	for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (errnames[i].num == e)
			return errnames[i].name;
	snprintf(other, sizeof other, "errno-%d", e);
	return other;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct line {
	struct buf b;
	const char *id;
	int nobs;
};

static void line_begin(struct line *l, const char *id)
{
	memset(l, 0, sizeof *l);
	l->id = id;
	b_cat(&l->b, "{\"probe\":");
	b_jstr(&l->b, id);
	b_cat(&l->b, ",\"obs\":[");
}

/* Opens one observation; extra keys may follow before obs_end(). err is reported only when
 * ret < 0 and err != 0: a failure without a system-call errno (a child that never reported)
 * has errno null and says why in detail. */
static void obs_begin(struct line *l, const char *op, const char *target, long ret, int err,
		      const char *detail)
{
	struct buf *b = &l->b;

	if (l->nobs++)
		b_cat(b, ",");
	b_cat(b, "{\"op\":");
	b_jstr(b, op);
	b_cat(b, ",\"target\":");
	b_jstr(b, target);
	b_fmt(b, ",\"ret\":%ld,\"errno\":", ret);
	if (ret < 0 && err)
		b_jstr(b, errno_name(err));
	else
		b_cat(b, "null");
	b_cat(b, ",\"detail\":");
	b_jstr(b, detail ? detail : "");
}

static void obs_end(struct line *l)
{
	b_cat(&l->b, "}");
}

static void obs(struct line *l, const char *op, const char *target, long ret, int err,
		const char *detail)
{
	obs_begin(l, op, target, ret, err, detail);
	obs_end(l);
}

static void key_str(struct line *l, const char *key, const char *val)
{
	b_fmt(&l->b, ",\"%s\":", key);
	if (val)
		b_jstr(&l->b, val);
	else
		b_cat(&l->b, "null");
}

static void key_long(struct line *l, const char *key, int known, long val)
{
	if (known)
		b_fmt(&l->b, ",\"%s\":%ld", key, val);
	else
		b_fmt(&l->b, ",\"%s\":null", key);
}

static int g_lines;

static void line_end(struct line *l)
{
	struct line fallback;

	b_cat(&l->b, "]}\n");
	if (l->b.oom) {
		/* The line could not be built whole; say so rather than print half a line. */
		line_begin(&fallback, l->id);
		obs(&fallback, "output", "line", -1, ENOMEM, "observation line could not be built");
		b_cat(&fallback.b, "]}\n");
		free(l->b.p);
		*l = fallback;
	}
	if (l->b.oom || write_all(1, l->b.p, l->b.len) < 0)
		g_write_failed = 1;
	else
		g_lines++;
	free(l->b.p);
	l->b.p = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                            */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Reads at most max bytes of path into a NUL-terminated malloc'd buffer. Returns the byte
 * count, or -1 with *err set. *truncated says whether more was there. */
static long read_file(const char *path, char **out, size_t max, int *err, int *truncated)
{
	char *data, extra;
	size_t got = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	*err = 0;
	*truncated = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	data = malloc(max + 1);
	if (!data) {
		*err = ENOMEM;
		close(fd);
		return -1;
	}
	while (got < max) {
		n = read(fd, data + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			close(fd);
			free(data);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == max && read(fd, &extra, 1) == 1)
		*truncated = 1;
	close(fd);
	data[got] = 0;
	*out = data;
	return (long)got;
}

/* Value of "Key:\t..." in /proc/self/status, copied into val; 1 if found. */
static int status_field(const char *status, const char *key, char *val, size_t vlen)
{
	size_t klen = strlen(key), n = 0;
	const char *p = status, *v;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			v = p + klen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			while (v[n] && v[n] != '\n' && n + 1 < vlen) {
				val[n] = v[n];
				n++;
			}
			val[n] = 0;
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static int parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Forked children with a deadline. The child writes one fixed-size report to a pipe; the   */
/* parent waits at most CHILD_MS for it, then SIGKILLs and reaps the child.                  */

struct report {
	long ret;
	int err;
	char detail[200];
};

struct outcome {
	int reported;     /* a whole report arrived */
	int fork_err;     /* pipe or fork failed: no child ran */
	int killed;       /* the deadline passed and the child was SIGKILLed */
	int status;       /* wait status, valid when reaped */
	int reaped;
};

typedef void (*child_fn)(const void *arg, struct report *r);

static void reap_by(pid_t pid, long deadline, struct outcome *o)
{
	int st;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &st, (o->killed ? 0 : WNOHANG) | __WALL);
		if (w == pid && (WIFEXITED(st) || WIFSIGNALED(st))) {
			o->status = st;
			o->reaped = 1;
			return;
		}
		if (w < 0 && errno != EINTR)
			return;
		/* a stopped (traced) child is not done: keep waiting until the deadline */
		if (!o->killed && now_ms() >= deadline) {
			kill(pid, SIGKILL);
			o->killed = 1;
			continue;
		}
		if (!o->killed && w == 0)
			sleep_ms(1);
	}
}

static void run_child(child_fn fn, const void *arg, struct report *r, struct outcome *o)
{
	struct report mine;
	struct pollfd pfd;
	size_t got = 0;
	long deadline, left;
	ssize_t n;
	int fds[2], rc;
	pid_t pid;

	memset(r, 0, sizeof *r);
	memset(o, 0, sizeof *o);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		o->fork_err = errno;
		return;
	}
	pid = fork();
	if (pid < 0) {
		o->fork_err = errno;
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		memset(&mine, 0, sizeof mine);
		fn(arg, &mine);
		write_all(fds[1], &mine, sizeof mine);
		_exit(0);
	}
	close(fds[1]);
	deadline = now_ms() + CHILD_MS;
	while (got < sizeof *r) {
		left = deadline - now_ms();
		if (left <= 0)
			break;
		pfd.fd = fds[0];
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0) {
			/* EINTR, or a restart the filter refused after a ptrace stop: retry */
			sleep_ms(1);
			continue;
		}
		if (rc == 0)
			break;
		n = read(fds[0], (char *)r + got, sizeof *r - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	o->reported = got == sizeof *r;
	r->detail[sizeof r->detail - 1] = 0;
	reap_by(pid, deadline, o);
}

/* Why a child gave no report, for the detail field. */
static void describe_outcome(const struct outcome *o, char *out, size_t len)
{
	if (o->fork_err)
		snprintf(out, len, "no child: fork/pipe failed with %s", errno_name(o->fork_err));
	else if (o->killed)
		snprintf(out, len, "child gave no result within %d ms; killed and reaped", CHILD_MS);
	else if (!o->reaped)
		snprintf(out, len, "child gave no result and could not be reaped");
	else if (WIFSIGNALED(o->status))
		snprintf(out, len, "child gave no result; killed by signal %d", WTERMSIG(o->status));
	else
		snprintf(out, len, "child gave no result; exit status %d", WEXITSTATUS(o->status));
}

/* One observation from a child's report; a missing report is ret -1, errno null. */
static void obs_child(struct line *l, const char *op, const char *target, child_fn fn,
		      const void *arg)
{
	struct report r;
	struct outcome o;
	char why[160];

	run_child(fn, arg, &r, &o);
	if (o.reported) {
		obs(l, op, target, r.ret, r.err, r.detail);
	} else {
		describe_outcome(&o, why, sizeof why);
		obs(l, op, target, -1, 0, why);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Identity of the run                                                                      */

static char g_container_id[65];
static char g_hostname[65];

/* Docker (and Podman) bind the engine's per-container hostname file onto /etc/hostname; the
 * bind's source path names the container: .../containers/<64 hex>/hostname. */
static void find_container_id(void)
{
	char *data, *line, *next, *f[5], *seg;
	size_t i, k;
	int err, trunc, nf;

	g_container_id[0] = 0;
	if (read_file("/proc/self/mountinfo", &data, READ_MAX, &err, &trunc) < 0)
		return;
	for (line = data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		for (nf = 0; nf < 5; nf++) {
			while (*line == ' ')
				line++;
			f[nf] = line;
			line = strchr(line, ' ');
			if (!line)
				break;
			*line++ = 0;
		}
		if (nf < 4 || strcmp(f[4], "/etc/hostname") != 0)
			continue;
		/* the last 64-hex component of the mount's root path */
		for (seg = f[3]; seg && *seg; seg = strchr(seg, '/')) {
			if (*seg == '/')
				seg++;
			for (k = 0; k < 64 && ((seg[k] >= '0' && seg[k] <= '9') ||
					       (seg[k] >= 'a' && seg[k] <= 'f')); k++)
				;
			if (k == 64 && (seg[64] == '/' || seg[64] == 0)) {
				for (i = 0; i < 64; i++)
					g_container_id[i] = seg[i];
				g_container_id[64] = 0;
			}
		}
	}
	free(data);
}

static int exe_sha256(char *hex)
{
	struct sha256 s;
	char chunk[16384];
	ssize_t n;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	sha_init(&s);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		sha_update(&s, chunk, (size_t)n);
	}
	close(fd);
	sha_final_hex(&s, hex);
	return 0;
}

static void emit_meta(void)
{
	struct line l;
	struct utsname u;
	struct timespec ts;
	struct tm tm;
	char hex[65], when[32];

	memset(&l, 0, sizeof l);
	l.id = "META";
	b_cat(&l.b, "{\"probe\":\"META\"");
	b_fmt(&l.b, ",\"format\":%d", FORMAT_VERSION);
	key_str(&l, "probe_version", PROBE_VERSION);
	key_str(&l, "exe_sha256", exe_sha256(hex) == 0 ? hex : NULL);
	b_fmt(&l.b, ",\"uid\":%ld,\"gid\":%ld,\"euid\":%ld,\"pid\":%ld", (long)getuid(),
	      (long)getgid(), (long)geteuid(), (long)getpid());
	g_hostname[0] = 0;
	if (uname(&u) == 0)
		snprintf(g_hostname, sizeof g_hostname, "%s", u.nodename);
	key_str(&l, "hostname", g_hostname);
	key_str(&l, "container_id", g_container_id[0] ? g_container_id : NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	key_str(&l, "time", when);
	b_cat(&l.b, "}\n");
	if (l.b.oom || write_all(1, l.b.p, l.b.len) < 0)
		g_write_failed = 1;
	free(l.b.p);
}

/* ---------------------------------------------------------------------------------------- */
/* Network: route checks only. connect() on a UDP socket binds a route and a local address  */
/* and sends nothing; no probe calls send, and none connects TCP to an IP address.           */

static void udp_route(struct line *l, const char *target, const struct sockaddr *sa,
		      socklen_t salen)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof local;
	char detail[128] = "", addr[INET6_ADDRSTRLEN];
	int fd, rc, err;

	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		obs(l, "udp_connect", target, -1, errno, "socket() failed; no connect attempted");
		return;
	}
	rc = connect(fd, sa, salen);
	err = errno;
	if (rc == 0 && getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
		if (local.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&local;
			inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
			snprintf(detail, sizeof detail, "local %s:%u", addr, ntohs(in->sin_port));
		} else if (local.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&local;
			inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
			snprintf(detail, sizeof detail, "local [%s]:%u", addr, ntohs(in6->sin6_port));
		}
	}
	close(fd);
	obs(l, "udp_connect", target, rc, err, detail);
}

/* text is an address literal (IPv6 may carry %scope); port in host order */
static void udp_route_text(struct line *l, const char *text, unsigned port)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	char target[300], host[INET6_ADDRSTRLEN + 1], *pct;
	long scope;

	memset(&in, 0, sizeof in);
	memset(&in6, 0, sizeof in6);
	if (strchr(text, ':'))
		snprintf(target, sizeof target, "[%s]:%u", text, port);
	else
		snprintf(target, sizeof target, "%s:%u", text, port);
	if (inet_pton(AF_INET, text, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		in.sin_port = htons((uint16_t)port);
		udp_route(l, target, (struct sockaddr *)&in, sizeof in);
		return;
	}
	if (strlen(text) < sizeof host) {
		strcpy(host, text);
		pct = strchr(host, '%');
		if (pct)
			*pct++ = 0;
		if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
			in6.sin6_family = AF_INET6;
			in6.sin6_port = htons((uint16_t)port);
			if (pct && parse_long(pct, &scope) && scope >= 0)
				in6.sin6_scope_id = (uint32_t)scope;
			else if (pct)
				in6.sin6_scope_id = if_nametoindex(pct);
			udp_route(l, target, (struct sockaddr *)&in6, sizeof in6);
			return;
		}
	}
	obs(l, "udp_connect", target, -1, 0, "not a numeric address; no connect attempted");
}

static void probe_net1(void)
{
	struct line l;
	char *data = NULL, *p, *tok, *ns[NS_MAX], detail[128];
	size_t len;
	long ret;
	int err, trunc, count = 0, more = 0, i;

	line_begin(&l, "PR-NET-1");
	ret = read_file("/etc/resolv.conf", &data, 64 * 1024, &err, &trunc);
	for (p = data; p && *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "nameserver", 10) == 0 && (p[10] == ' ' || p[10] == '\t')) {
			tok = p + 10;
			while (*tok == ' ' || *tok == '\t')
				tok++;
			len = strcspn(tok, " \t\r\n#;");
			if (len > 0) {
				if (count < NS_MAX) {
					ns[count] = strndup(tok, len > 255 ? 255 : len);
					if (ns[count])
						count++;
				} else {
					more++;
				}
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	snprintf(detail, sizeof detail, "%d nameserver line(s)%s%s", count + more,
		 more ? "; only the first 16 listed and checked" : "",
		 trunc ? "; file longer than 64 KiB, rest not read" : "");
	obs_begin(&l, "read", "/etc/resolv.conf", ret, err, ret < 0 ? "" : detail);
	b_cat(&l.b, ",\"nameservers\":[");
	for (i = 0; i < count; i++) {
		if (i)
			b_cat(&l.b, ",");
		b_jstr(&l.b, ns[i]);
	}
	b_cat(&l.b, "]");
	obs_end(&l);
	for (i = 0; i < count; i++) {
		udp_route_text(&l, ns[i], 53);
		free(ns[i]);
	}
	free(data);
	line_end(&l);
}

static void probe_net2(void)
{
	/* RFC 5737 / RFC 3849 documentation addresses: routable-looking, owned by nobody */
	struct line l;

	line_begin(&l, "PR-NET-2");
	udp_route_text(&l, "192.0.2.1", 53);
	udp_route_text(&l, "198.51.100.1", 443);
	udp_route_text(&l, "203.0.113.1", 80);
	udp_route_text(&l, "2001:db8::1", 53);
	line_end(&l);
}

static void probe_sock1(void)
{
	struct line l;
	int fd, err;

	line_begin(&l, "PR-SOCK-1");
	/* protocol 0: the permission check (CAP_NET_RAW) is the same as for ETH_P_ALL, but an
	 * unbound packet socket with protocol 0 receives no frames while it is open */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	err = errno;
	if (fd >= 0)
		close(fd);
	obs(&l, "socket", "AF_PACKET/SOCK_RAW", fd, err, fd >= 0 ? "opened and closed at once" : "");
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	err = errno;
	if (fd >= 0)
		close(fd);
	obs(&l, "socket", "AF_INET/SOCK_RAW/ICMP", fd, err,
	    fd >= 0 ? "opened and closed at once" : "");
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Environment: names in full, values only for the runtime's well-known keys; any other     */
/* value is hashed so a leaked secret is detectable without ever being copied out.          */

struct envent {
	const char *key;
	size_t klen;
	const char *val;
	size_t idx;
};

static int env_cmp(const void *a, const void *b)
{
	const struct envent *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int env_plain(const struct envent *e)
{
	static const char *const plain[] = {"PATH", "HOME", "HOSTNAME", "TERM", "container"};
	size_t i;

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (strlen(plain[i]) == e->klen && memcmp(plain[i], e->key, e->klen) == 0)
			return 1;
	return 0;
}

static void probe_env1(void)
{
	struct line l;
	struct envent *ents;
	size_t n = 0, i, uniq = 0, dups = 0, last = 0;
	char detail[96], hex[65];
	const char *eq;
	struct buf vals;

	line_begin(&l, "PR-ENV-1");
	while (environ && environ[n])
		n++;
	ents = calloc(n ? n : 1, sizeof *ents);
	if (!ents) {
		obs(&l, "environ", "process", -1, ENOMEM, "");
		line_end(&l);
		return;
	}
	for (i = 0; i < n; i++) {
		eq = strchr(environ[i], '=');
		ents[i].key = environ[i];
		ents[i].klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		ents[i].val = eq ? eq + 1 : "";
		ents[i].idx = i;
	}
	qsort(ents, n, sizeof *ents, env_cmp);
	memset(&vals, 0, sizeof vals);
	b_cat(&vals, "{");
	for (i = 0; i < n; i++) {
		/* sorted by name, then by position: the first of equal names is the one getenv()
		 * returns, and a JSON object cannot hold the others */
		if (uniq > 0 && ents[i].klen == ents[last].klen &&
		    memcmp(ents[i].key, ents[last].key, ents[i].klen) == 0) {
			dups++;
			ents[i].key = NULL;
			continue;
		}
		last = i;
		if (uniq++)
			b_cat(&vals, ",");
		b_jstr_n(&vals, ents[i].key, ents[i].klen);
		b_cat(&vals, ":");
		if (env_plain(&ents[i])) {
			b_jstr(&vals, ents[i].val);
		} else {
			sha_hex(ents[i].val, strlen(ents[i].val), hex);
			b_cat(&vals, "\"sha256:");
			b_cat(&vals, hex);
			b_cat(&vals, "\"");
		}
	}
	b_cat(&vals, "}");
	snprintf(detail, sizeof detail, "%zu entries%s", n,
		 dups ? "; duplicate names, the first of each kept" : "");
	obs_begin(&l, "environ", "process", 0, 0, detail);
	b_cat(&l.b, ",\"keys\":[");
	for (i = 0, uniq = 0; i < n; i++) {
		if (!ents[i].key)
			continue;
		if (uniq++)
			b_cat(&l.b, ",");
		b_jstr_n(&l.b, ents[i].key, ents[i].klen);
	}
	b_cat(&l.b, "],\"values\":");
	if (vals.oom)
		l.b.oom = 1;
	else
		b_put(&l.b, vals.p, vals.len);
	obs_end(&l);
	free(vals.p);
	free(ents);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Filesystem                                                                               */

static void probe_open_write(const char *id, const char *path)
{
	struct line l;
	char detail[96] = "";
	int fd, err;

	line_begin(&l, id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	err = errno;
	if (fd >= 0) {
		close(fd);
		if (unlink(path) == 0)
			snprintf(detail, sizeof detail, "created; unlinked again");
		else
			snprintf(detail, sizeof detail, "created; unlink failed with %s",
				 errno_name(errno));
	}
	obs(&l, "open_write", path, fd, err, detail);
	line_end(&l);
}

/* PR-FS-ESC-2: what "no path escape" means for a bind-mount sandbox. Each attempt is recorded
 * raw; the verifier decides. Device and inode are printed as "major:minor:inode" so the
 * verifier can compare where a path ended with the container's root ("/"). */
#define PROBE_LINK "/out/.probe-link"
#define PROBE_LINK_TARGET "../../.."

static void dev_ino_text(const struct stat *st, char *out, size_t len)
{
	snprintf(out, len, "%u:%u:%llu", major(st->st_dev), minor(st->st_dev),
		 (unsigned long long)st->st_ino);
}

/* stat of `path` as dev_ino text, or NULL (the key is then null) */
static const char *stat_text(const char *path, char *out, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return NULL;
	dev_ino_text(&st, out, len);
	return out;
}

/* Opens `path` as a path only (O_PATH: nothing can be read or written through it), notes
 * where it ended in `where` (*at is NULL when fstat failed) and closes it; returns open's
 * result, its errno in *err. */
static long open_dev_ino(const char *path, char *where, size_t len, const char **at, int *err)
{
	struct stat st;
	int fd;

	*at = NULL;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*err = errno;
	if (fd >= 0) {
		if (fstat(fd, &st) == 0) {
			dev_ino_text(&st, where, len);
			*at = where;
		}
		close(fd);
	}
	return fd;
}

static void obs_where(struct line *l, const char *op, const char *path, long ret, int err,
		      const char *detail, const char *at, const char *root)
{
	obs_begin(l, op, path, ret, err, detail);
	key_str(l, "dev_ino", at);
	key_str(l, "root_dev_ino", root);
	obs_end(l);
}

/* The handle-based open on a handle of the bind's own root. With CAP_DAC_READ_SEARCH (and a
 * seccomp profile that lets the call through) this is the known container escape: a handle
 * names an inode without any path, so the mount namespace does not hold it. The probe asks for
 * /out's own handle, and whatever opens is only fstat-ed and closed: never read, written or
 * walked. When no handle can be had (the engine's default seccomp profile denies
 * name_to_handle_at but allows open_by_handle_at to a process holding CAP_DAC_READ_SEARCH),
 * the call is asked with a handle that names nothing: FILEID_INO32_GEN, inode 0, generation 0
 * (no filesystem has an inode 0), so a permitted call fails decoding it (ESTALE) and opens
 * nothing. An empty handle would not do: kernel 6.18 rejects it (EINVAL) before the
 * permission check, and the answer would say nothing about the permission. */
#define FILEID_INO32_GEN 1
#define NOTHING_HANDLE_BYTES 8

static void handle_open(struct line *l)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	char where[64], bind[64], detail[96] = "";
	const char *at = NULL, *bind_at;
	struct stat st;
	int mount_id = 0, rc, err, mount_fd, fd;

	bind_at = stat_text("/out", bind, sizeof bind);
	memset(&h, 0, sizeof h);
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	rc = name_to_handle_at(AT_FDCWD, "/out", &h.fh, &mount_id, 0);
	err = errno;
	if (rc == 0) {
		snprintf(detail, sizeof detail, "handle type %d, %u bytes", h.fh.handle_type,
			 h.fh.handle_bytes);
	} else {
		memset(&h, 0, sizeof h);
		h.fh.handle_bytes = NOTHING_HANDLE_BYTES;
		h.fh.handle_type = FILEID_INO32_GEN;
	}
	obs(l, "name_to_handle_at", "/out", rc, err, detail);

	/* The mount fd names the filesystem the handle is decoded on: /out itself, the bind's own
	 * root, opened read-only and never read. */
	mount_fd = open("/out", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0) {
		obs_begin(l, "open_by_handle_at", "/out", -1, 0,
			  "not attempted: /out could not be opened as the mount fd");
	} else {
		fd = open_by_handle_at(mount_fd, &h.fh, O_PATH | O_CLOEXEC);
		err = errno;
		detail[0] = 0;
		if (fd >= 0) {
			if (fstat(fd, &st) == 0) {
				dev_ino_text(&st, where, sizeof where);
				at = where;
			}
			close(fd);
			snprintf(detail, sizeof detail, "opened; fstat and closed only");
		} else if (rc != 0) {
			snprintf(detail, sizeof detail,
				 "no handle was had: asked with one naming inode 0");
		}
		close(mount_fd);
		obs_begin(l, "open_by_handle_at", "/out", fd, err, detail);
	}
	key_str(l, "dev_ino", at);
	key_str(l, "bind_dev_ino", bind_at);
	obs_end(l);
}

static void probe_path_escape(void)
{
	struct line l;
	char root[64], where[64], detail[96] = "";
	const char *root_at, *at;
	const char *const dotdot[] = {"/in/..", "/out/.."};
	long ret;
	size_t i;
	int rc, err;

	line_begin(&l, "PR-FS-ESC-2");
	root_at = stat_text("/", root, sizeof root);
	/* ".." from each bind's root: the kernel resolves it in the container's mount namespace,
	 * so it must end at the container's root, never at the host directory above the bind. */
	for (i = 0; i < sizeof dotdot / sizeof dotdot[0]; i++) {
		ret = open_dev_ino(dotdot[i], where, sizeof where, &at, &err);
		obs_where(&l, "open_dotdot", dotdot[i], ret, err, "", at, root_at);
	}

	/* A relative link planted in /out climbing out of it, opened back from inside: on the
	 * host the same link would point above the run directory. It is unlinked afterwards. */
	rc = symlink(PROBE_LINK_TARGET, PROBE_LINK);
	err = errno;
	obs(&l, "symlink", PROBE_LINK " -> " PROBE_LINK_TARGET, rc, err, "");
	ret = open_dev_ino(PROBE_LINK, where, sizeof where, &at, &err);
	if (rc == 0)
		snprintf(detail, sizeof detail, "%s", unlink(PROBE_LINK) == 0
			 ? "link unlinked again" : "link could not be unlinked");
	obs_where(&l, "open_link", PROBE_LINK, ret, err, detail, at, root_at);
	handle_open(&l);
	line_end(&l);
}

static void probe_out_ok(void)
{
	struct line l;
	char content[128], hex[65], detail[64] = "";
	size_t len, done = 0;
	ssize_t n;
	long ret;
	int fd, err = 0;

	line_begin(&l, "PR-FS-OUT-OK");
	snprintf(content, sizeof content, "sandbox-attest ok %s\n",
		 g_container_id[0] ? g_container_id : g_hostname);
	len = strlen(content);
	fd = open("/out/ok", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		snprintf(detail, sizeof detail, "open failed");
	} else {
		while (done < len) {
			n = write(fd, content + done, len - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				err = n < 0 ? errno : EIO;
				snprintf(detail, sizeof detail, "write failed after %zu bytes", done);
				break;
			}
			done += (size_t)n;
		}
		if (close(fd) < 0 && !err) {
			err = errno;
			snprintf(detail, sizeof detail, "close failed");
		}
	}
	ret = err ? -1 : (long)done;
	obs_begin(&l, "write", "/out/ok", ret, err, detail);
	if (done) {
		sha_hex(content, done, hex);
		key_str(&l, "sha256", hex);
	} else {
		key_str(&l, "sha256", NULL);
	}
	key_long(&l, "bytes", 1, (long)done);
	obs_end(&l);
	line_end(&l);
}

static void exec_child(const void *arg, struct report *r)
{
	const char *path = arg;
	char *const argv[] = {(char *)path, "--noop", NULL};
	char *const envp[] = {NULL};

	execve(path, argv, envp);
	r->ret = -1;
	r->err = errno;
}

static void probe_exec1(void)
{
	static const char dst_path[] = "/tmp/.probe-exec";
	struct line l;
	struct report r;
	struct outcome o;
	char buf[16384], detail[160] = "";
	long copied = 0;
	ssize_t n;
	int src, dst = -1, err = 0;

	line_begin(&l, "PR-EXEC-1");
	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		err = errno;
		snprintf(detail, sizeof detail, "open of the source failed");
	} else {
		dst = open(dst_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
		if (dst < 0) {
			err = errno;
			snprintf(detail, sizeof detail, "open of the destination failed");
		} else if (fchmod(dst, 0755) < 0) {
			/* without the exec bit an EACCES would say nothing about noexec */
			err = errno;
			snprintf(detail, sizeof detail, "fchmod 0755 failed");
		}
	}
	while (!err && copied < COPY_MAX) {
		n = read(src, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			snprintf(detail, sizeof detail, "read failed");
			break;
		}
		if (n == 0)
			break;
		if (write_all(dst, buf, (size_t)n) < 0) {
			err = errno ? errno : EIO;
			snprintf(detail, sizeof detail, "write failed");
			break;
		}
		copied += n;
	}
	if (src >= 0)
		close(src);
	/* closed before the fork: an inherited writer would make execve fail with ETXTBSY */
	if (dst >= 0 && close(dst) < 0 && !err) {
		err = errno;
		snprintf(detail, sizeof detail, "close failed");
	}
	if (!err)
		snprintf(detail, sizeof detail, "mode 0755");
	obs(&l, "copy", "/proc/self/exe -> /tmp/.probe-exec", err ? -1 : copied, err, detail);

	run_child(exec_child, dst_path, &r, &o);
	if (o.reported) {
		obs(&l, "execve", dst_path, r.ret, r.err, "in a forked child");
	} else if (o.reaped && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0) {
		obs(&l, "execve", dst_path, 0, 0,
		    "in a forked child: exec succeeded; the copy ran --noop and exited 0");
	} else {
		describe_outcome(&o, detail, sizeof detail);
		obs(&l, "execve", dst_path, -1, 0, detail);
	}
	unlink(dst_path);
	line_end(&l);
}

static void probe_mount1(void)
{
	static const char dir[] = "/tmp/.probe-mnt";
	struct line l;
	char detail[160];
	int made, mkerr = 0, rc, err;

	line_begin(&l, "PR-MOUNT-1");
	made = mkdir(dir, 0700) == 0;
	if (!made)
		mkerr = errno;
	rc = mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0700");
	err = errno;
	if (made)
		snprintf(detail, sizeof detail, "directory created");
	else
		snprintf(detail, sizeof detail, "mkdir failed with %s", errno_name(mkerr));
	if (rc == 0) {
		size_t k = strlen(detail);
		if (umount2(dir, 0) == 0)
			snprintf(detail + k, sizeof detail - k, "; mounted; unmounted again");
		else if (umount2(dir, MNT_DETACH) == 0)
			snprintf(detail + k, sizeof detail - k, "; mounted; detached again");
		else
			snprintf(detail + k, sizeof detail - k, "; mounted; unmount failed with %s",
				 errno_name(errno));
	}
	if (made)
		unlinkat(AT_FDCWD, dir, AT_REMOVEDIR);
	obs(&l, "mount", "tmpfs on /tmp/.probe-mnt", rc, err, detail);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Engine sockets: connect and close. Non-blocking so a full backlog cannot stall the probe; */
/* not one byte is written, so no API request is ever made.                                 */

static void probe_sock_docker(void)
{
	static const char *const paths[] = {"/var/run/docker.sock", "/run/docker.sock",
					    "/run/podman/podman.sock",
					    "/run/containerd/containerd.sock"};
	struct line l;
	struct sockaddr_un sun;
	size_t i;
	int fd, rc, err;

	line_begin(&l, "PR-SOCK-DOCKER");
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			obs(&l, "unix_connect", paths[i], -1, errno,
			    "socket() failed; no connect attempted");
			continue;
		}
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		strcpy(sun.sun_path, paths[i]);
		rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
		err = errno;
		close(fd);
		obs(&l, "unix_connect", paths[i], rc, err,
		    rc == 0 ? "connected; closed without sending" : "");
	}
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* ptrace, each call in its own child of the probe's main process. PTRACE_SEIZE instead of  */
/* PTRACE_ATTACH: same kernel permission path, but the tracee gets no SIGSTOP, so if the     */
/* child dies between attach and detach the main process (PID 1) simply runs on, instead of  */
/* being left stopped.                                                                      */

static void traceme_child(const void *arg, struct report *r)
{
	(void)arg;
	r->ret = ptrace(PTRACE_TRACEME, 0, (void *)0, (void *)0);
	r->err = r->ret < 0 ? errno : 0;
	if (r->ret == 0)
		snprintf(r->detail, sizeof r->detail, "now traced by pid %ld", (long)getppid());
}

static void attach_child(const void *arg, struct report *r)
{
	pid_t parent = getppid();
	long irc, drc = -1;
	int st = 0, derr = 0;

	(void)arg;
	/* The stopped parent cannot enforce this child's deadline, so the child bounds itself;
	 * dying while attached is harmless after a seize (the tracee just resumes). */
	alarm(CHILD_MS / 1000);
	r->ret = ptrace(PTRACE_SEIZE, parent, (void *)0, (void *)0);
	r->err = r->ret < 0 ? errno : 0;
	if (r->ret < 0) {
		snprintf(r->detail, sizeof r->detail, "PTRACE_SEIZE of pid %ld", (long)parent);
		return;
	}
	irc = ptrace(PTRACE_INTERRUPT, parent, (void *)0, (void *)0);
	if (irc == 0 && waitpid(parent, &st, __WALL) == parent) {
		drc = ptrace(PTRACE_DETACH, parent, (void *)0, (void *)0);
		derr = drc < 0 ? errno : 0;
	}
	snprintf(r->detail, sizeof r->detail,
		 "PTRACE_SEIZE of pid %ld succeeded; interrupt %s; wait status 0x%x; detach %s",
		 (long)parent, irc == 0 ? "ok" : "failed", st,
		 drc == 0 ? "ok" : derr ? errno_name(derr) : "not attempted");
}

static void probe_ptrace1(void)
{
	struct line l;

	line_begin(&l, "PR-PTRACE-1");
	obs_child(&l, "ptrace_traceme", "self", traceme_child, NULL);
	obs_child(&l, "ptrace_attach", "parent", attach_child, NULL);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Interfaces and routes of the container's network namespace, read from /proc: a netlink   */
/* dump (getifaddrs) would mean sending on a socket, which the probe never does.           */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a route table and appends its observation: a default route is destination 0/0, up,
 * and not a reject route (the kernel lists its IPv6 null route as an unreachable ::/0). */
static void route_table(struct line *l, const char *path, int ipv6)
{
	char *data, *p, *next, dev[64], dest[40], detail[96] = "";
	unsigned long d = 1, flags = 0, mask = 1;
	unsigned plen = 1;
	long ret;
	int err, trunc, routes = 0, def = 0, n;

	ret = read_file(path, &data, READ_MAX, &err, &trunc);
	for (p = data; p && *p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = 0;
		if (ipv6) {
			n = sscanf(p, "%39s %x %*s %*s %*s %*s %*s %*s %lx %63s", dest, &plen, &flags,
				   dev);
			if (n != 4)
				continue;
			d = strspn(dest, "0") != 32;
			mask = plen;
		} else if (sscanf(p, "%63s %lx %*s %lx %*s %*s %*s %lx", dev, &d, &flags, &mask) != 4) {
			continue;       /* the header line */
		}
		routes++;
		if (d == 0 && mask == 0 && (flags & K_RTF_UP) && !(flags & K_RTF_REJECT) && !def++)
			snprintf(detail, sizeof detail, "default via %s", dev);
	}
	free(data);
	obs_begin(l, "read", path, ret, err, detail);
	if (ret < 0)
		b_cat(&l->b, ",\"default_route\":null");
	else
		b_cat(&l->b, def ? ",\"default_route\":true" : ",\"default_route\":false");
	if (!ipv6)
		key_long(l, "routes", ret >= 0, routes);
	obs_end(l);
}

static void probe_netif1(void)
{
	struct line l;
	char *data, *p, *next, *names[IF_MAX], detail[128];
	long ret;
	int err, trunc, n = 0, i, more = 0;
	size_t k;

	line_begin(&l, "PR-NETIF-1");
	/* /proc/net/dev: two header lines, then "  name: counters" per interface */
	ret = read_file("/proc/net/dev", &data, READ_MAX, &err, &trunc);
	for (p = data, i = 0; p && *p; p = next, i++) {
		next = strchr(p, '\n');
		if (next)
			*next++ = 0;
		p += strspn(p, " ");
		k = strcspn(p, ":");
		if (i < 2 || !p[k] || k == 0)
			continue;
		if (n < IF_MAX && (names[n] = strndup(p, k)) != NULL)
			n++;
		else
			more++;
	}
	free(data);
	qsort(names, (size_t)n, sizeof names[0], str_cmp);
	snprintf(detail, sizeof detail, "%s%s", ret < 0 ? "" : "names from /proc/net/dev (no netlink)",
		 more ? "; some interfaces not listed (over 256)" : "");
	obs_begin(&l, "getifaddrs", "interfaces", ret < 0 ? -1 : 0, err, detail);
	b_cat(&l.b, ",\"interfaces\":[");
	for (i = 0; i < n; i++) {
		b_cat(&l.b, i ? "," : "");
		b_jstr(&l.b, names[i]);
		free(names[i]);
	}
	b_cat(&l.b, "]");
	obs_end(&l);
	route_table(&l, "/proc/net/route", 0);
	route_table(&l, "/proc/net/ipv6_route", 1);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* /proc/self/status: capabilities, no_new_privs, seccomp                                  */

static void probe_status(const char *id, const char *const *keys, size_t nkeys, int numeric)
{
	struct line l;
	char *data, val[64];
	long ret, num;
	size_t i;
	int err, trunc, found, ok;

	line_begin(&l, id);
	if (strcmp(id, "PR-NNP-1") == 0) {
		ret = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
		obs(&l, "prctl", "PR_GET_NO_NEW_PRIVS", ret, ret < 0 ? errno : 0, "");
	}
	ret = read_file("/proc/self/status", &data, READ_MAX, &err, &trunc);
	obs_begin(&l, "read", "/proc/self/status", ret, err, "");
	for (i = 0; i < nkeys; i++) {
		found = data && status_field(data, keys[i], val, sizeof val);
		if (!numeric) {
			key_str(&l, keys[i], found ? val : NULL);
		} else {
			ok = found && parse_long(val, &num);
			key_long(&l, keys[i], ok, ok ? num : 0);
		}
	}
	obs_end(&l);
	free(data);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Namespaces: each unshare in its own child, so a success changes nothing for the probe.   */

static void unshare_child(const void *arg, struct report *r)
{
	r->ret = unshare(*(const int *)arg);
	r->err = r->ret < 0 ? errno : 0;
}

static void probe_userns1(void)
{
	static const int newuser = CLONE_NEWUSER, newns = CLONE_NEWNS;
	struct line l;

	line_begin(&l, "PR-USERNS-1");
	obs_child(&l, "unshare", "CLONE_NEWUSER", unshare_child, &newuser);
	obs_child(&l, "unshare", "CLONE_NEWNS", unshare_child, &newns);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Fork until the pids limit answers, at most PIDS_BOUND children. Each child blocks on a   */
/* pipe whose writer is the probe: if the probe dies, EOF ends them even if no one kills.   */

static void probe_pids1(void)
{
	static pid_t kids[PIDS_BOUND];
	struct line l;
	char detail[128], c;
	long ret = 0;
	int hold[2], n = 0, i, err = 0, st;
	ssize_t rd;
	pid_t pid;

	line_begin(&l, "PR-PIDS-1");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		err = errno;
		obs_begin(&l, "fork", "until failure", -1, err, "pipe failed; nothing forked");
		key_long(&l, "forked", 1, 0);
		b_cat(&l.b, ",\"limit_hit\":false");
		obs_end(&l);
		line_end(&l);
		return;
	}
	for (n = 0; n < PIDS_BOUND; n++) {
		pid = fork();
		if (pid < 0) {
			ret = -1;
			err = errno;
			break;
		}
		if (pid == 0) {
			close(hold[1]);
			do
				rd = read(hold[0], &c, 1);
			while (rd < 0 && errno == EINTR);
			_exit(0);
		}
		kids[n] = pid;
	}
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	close(hold[1]);
	close(hold[0]);
	for (i = 0; i < n; i++)
		while (waitpid(kids[i], &st, 0) < 0 && errno == EINTR)
			;
	snprintf(detail, sizeof detail, "%d children forked%s; all killed and reaped", n,
		 ret < 0 ? " before fork failed" : ", bound reached");
	obs_begin(&l, "fork", "until failure", ret, err, detail);
	key_long(&l, "forked", 1, n);
	b_cat(&l.b, ret < 0 ? ",\"limit_hit\":true" : ",\"limit_hit\":false");
	obs_end(&l);
	line_end(&l);
}

/* ---------------------------------------------------------------------------------------- */

/* Only PID 1 of a fresh PID namespace runs the probe set: marker files such as /.dockerenv also
 * exist on hosts that are themselves containers (this project's build machines are), where the
 * write, mount and fork probes would act on a real system. */
static int in_container(void)
{
	return getpid() == 1;
}

int main(int argc, char **argv)
{
	static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
	static const char *const nnp[] = {"NoNewPrivs"};
	static const char *const sec[] = {"Seccomp", "Seccomp_filters"};
	static const char refuse[] =
		"sandbox-probe: refusing to run: not PID 1 of its own PID namespace, so "
		"not the entrypoint of a sandbox container\n";
	struct line end;
	long start = now_ms();

	if (argc > 1 && strcmp(argv[1], "--noop") == 0)
		return 0;
	if (argc > 1) {
		write_all(2, "usage: sandbox-probe [--noop]\n", 30);
		return 2;
	}
	if (!in_container()) {
		write_all(2, refuse, sizeof refuse - 1);
		return 2;
	}
	/* a closed stdout must end in a failed write and exit 1, not a silent signal death */
	signal(SIGPIPE, SIG_IGN);

	find_container_id();
	emit_meta();
	probe_net1();
	probe_net2();
	probe_sock1();
	probe_env1();
	probe_open_write("PR-FS-RO-IN", "/in/.probe-write");
	probe_open_write("PR-FS-ESC-1", "/.probe-write");
	probe_path_escape();
	probe_out_ok();
	probe_exec1();
	probe_mount1();
	probe_sock_docker();
	probe_ptrace1();
	probe_netif1();
	probe_status("PR-CAPS-1", caps, 5, 0);
	probe_status("PR-NNP-1", nnp, 1, 1);
	probe_status("PR-SECCOMP-1", sec, 2, 1);
	probe_userns1();
	probe_pids1();

	memset(&end, 0, sizeof end);
	b_fmt(&end.b, "{\"probe\":\"END\",\"count\":%d,\"elapsed_ms\":%ld}\n", g_lines,
	      now_ms() - start);
	if (end.b.oom || write_all(1, end.b.p, end.b.len) < 0)
		g_write_failed = 1;
	free(end.b.p);
	if (g_lines != PROBE_COUNT)
		g_write_failed = 1;
	return g_write_failed ? 1 : 0;
}
