/*
 * detect_kw.c - keyword and buffer registries, and the small helpers that
 * keyword setup functions share (errors, payload lists, sigmatch lists).
 *
 * Both registries are filled once at start-up (detect_kw_setup()) and
 * read-only afterwards, so worker threads read them without locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define KW_MAX 256
#define BUF_MAX 128
#define SM_LIST_MAX 4096 /* sigmatches per list: a rule bigger than that is hostile */

static const struct det_kw *kw_tab[KW_MAX];
static unsigned kw_n;

struct buf_ent {
	const char *name;
	det_buf_get_fn get;
	unsigned flags;
};
/* Id 0 is always the packet payload. */
static struct buf_ent buf_tab[BUF_MAX] = { { "pkt_data", NULL, DBUF_F_PACKET | DBUF_F_SIP | DBUF_F_RTP } };
static unsigned buf_n = 1;

int detect_kw_register(const struct det_kw *kw)
{
	if (!kw || !kw->name || kw_n >= KW_MAX || detect_kw_find(kw->name, strlen(kw->name)) >= 0)
		return -1;
	kw_tab[kw_n] = kw;
	return (int)kw_n++;
}

const struct det_kw *detect_kw_get(unsigned id)
{
	return id < kw_n ? kw_tab[id] : NULL;
}

int detect_kw_find(const char *name, size_t len)
{
	for (unsigned i = 0; i < kw_n; i++)
		if (strlen(kw_tab[i]->name) == len && memcmp(kw_tab[i]->name, name, len) == 0)
			return (int)i;
	return -1;
}

unsigned detect_kw_count(void)
{
	return kw_n;
}

int detect_buf_register(const char *name, det_buf_get_fn get, unsigned flags)
{
	if (!name || buf_n >= BUF_MAX || detect_buf_find(name, strlen(name)) >= 0)
		return -1;
	buf_tab[buf_n].name = name;
	buf_tab[buf_n].get = get;
	buf_tab[buf_n].flags = flags;
	return (int)buf_n++;
}

int detect_buf_find(const char *name, size_t len)
{
	for (unsigned i = 0; i < buf_n; i++)
		if (strlen(buf_tab[i].name) == len && memcmp(buf_tab[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const char *detect_buf_name(unsigned id)
{
	return id < buf_n ? buf_tab[id].name : NULL;
}

unsigned detect_buf_flags(unsigned id)
{
	return id < buf_n ? buf_tab[id].flags : 0;
}

det_buf_get_fn detect_buf_getter(unsigned id)
{
	return id < buf_n ? buf_tab[id].get : NULL;
}

int rule_errf(struct rule_err *e, uint32_t off, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	e->off = off;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Index of buffer buf_id in r->bufs, adding it if needed; -1 when full. */
static int rule_buf_index(struct rule *r, unsigned buf_id)
{
	for (unsigned i = 0; i < r->n_bufs; i++)
		if (r->bufs[i].buf_id == buf_id)
			return (int)i;
	if (r->n_bufs >= RULE_MAX_BUFS)
		return -1;
	memset(&r->bufs[r->n_bufs], 0, sizeof(r->bufs[0]));
	r->bufs[r->n_bufs].buf_id = (uint16_t)buf_id;
	return r->n_bufs++;
}

int rule_select_buffer(struct rule *r, unsigned buf_id, struct rule_err *e)
{
	int i;
	if (buf_id >= buf_n)
		return rule_errf(e, 0, "unknown buffer id %u", buf_id);
	i = rule_buf_index(r, buf_id);
	if (i < 0)
		return rule_errf(e, 0, "a rule inspects at most %d buffers", RULE_MAX_BUFS);
	r->cur_buf = i;
	return 0;
}

struct rule_buf *rule_cur_buf(struct rule *r)
{
	return r->cur_buf >= 0 && r->cur_buf < r->n_bufs ? &r->bufs[r->cur_buf] : NULL;
}

struct sm_list *rule_buffer_list(struct rule *r, unsigned buf_id, struct rule_err *e)
{
	int i = buf_id < buf_n ? rule_buf_index(r, buf_id) : -1;
	if (i < 0) {
		rule_errf(e, 0, "a rule inspects at most %d buffers", RULE_MAX_BUFS);
		return NULL;
	}
	return &r->bufs[i].pm;
}

struct sm_list *rule_payload_list(struct rule *r, struct rule_err *e)
{
	struct rule_buf *b = rule_cur_buf(r);
	if (b)
		return &b->pm;
	return rule_buffer_list(r, DBUF_PKT, e);
}

int sm_list_append(struct sm_list *l, unsigned kw, unsigned flags, void *ctx, struct rule_err *e)
{
	if (l->n == l->cap) {
		unsigned ncap = l->cap ? l->cap * 2u : 4u;
		struct sigmatch *v;
		if (ncap > SM_LIST_MAX)
			return rule_errf(e, 0, "more than %d keywords in one list", SM_LIST_MAX);
		v = realloc(l->v, ncap * sizeof(*v));
		if (!v)
			return rule_errf(e, 0, "out of memory");
		l->v = v;
		l->cap = (uint16_t)ncap;
	}
	l->v[l->n].kw = (uint16_t)kw;
	l->v[l->n].flags = (uint16_t)flags;
	l->v[l->n].ctx = ctx;
	l->n++;
	return 0;
}

struct sigmatch *sm_list_last_of(struct sm_list *l, const int *kws, unsigned n)
{
	for (unsigned i = l->n; i-- > 0;)
		for (unsigned k = 0; k < n; k++)
			if (kws[k] >= 0 && l->v[i].kw == (unsigned)kws[k])
				return &l->v[i];
	return NULL;
}

void sm_list_free(struct sm_list *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->n; i++) {
		const struct det_kw *k = detect_kw_get(l->v[i].kw);
		if (k && k->free)
			k->free(l->v[i].ctx);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
