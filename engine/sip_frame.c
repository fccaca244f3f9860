/*
 * sip_frame.c - SIP framing over streams (sip_frame.h).
 */
#include "sip_frame.h"

#include <stdlib.h>

#include "sip_parse.h"

struct sip_framer {
	char *buf;
	uint32_t len, cap;
	uint8_t resync;
};

struct sip_framer_ctx {
	struct sip_frame_cfg cfg;
	uint64_t buffered;
	struct sip_frame_stats st;
};

struct sip_framer_ctx *sip_frame_create(const struct sip_frame_cfg *cfg)
{
	struct sip_framer_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (!c->cfg.max_msg)
		c->cfg.max_msg = 65535;
	if (!c->cfg.max_buffered_per_flow)
		c->cfg.max_buffered_per_flow = 128 * 1024;
	if (c->cfg.max_buffered_per_flow < c->cfg.max_msg)
		c->cfg.max_buffered_per_flow = c->cfg.max_msg;
	if (!c->cfg.memcap)
		c->cfg.memcap = 64ULL << 20;
	return c;
}

void sip_frame_destroy(struct sip_framer_ctx *c)
{
	free(c);
}

static void fr_free(struct sip_framer_ctx *c, struct sip_framer *fr)
{
	if (!fr)
		return;
	c->buffered -= fr->cap;
	free(fr->buf);
	free(fr);
}

void sip_frame_flow_free(struct sip_framer_ctx *c, struct flow *f)
{
	if (!c || !f)
		return;
	for (int d = 0; d < 2; d++) {
		fr_free(c, f->framer[d]);
		f->framer[d] = NULL;
	}
	c->st.buffered_now = c->buffered;
}

const struct sip_frame_stats *sip_frame_get_stats(const struct sip_framer_ctx *c)
{
	return &c->st;
}

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

int sip_frame_content_length(const char *buf, uint32_t hdr_len, uint64_t *cl)
{
	uint32_t i = 0;
	/* Skip the start line. */
	while (i < hdr_len && buf[i] != '\n')
		i++;
	i++;
	while (i < hdr_len) {
		uint32_t ls = i, name_end;
		while (i < hdr_len && buf[i] != ':' && buf[i] != '\n')
			i++;
		if (i >= hdr_len || buf[i] == '\n') {
			i++;
			continue;
		}
		name_end = i;
		while (name_end > ls && (buf[name_end - 1] == ' ' || buf[name_end - 1] == '\t'))
			name_end--;
		uint32_t nl = name_end - ls;
		int match = 0;
		if (nl == 1 && lower(buf[ls]) == 'l')
			match = 1;
		else if (nl == 14) {
			static const char cln[] = "content-length";
			match = 1;
			for (uint32_t k = 0; k < 14; k++)
				if (lower(buf[ls + k]) != cln[k])
					match = 0;
		}
		i++; /* past ':' */
		if (match) {
			uint64_t v = 0;
			int digits = 0;
			/* Value, across folds (CRLF + SP/HT), up to the line end. */
			for (; i < hdr_len; i++) {
				char ch = buf[i];
				if (ch == '\r' || ch == ' ' || ch == '\t')
					continue;
				if (ch == '\n') {
					if (i + 1 < hdr_len && (buf[i + 1] == ' ' || buf[i + 1] == '\t'))
						continue;
					break;
				}
				if (ch < '0' || ch > '9' || v > 100000000ULL)
					return -1;
				v = v * 10 + (uint64_t)(ch - '0');
				digits++;
			}
			if (!digits)
				return -1;
			*cl = v;
			return 1;
		}
		/* Skip to the end of this header, folds included. */
		while (i < hdr_len) {
			if (buf[i] == '\n' && !(i + 1 < hdr_len && (buf[i + 1] == ' ' || buf[i + 1] == '\t')))
				break;
			i++;
		}
		i++;
	}
	return 0;
}

/* Offset of the next line start in buf[from..n) that looks like a SIP start
 * line, or n if none. A line start is offset 0 or just after '\n'. */
static uint32_t find_start(const char *buf, uint32_t from, uint32_t n)
{
	for (uint32_t i = from; i < n; i++) {
		if (i > 0 && buf[i - 1] != '\n')
			continue;
		uint32_t e = i;
		while (e < n && buf[e] != '\n')
			e++;
		if (e == n)
			return i; /* incomplete line: may be a start line, keep it */
		if (sip_probe((const uint8_t *)buf + i, e - i + 1))
			return i;
	}
	return n;
}

static const char *find_hdr_end(const char *p, uint32_t n)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);
	return e;
}

/*
 * Frames messages in buf[0..n). Returns the bytes consumed; the rest is an
 * incomplete message the caller keeps.
 */
