/*
 * detect_bits.c - flowbits and xbits, Suricata's syntax and meaning.
 *
 *   flowbits: set|unset|toggle, NAME;     (when the rule matches)
 *   flowbits: isset|isnotset, NAME[|NAME...];   (condition; '|' = any of)
 *   flowbits: noalert;
 *   xbits: set|unset|toggle, NAME, track ip_src|ip_dst|ip_pair[, expire SECONDS];
 *   xbits: isset|isnotset, NAME, track ip_src|ip_dst|ip_pair;
 *   xbits: noalert;
 *
 * Flowbits live in the flow (up to 64 names per process); xbits in a bounded
 * table keyed by (name, address or address pair) with an expiry in packet
 * time (default: 3600 s when none is given). A full xbits table evicts its
 * oldest entry and counts it (the bit is then lost: fail-open).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_bits.h"
#include "flow.h"

#define BITS_MAX_NAMES 64
#define XBITS_DEFAULT_EXPIRE 3600

static char *names[BITS_MAX_NAMES];
static unsigned n_names;

static int name_id(const char *p, uint32_t len)
{
	for (unsigned i = 0; i < n_names; i++)
		if (strlen(names[i]) == len && memcmp(names[i], p, len) == 0)
			return (int)i;
	if (n_names == BITS_MAX_NAMES)
		return -1;
	names[n_names] = strndup(p, len);
	return names[n_names] ? (int)n_names++ : -1;
}

enum { OP_SET = 1, OP_UNSET, OP_TOGGLE, OP_ISSET, OP_ISNOTSET };
enum { TR_SRC = 1, TR_DST, TR_PAIR };

struct bits_ctx {
	uint8_t op, track;
	uint64_t mask;      /* flowbits: the names (OR for isset/isnotset) */
	uint8_t id;         /* xbits: the name */
	uint32_t expire;
};

static int kw_flowbits = -1, kw_xbits = -1;

/* ------------------------------------------------------------------ */
/* xbits table */

struct xent {
	uint64_t key;
	sw_time until;
	struct xent *hnext, *prev, *next;
};

struct xbits_table {
	pthread_mutex_t mu; /* shared by every worker's rules */
	struct xent **bucket;
	uint32_t mask, n, max;
	struct xent *head, *tail; /* head = most recently set */
	uint64_t evicted;
};

