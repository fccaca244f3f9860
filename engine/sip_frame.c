/*
 * sip_frame.c - SIP framing over streams (sip_frame.h).
 *
 * Per direction the framer is in one of three states:
 *
 *   state        input                      next
 *   -----------  -------------------------  ------------------------------
 *   between      CR / LF                    between (RFC 5626 keep-alive)
 *   between      a start line               in-message
 *   between      a line that is not SIP     resync (garbage anomaly)
 *   in-message   header end + CL body       between (message delivered)
 *   in-message   no Content-Length          between, then resync: the body
 *                                           (if any) cannot be framed
 *   in-message   too large / memcap         resync (anomaly)
 *   resync       a line that is not SIP     resync (dropped)
 *   resync       a SIP start line           in-message (resyncs counted)
 *   any          gap (sip_frame_gap)        resync
 *
 * Whole messages are delivered straight from the caller's segment; only
 * the partial message at the end of a segment is copied into the flow
 * direction's buffer. While a message is buffered, only the bytes it can
 * still need are appended (its exact length once the header section is
 * in), so the buffer never holds more than one max_msg; the rest of a
 * segment is framed zero-copy again. The header end search restarts where
 * the previous one stopped, so feeding a message byte by byte costs linear
 * time.
 */
#include "sip_frame.h"

#include <stdlib.h>

#include "anomaly.h"
#include "sip_parse.h"

struct sip_framer {
	char *buf; /* partial message (or resync candidate line) */
	uint32_t len, cap;
	uint8_t resync;	  /* dropping bytes until a start line */
	uint8_t at_bol;	  /* resync: the next byte starts a line */
	uint32_t scanned; /* buffered message: header end searched up to here */
	uint32_t need;	  /* buffered message: its whole length once known, else 0 */
};

struct sip_framer_ctx {
	struct sip_frame_cfg cfg;
	uint64_t buffered;
	struct sip_frame_stats st;
};

/* Buffers this large are released once empty rather than kept per flow. */
#define FR_KEEP_CAP 16384