static uint32_t frame(struct sip_framer_ctx *c, struct sip_framer *fr, struct flow *f, int dir,
                      const char *buf, uint32_t n, sip_frame_msg_cb msg_cb,
                      sip_frame_anom_cb anom_cb, void *ud)
{
	uint32_t pos = 0;
	while (pos < n) {
		if (fr->resync) {
			uint32_t s = find_start(buf, pos, n);
			if (s == n) {
				pos = n;
				break;
			}
			pos = s;
			fr->resync = 0;
			c->st.resyncs++;
		}
		/* Keep-alives: CRLFCRLF ping, CRLF pong. */
		if (buf[pos] == '\r' || buf[pos] == '\n') {
			uint32_t s = pos;
			while (pos < n && (buf[pos] == '\r' || buf[pos] == '\n'))
				pos++;
			if (pos - s >= 2)
				c->st.keepalives++;
			continue;
		}
		const char *he = find_hdr_end(buf + pos, n - pos);
		if (!he) {
			if (n - pos > c->cfg.max_msg) {
				c->st.too_large++;
				anom_cb(ud, f, dir, ANOM_SIP_STREAM_TOO_LARGE);
				fr->resync = 1;
				pos++;
				continue;
			}
			/* A line that cannot start a SIP message: garbage. */
			const char *nl = memchr(buf + pos, '\n', n - pos);
			if (nl && !sip_probe((const uint8_t *)buf + pos, (size_t)(nl - (buf + pos)) + 1)) {
				anom_cb(ud, f, dir, ANOM_SIP_STREAM_GARBAGE);
				fr->resync = 1;
				pos = (uint32_t)(nl - buf) + 1;
				continue;
			}
			break; /* incomplete */
		}
		uint32_t hdr_len = (uint32_t)(he - (buf + pos)) + 4;
		if (!sip_probe((const uint8_t *)buf + pos, hdr_len)) {
			anom_cb(ud, f, dir, ANOM_SIP_STREAM_GARBAGE);
			fr->resync = 1;
			pos++;
			continue;
		}
		uint64_t cl = 0;
		int r = sip_frame_content_length(buf + pos, hdr_len, &cl);
		if (r == 0) {
			c->st.no_content_length++;
			anom_cb(ud, f, dir, ANOM_SIP_STREAM_NO_CL);
			cl = 0;
		} else if (r < 0) {
			anom_cb(ud, f, dir, ANOM_SIP_STREAM_BAD_CL);
			cl = 0;
		}
		if (hdr_len + cl > c->cfg.max_msg) {
			c->st.too_large++;
			anom_cb(ud, f, dir, ANOM_SIP_STREAM_TOO_LARGE);
			fr->resync = 1;
			pos += hdr_len;
			continue;
		}
		if (n - pos < hdr_len + cl)
			break; /* body still coming */
		c->st.messages++;
		msg_cb(ud, f, dir, buf + pos, (uint32_t)(hdr_len + cl));
		pos += (uint32_t)(hdr_len + cl);
	}
	return pos;
}

static int ensure_cap(struct sip_framer_ctx *c, struct sip_framer *fr, uint32_t need)
{
	uint32_t nc;
	char *nb;
	if (need <= fr->cap)
		return 0;
	nc = fr->cap ? fr->cap : 2048;
	while (nc < need)
		nc *= 2;
	if (nc > c->cfg.max_buffered_per_flow)
		nc = c->cfg.max_buffered_per_flow;
	if (nc < need || c->buffered + (nc - fr->cap) > c->cfg.memcap)
		return -1;
	nb = realloc(fr->buf, nc);
	if (!nb)
		return -1;
	c->buffered += nc - fr->cap;
	fr->buf = nb;
	fr->cap = nc;
	c->st.buffered_now = c->buffered;
	return 0;
}

void sip_frame_data(struct sip_framer_ctx *c, struct flow *f, int dir, const uint8_t *data,
                    uint32_t len, sip_frame_msg_cb msg_cb, sip_frame_anom_cb anom_cb, void *ud)
{
	struct sip_framer *fr = f->framer[dir];
	if (!fr) {
		fr = calloc(1, sizeof(*fr));
		if (!fr) {
			c->st.memcap_hits++;
			anom_cb(ud, f, dir, ANOM_SIP_STREAM_BUFFER_MEMCAP);
			return;
		}
		f->framer[dir] = fr;
	}
	if (fr->len == 0) {
		/* Zero-copy path: frame straight from the segment. */
		uint32_t used = frame(c, fr, f, dir, (const char *)data, len, msg_cb, anom_cb, ud);
		data += used;
		len -= used;
		if (len == 0)
			return;
		if (ensure_cap(c, fr, len) != 0) {
			c->st.memcap_hits++;
			anom_cb(ud, f, dir, ANOM_SIP_STREAM_BUFFER_MEMCAP);
			fr->resync = 1;
			return;
		}
		memcpy(fr->buf, data, len);
		fr->len = len;
		return;
	}
	if (ensure_cap(c, fr, fr->len + len) != 0) {
		c->st.memcap_hits++;
		anom_cb(ud, f, dir, ANOM_SIP_STREAM_BUFFER_MEMCAP);
		fr->len = 0;
		fr->resync = 1;
		sip_frame_data(c, f, dir, data, len, msg_cb, anom_cb, ud);
		return;
	}
	memcpy(fr->buf + fr->len, data, len);
	fr->len += len;
	uint32_t used = frame(c, fr, f, dir, fr->buf, fr->len, msg_cb, anom_cb, ud);
	if (used) {
		memmove(fr->buf, fr->buf + used, fr->len - used);
		fr->len -= used;
	}
}

void sip_frame_gap(struct sip_framer_ctx *c, struct flow *f, int dir)
{
	struct sip_framer *fr = f->framer[dir];
	if (!fr) {
		fr = calloc(1, sizeof(*fr));
		if (!fr)
			return;
		f->framer[dir] = fr;
	}
	fr->len = 0;
	fr->resync = 1;
}