struct xbits_table *xbits_table_create(uint32_t max)
{
	struct xbits_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 64;
	if (!t)
		return NULL;
	while (nb < max && nb < (1u << 22))
		nb <<= 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	t->mask = nb - 1;
	t->max = max ? max : 1;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

static void x_unlink(struct xbits_table *t, struct xent *e)
{
	struct xent **pp = &t->bucket[sw_hash_mix(e->key) & t->mask];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	t->n--;
}

void xbits_table_free(struct xbits_table *t)
{
	if (!t)
		return;
	while (t->head) {
		struct xent *e = t->head;
		x_unlink(t, e);
		free(e);
	}
	free(t->bucket);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

uint64_t xbits_table_evicted(struct xbits_table *t)
{
	uint64_t n;
	pthread_mutex_lock(&t->mu);
	n = t->evicted;
	pthread_mutex_unlock(&t->mu);
	return n;
}

static struct xent *x_find(struct xbits_table *t, uint64_t key)
{
	struct xent *e;
	for (e = t->bucket[sw_hash_mix(key) & t->mask]; e; e = e->hnext)
		if (e->key == key)
			return e;
	return NULL;
}

static int x_isset(struct xbits_table *t, uint64_t key, sw_time now)
{
	struct xent *e = x_find(t, key);
	if (e && now >= e->until) {
		x_unlink(t, e);
		free(e);
		return 0;
	}
	return e != NULL;
}

static void x_set(struct xbits_table *t, uint64_t key, sw_time until)
{
	struct xent *e = x_find(t, key);
	if (e) {
		x_unlink(t, e);
	} else {
		if (t->n >= t->max) {
			struct xent *old = t->tail;
			x_unlink(t, old);
			free(old);
			t->evicted++;
		}
		if (!(e = calloc(1, sizeof(*e))))
			return;
		e->key = key;
	}
	e->until = until;
	e->hnext = t->bucket[sw_hash_mix(key) & t->mask];
	t->bucket[sw_hash_mix(key) & t->mask] = e;
	e->prev = NULL;
	e->next = t->head;
	if (t->head)
		t->head->prev = e;
	t->head = e;
	if (!t->tail)
		t->tail = e;
	t->n++;
}

static void x_unset(struct xbits_table *t, uint64_t key)
{
	struct xent *e = x_find(t, key);
	if (e) {
		x_unlink(t, e);
		free(e);
	}
}

static uint64_t x_key(const struct bits_ctx *c, const struct det_msg *m)
{
	/* A bit lives on a host (ip_src and ip_dst name which host of the
	 * packet, as in Suricata) or on a pair of hosts. */
	uint8_t scope = c->track == TR_PAIR ? 'p' : 'h';
	uint64_t h = sw_hash_bytes(0, &c->id, 1);
	h = sw_hash_bytes(h, &scope, 1);
	if (c->track == TR_SRC)
		return sw_hash_bytes(h, m->src, sizeof(*m->src));
	if (c->track == TR_DST)
		return sw_hash_bytes(h, m->dst, sizeof(*m->dst));
	/* Pair: unordered, as Suricata's ippair. */
	if (memcmp(m->src, m->dst, sizeof(*m->src)) < 0) {
		h = sw_hash_bytes(h, m->src, sizeof(*m->src));
		return sw_hash_bytes(h, m->dst, sizeof(*m->dst));
	}
	h = sw_hash_bytes(h, m->dst, sizeof(*m->dst));
	return sw_hash_bytes(h, m->src, sizeof(*m->src));
}

/* ------------------------------------------------------------------ */
/* Parsing */

static int parse_op(sw_str s, uint8_t *op)
{
	static const struct {
		const char *n;
		uint8_t op;
	} ops[] = { { "set", OP_SET },     { "unset", OP_UNSET },       { "toggle", OP_TOGGLE },
	            { "isset", OP_ISSET }, { "isnotset", OP_ISNOTSET } };
	for (size_t i = 0; i < SW_ARRAY_SIZE(ops); i++)
		if (sw_str_eq(s, ops[i].n)) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

static int valid_name(sw_str n)
{
	if (!n.len || n.len > 64)
		return 0;
	for (uint32_t i = 0; i < n.len; i++) {
		char ch = n.p[i];
		if (!(ch == '_' || ch == '.' || ch == '-' || (ch >= '0' && ch <= '9') ||
		      (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
			return 0;
	}
	return 1;
}

static int add(struct rule *r, struct bits_ctx *c, int kw, struct rule_err *e)
{
	struct sm_list *l = (c->op == OP_ISSET || c->op == OP_ISNOTSET) ? &r->match : &r->post;
	if (sm_list_append(l, (unsigned)kw, 0, c, e) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

static int setup_flowbits(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	const char *comma = memchr(val, ',', len);
	struct bits_ctx *c;
	sw_str op, list;
	uint32_t i;
	if (!comma) {
		if (sw_str_eq(sw_str_make(val, len), "noalert")) {
			r->noalert = 1;
			return 0;
		}
		return rule_errf(e, 0, "expected 'set|unset|toggle|isset|isnotset,NAME' or 'noalert'");
	}
	op = sw_str_trim(sw_str_make(val, (size_t)(comma - val)));
	list = sw_str_trim(sw_str_make(comma + 1, len - (uint32_t)(comma - val) - 1));
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	if (parse_op(op, &c->op) != 0) {
		free(c);
		return rule_errf(e, 0, "unknown flowbits command '%.*s'", (int)SW_MIN(op.len, 16),
		                 op.p);
	}
	for (i = 0; i < list.len;) {
		uint32_t s = i;
		sw_str n;
		int id;
		while (i < list.len && list.p[i] != '|' && list.p[i] != '&')
			i++;
		n = sw_str_trim(sw_str_make(list.p + s, i - s));
		if (i < list.len && (list.p[i] == '&' || c->op < OP_ISSET)) {
			free(c);
			return rule_errf(e, (uint32_t)(list.p + i - val),
			                 "only isset/isnotset take several names, joined by '|'");
		}
		if (!valid_name(n)) {
			free(c);
			return rule_errf(e, (uint32_t)(n.p - val), "invalid flowbit name");
		}
		if ((id = name_id(n.p, n.len)) < 0) {
			free(c);
			return rule_errf(e, (uint32_t)(n.p - val), "more than %d distinct bit names",
			                 BITS_MAX_NAMES);
		}
		c->mask |= 1ULL << id;
		i++;
	}
	if (!c->mask) {
		free(c);
		return rule_errf(e, 0, "missing flowbit name");
	}
	return add(r, c, kw_flowbits, e);
}

static int setup_xbits(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct bits_ctx *c;
	uint32_t i = 0;
	int field = 0, have_track = 0, have_expire = 0;
	if (sw_str_eq(sw_str_trim(sw_str_make(val, len)), "noalert")) {
		r->noalert = 1;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->expire = XBITS_DEFAULT_EXPIRE;
	while (i <= len) {
		uint32_t s = i;
		sw_str tok;
		while (i < len && val[i] != ',')
			i++;
		tok = sw_str_trim(sw_str_make(val + s, i - s));
		i++;
		field++;
		if (field == 1) {
			if (parse_op(tok, &c->op) != 0)
				goto bad_op;
		} else if (field == 2) {
			int id;
			if (!valid_name(tok)) {
				free(c);
				return rule_errf(e, s, "invalid xbit name");
			}
			if ((id = name_id(tok.p, tok.len)) < 0) {
				free(c);
				return rule_errf(e, s, "more than %d distinct bit names", BITS_MAX_NAMES);
			}
			c->id = (uint8_t)id;
		} else if (tok.len > 6 && memcmp(tok.p, "track ", 6) == 0) {
			sw_str v = sw_str_trim(sw_str_make(tok.p + 6, tok.len - 6));
			have_track = 1;
			if (sw_str_eq(v, "ip_src"))
				c->track = TR_SRC;
			else if (sw_str_eq(v, "ip_dst"))
				c->track = TR_DST;
			else if (sw_str_eq(v, "ip_pair"))
				c->track = TR_PAIR;
			else {
				free(c);
				return rule_errf(e, (uint32_t)(v.p - val),
				                 "track must be ip_src, ip_dst or ip_pair");
			}
		} else if (tok.len > 7 && memcmp(tok.p, "expire ", 7) == 0) {
			uint64_t n;
			sw_str v = sw_str_trim(sw_str_make(tok.p + 7, tok.len - 7));
			if (sw_str_to_u64(v, 86400 * 365, &n) != 0 || n == 0) {
				free(c);
				return rule_errf(e, (uint32_t)(v.p - val), "expire must be 1 to 31536000");
			}
			c->expire = (uint32_t)n;
			have_expire = 1;
		} else {
			free(c);
			return rule_errf(e, s, "unexpected xbits option '%.*s'", (int)SW_MIN(tok.len, 32),
			                 tok.p);
		}
	}
	if (field < 3 || !have_track) {
		free(c);
		return rule_errf(e, 0, "expected 'CMD, NAME, track ip_src|ip_dst|ip_pair[, expire N]'");
	}
	if (have_expire && c->op >= OP_ISSET) {
		free(c);
		return rule_errf(e, 0, "expire only goes with set/toggle");
	}
	return add(r, c, kw_xbits, e);
bad_op:
	free(c);
	return rule_errf(e, 0, "unknown xbits command");
}

/* ------------------------------------------------------------------ */
/* Run time */

static int match_flowbits(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                          const struct sigmatch *sm)
{
	const struct bits_ctx *c = sm->ctx;
	struct flow *f = (struct flow *)(uintptr_t)m->flow; /* the engine owns flows */
	if (!f)
		return c->op == OP_ISNOTSET;
	switch (c->op) {
	case OP_ISSET:
		return (f->flowbits & c->mask) != 0;
	case OP_ISNOTSET:
		return (f->flowbits & c->mask) != c->mask;
	case OP_SET:
		f->flowbits |= c->mask;
		return 1;
	case OP_UNSET:
		f->flowbits &= ~c->mask;
		return 1;
	default:
		f->flowbits ^= c->mask;
		return 1;
	}
}

static int match_xbits(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                       const struct sigmatch *sm)
{
	const struct bits_ctx *c = sm->ctx;
	struct xbits_table *x = t->xbits;
	uint64_t key;
	int rc = 1;
	if (!x)
		return c->op == OP_ISNOTSET;
	key = x_key(c, m);
	pthread_mutex_lock(&x->mu);
	switch (c->op) {
	case OP_ISSET:
		rc = x_isset(x, key, m->ts);
		break;
	case OP_ISNOTSET:
		rc = !x_isset(x, key, m->ts);
		break;
	case OP_SET:
		x_set(x, key, m->ts + (sw_time)c->expire * SW_USEC_PER_SEC);
		break;
	case OP_UNSET:
		x_unset(x, key);
		break;
	default:
		if (x_isset(x, key, m->ts))
			x_unset(x, key);
		else
			x_set(x, key, m->ts + (sw_time)c->expire * SW_USEC_PER_SEC);
		break;
	}
	pthread_mutex_unlock(&x->mu);
	return rc;
}

static const struct det_kw kw_fb = {
	.name = "flowbits",
	.flags = KW_VALUE,
	.setup = setup_flowbits,
	.match = match_flowbits,
	.free = free,
	.help = "set/unset/toggle/isset/isnotset,NAME or noalert: per-flow flags",
};

static const struct det_kw kw_xb = {
	.name = "xbits",
	.flags = KW_VALUE,
	.setup = setup_xbits,
	.match = match_xbits,
	.free = free,
	.help = "CMD,NAME,track ip_src|ip_dst|ip_pair[,expire S]: per-host flags with expiry",
};

void detect_bits_register(void)
{
	kw_flowbits = detect_kw_register(&kw_fb);
	kw_xbits = detect_kw_register(&kw_xb);
}