struct sip_framer_ctx *sip_frame_create(const struct sip_frame_cfg *cfg)
{
	struct sip_framer_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (cfg)
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

static void buf_release(struct sip_framer_ctx *c, struct sip_framer *fr)
{
	c->buffered -= fr->cap;
	free(fr->buf);
	fr->buf = NULL;
	fr->cap = 0;
	fr->len = 0;
	c->st.buffered_now = c->buffered;
}

static void fr_free(struct sip_framer_ctx *c, struct sip_framer *fr)
{
	if (!fr)
		return;
	buf_release(c, fr);
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

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* 1 if buf[i] == '\n' is followed by a continuation line (a fold). */
static int folds(const char *buf, uint32_t i, uint32_t n)
{
	return i + 1 < n && is_ws(buf[i + 1]);
}

int sip_frame_content_length(const char *buf, uint32_t hdr_len, uint64_t *cl)
{
	uint32_t i = 0;
	int found = 0;
	uint64_t first = 0;
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
		while (name_end > ls && is_ws(buf[name_end - 1]))
			name_end--;
		uint32_t nl = name_end - ls;
		int match = 0;
		if (nl == 1 && lower(buf[ls]) == 'l') {
			match = 1;
		} else if (nl == 14) {
			static const char cln[] = "content-length";
			match = 1;
			for (uint32_t k = 0; k < 14; k++)
				if (lower(buf[ls + k]) != cln[k])
					match = 0;
		}
		i++; /* past ':' */
		if (match) {
			/* LWS, 1*DIGIT, LWS - folds allowed, nothing else. */
			uint64_t v = 0;
			int digits = 0, after = 0;
			for (; i < hdr_len; i++) {
				char ch = buf[i];
				if (ch == '\n') {
					if (folds(buf, i, hdr_len))
						continue;
					break;
				}
				if (ch == '\r' || is_ws(ch)) {
					after = digits > 0;
					continue;
				}
				if (ch < '0' || ch > '9' || after || digits >= 10)
					return -1;
				v = v * 10 + (uint64_t)(ch - '0');
				digits++;
			}
			if (!digits)
				return -1;
			if (!found) {
				found = 1;
				first = v;
			} else if (v != first) {
				found = 2; /* RFC 4475 mcl01: which one frames the body? */
			}
			i++;
			continue;
		}
		/* Skip to the end of this header, folds included. */
		while (i < hdr_len && !(buf[i] == '\n' && !folds(buf, i, hdr_len)))
			i++;
		i++;
	}
	if (found)
		*cl = first;
	return found;
}

/*
 * End of the header section of the message at buf[s..n): the offset just
 * past its empty line (CRLF or bare LF), or 0 if it is not in yet. *from is
 * where the search resumes next time (the last line start seen).
 */
static uint32_t hdr_end(const char *buf, uint32_t s, uint32_t n, uint32_t *from)
{
	uint32_t i = *from > s ? *from : s;
	for (;;) {
		const char *nl = i < n ? memchr(buf + i, '\n', n - i) : NULL;
		if (!nl) {
			/* buf[i] was already looked at as a line start: no empty
			 * line can begin before n. */
			*from = n;
			return 0;
		}
		uint32_t k = (uint32_t)(nl - buf) + 1; /* next line start */
		if (k < n && buf[k] == '\n')
			return k + 1;
		if (k + 1 < n && buf[k] == '\r' && buf[k + 1] == '\n')
			return k + 2;
		if (k >= n || (k + 1 >= n && buf[k] == '\r')) {
			*from = k - 1; /* resume at this line end */
			return 0;
		}
		i = k;
	}
}

/*
 * Resynchronisation: the next line start in buf[from..n) that begins a SIP
 * start line. *state: 1 found (returned offset), 2 an incomplete last line
 * that may still become one (returned offset, keep it), 0 nothing (n).
 */
static uint32_t find_start(struct sip_framer *fr, const char *buf, uint32_t from, uint32_t n,
			   int *state)
{
	uint32_t i = from;
	*state = 0;
	if (i >= n)
		return n;
	if (!fr->at_bol) {
		const char *nl = memchr(buf + i, '\n', n - i);
		if (!nl) {
			fr->at_bol = 0;
			return n;
		}
		i = (uint32_t)(nl - buf) + 1;
	}
	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);
		if (!nl) {
			if (sip_probe_prefix((const uint8_t *)buf + i, n - i)) {
				*state = 2;
				fr->at_bol = 1; /* what is kept starts a line */
				return i;
			}
			fr->at_bol = 0;
			return n;
		}
		uint32_t e = (uint32_t)(nl - buf) + 1;
		if (sip_probe((const uint8_t *)buf + i, e - i)) {
			*state = 1;
			return i;
		}
		i = e;
	}
	fr->at_bol = 1;
	return n;
}

struct fctx {
	struct sip_framer_ctx *c;
	struct sip_framer *fr;
	struct flow *f;
	int dir;
	sip_frame_msg_cb msg_cb;
	sip_frame_anom_cb anom_cb;
	void *ud;
};

static void fanom(const struct fctx *x, unsigned id)
{
	if (x->anom_cb)
		x->anom_cb(x->ud, x->f, x->dir, id);
}

static void enter_resync(struct sip_framer *fr, int at_bol)
{
	fr->resync = 1;
	fr->at_bol = (uint8_t)at_bol;
}

/*
 * Frames messages in buf[0..n). Returns the bytes consumed; the rest is a
 * partial message (or resync candidate line) the caller keeps, and
 * fr->scanned / fr->need describe it relative to its first byte. With
 * `hint`, buf[0] is the start of the message fr->scanned / fr->need were
 * computed for. Framing stops before anything that starts at or after
 * `stop` (the caller frames that zero-copy from its own segment).
 */
static uint32_t frame(const struct fctx *x, const char *buf, uint32_t n, int hint, uint32_t stop)
{
	struct sip_framer_ctx *c = x->c;
	struct sip_framer *fr = x->fr;
	uint32_t pos = 0, max = c->cfg.max_msg;
	uint32_t scan = hint ? fr->scanned : 0, need = hint ? fr->need : 0;

	fr->scanned = 0;
	fr->need = 0;
	while (pos < n) {
		int no_body = 0;
		if (pos >= stop)
			return pos;
		if (fr->resync) {
			int st;
			uint32_t s = find_start(fr, buf, pos, n, &st);
			scan = need = 0;
			if (st == 0)
				return n;
			pos = s;
			if (st == 2)
				return pos; /* keep the candidate line; still resyncing */
			fr->resync = 0;
			c->st.resyncs++;
			if (pos >= stop)
				return pos;
		}
		/* Keep-alives (RFC 5626 §3.5.1): CRLFCRLF ping, CRLF pong. */
		if (buf[pos] == '\r' || buf[pos] == '\n') {
			uint32_t s = pos;
			while (pos < n && (buf[pos] == '\r' || buf[pos] == '\n'))
				pos++;
			if (pos - s >= 2)
				c->st.keepalives++;
			scan = need = 0;
			continue;
		}
		if (need) {
			/* Length already known (buffered message). */
			if (n - pos < need) {
				fr->need = need;
				return pos;
			}
			goto deliver;
		}
		uint32_t from = pos + scan;
		uint32_t he = hdr_end(buf, pos, n, &from);
		scan = 0;
		if (!he) {
			if (n - pos >= max) {
				c->st.too_large++;
				fanom(x, ANOM_SIP_STREAM_TOO_LARGE);
				enter_resync(fr, 0);
				pos++;
				continue;
			}
			/* The first line must be (or become) a SIP start line. */
			const char *nl = memchr(buf + pos, '\n', n - pos);
			if (nl ? !sip_probe((const uint8_t *)buf + pos,
					    (size_t)(nl - (buf + pos)) + 1)
			       : !sip_probe_prefix((const uint8_t *)buf + pos, n - pos)) {
				fanom(x, ANOM_SIP_STREAM_GARBAGE);
				enter_resync(fr, nl != NULL);
				pos = nl ? (uint32_t)(nl - buf) + 1 : n;
				continue;
			}
			fr->scanned = from - pos;
			return pos; /* header section incomplete */
		}
		uint32_t hdr_len = he - pos;
		if (!sip_probe((const uint8_t *)buf + pos, hdr_len)) {
			const char *nl = memchr(buf + pos, '\n', hdr_len);
			fanom(x, ANOM_SIP_STREAM_GARBAGE);
			enter_resync(fr, 1);
			pos = (uint32_t)(nl - buf) + 1; /* hdr_end found one */
			continue;
		}
		uint64_t cl = 0;
		int r = sip_frame_content_length(buf + pos, hdr_len, &cl);
		if (r == 0) {
			/* RFC 3261 §18.3: mandatory on streams. Deliver the header
			 * section; whatever follows cannot be framed. */
			c->st.no_content_length++;
			fanom(x, ANOM_SIP_STREAM_NO_CL);
			cl = 0;
			no_body = 1;
		} else if (r < 0) {
			fanom(x, ANOM_SIP_STREAM_BAD_CL);
			cl = 0;
			no_body = 1;
		} else if (r == 2) {
			/* Conflicting values: frame by the first, as the parser reads. */
			fanom(x, ANOM_SIP_STREAM_BAD_CL);
		}
		if ((uint64_t)hdr_len + cl > max) {
			c->st.too_large++;
			fanom(x, ANOM_SIP_STREAM_TOO_LARGE);
			enter_resync(fr, 1);
			pos += hdr_len;
			continue;
		}
		need = hdr_len + (uint32_t)cl;
		if (n - pos < need) {
			fr->need = need;
			return pos; /* body still coming */
		}
	deliver:
		c->st.messages++;
		if (x->msg_cb)
			x->msg_cb(x->ud, x->f, x->dir, buf + pos, need);
		pos += need;
		if (no_body)
			enter_resync(fr, buf[pos - 1] == '\n');
		need = 0;
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

static void memcap_hit(const struct fctx *x)
{
	struct sip_framer *fr = x->fr;
	x->c->st.memcap_hits++;
	fanom(x, ANOM_SIP_STREAM_BUFFER_MEMCAP);
	fr->len = 0;
	fr->scanned = fr->need = 0;
	/* What follows may well start a message (a gap often ends on a
	 * segment that does): its first line is tried too, and only taken
	 * if it is a SIP start line. */
	enter_resync(fr, 1);
}

void sip_frame_data(struct sip_framer_ctx *c, struct flow *f, int dir, const uint8_t *data,
		    uint32_t len, sip_frame_msg_cb msg_cb, sip_frame_anom_cb anom_cb, void *ud)
{
	struct sip_framer *fr;
	struct fctx x = {c, NULL, f, dir, msg_cb, anom_cb, ud};
	if (!c || !f || dir < 0 || dir > 1)
		return;
	fr = f->framer[dir];
	if (!fr) {
		fr = calloc(1, sizeof(*fr));
		if (!fr) {
			c->st.memcap_hits++;
			if (anom_cb)
				anom_cb(ud, f, dir, ANOM_SIP_STREAM_BUFFER_MEMCAP);
			return;
		}
		fr->at_bol = 1;
		f->framer[dir] = fr;
	}
	x.fr = fr;
	while (len > 0) {
		if (fr->len == 0) {
			/* Zero-copy: frame straight from the segment. */
			uint32_t used = frame(&x, (const char *)data, len, 0, UINT32_MAX);
			data += used;
			len -= used;
			if (len == 0)
				return;
			if (ensure_cap(c, fr, len) != 0) {
				memcap_hit(&x);
				return;
			}
			memcpy(fr->buf, data, len);
			fr->len = len;
			return;
		}
		/* Buffered message: append what it can still need - its exact
		 * length once known, else up to one max_msg. */
		uint32_t room = c->cfg.max_msg > fr->len ? c->cfg.max_msg - fr->len : 1;
		uint32_t take = fr->need > fr->len ? fr->need - fr->len : room;
		if (take > len)
			take = len;
		if (ensure_cap(c, fr, fr->len + take) != 0) {
			memcap_hit(&x);
			data += take;
			len -= take;
			continue;
		}
		uint32_t old = fr->len;
		memcpy(fr->buf + fr->len, data, take);
		fr->len += take;
		data += take;
		len -= take;
		uint32_t used = frame(&x, fr->buf, fr->len, 1, old);
		if (used >= old) {
			/* What was buffered is done; the appended bytes not used
			 * yet are still in the caller's segment: frame them there. */
			uint32_t back = fr->len - used;
			data -= back;
			len += back;
			fr->len = 0;
		} else if (used) {
			memmove(fr->buf, fr->buf + used, fr->len - used);
			fr->len -= used;
		}
		if (fr->len == 0 && fr->cap > FR_KEEP_CAP)
			buf_release(c, fr);
	}
}

void sip_frame_gap(struct sip_framer_ctx *c, struct flow *f, int dir)
{
	struct sip_framer *fr;
	if (!c || !f || dir < 0 || dir > 1)
		return;
	fr = f->framer[dir];
	if (!fr) {
		fr = calloc(1, sizeof(*fr));
		if (!fr)
			return;
		f->framer[dir] = fr;
	}
	fr->len = 0;
	fr->scanned = fr->need = 0;
	/* What follows may well start a message (a gap often ends on a
	 * segment that does): its first line is tried too, and only taken
	 * if it is a SIP start line. */
	enter_resync(fr, 1);
}
