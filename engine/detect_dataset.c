/*
 * detect_dataset.c - `dataset`: is the current sticky buffer in a list
 * loaded from a file?
 *
 *   sip.user_agent; dataset:isset,scanners,type string,load scanner-user-agents.txt,
 *       format plain, match contains, nocase;
 *
 * Suricata's syntax (isset/isnotset, type string, load FILE; string files
 * hold one base64 value a line), plus sipwire's options for hand-written
 * lists in signatures/: `format plain` (one value a line, `#` comments,
 * blank lines skipped), `match exact|prefix|contains` (default exact, as
 * Suricata) and `nocase`. Relative file names are looked up in
 * detect.signatures-path. set/unset (sets that rules change at run time)
 * are not supported: an error says so.
 *
 * Address sets (`type ipv4`, `ipv6` or `ip`, files of one address a line,
 * as Suricata's) go with the `ip.src` / `ip.dst` sticky buffers and match
 * exactly.
 *
 * Lookup: exact values in a sorted array (binary search); prefixes by
 * trying each distinct prefix length as an exact value; `contains` with a
 * Hyperscan literal database, like the prefilter.
 */
#include <ctype.h>
#include <errno.h>
#include <hs/hs.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_engine.h"
#include "rule_parse.h"

#define DS_MAX_VALUES 1000000
#define DS_MAX_VALUE_LEN 1024

enum { DS_EXACT, DS_PREFIX, DS_CONTAINS };

struct ds_val {
	uint8_t *p;
	uint32_t len;
};

struct ds_ctx {
	uint8_t neg, match, nocase;
	uint8_t buf;            /* index in rule->bufs */
	struct ds_val *v;       /* sorted (memcmp order, lowercased when nocase) */
	uint32_t n;
	uint32_t *lens;         /* distinct lengths, for prefix matching */
	uint32_t n_lens;
	hs_database_t *db;      /* contains */
	hs_scratch_t *scratch;  /* contains: per ctx; rules are evaluated by one thread */
};

static int kw_id = -1;

static void ds_free(void *p)
{
	struct ds_ctx *c = p;
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n; i++)
		free(c->v[i].p);
	free(c->v);
	free(c->lens);
	hs_free_database(c->db);
	hs_free_scratch(c->scratch);
	free(c);
}

static int cmp_val(const void *a, const void *b)
{
	const struct ds_val *x = a, *y = b;
	int r = memcmp(x->p, y->p, SW_MIN(x->len, y->len));
	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int add_value(struct ds_ctx *c, const uint8_t *p, uint32_t len, uint32_t *cap)
{
	if (c->n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 64;
		struct ds_val *v = realloc(c->v, nc * sizeof(*v));
		if (!v)
			return -1;
		c->v = v;
		*cap = nc;
	}
	c->v[c->n].p = malloc(len ? len : 1);
	if (!c->v[c->n].p)
		return -1;
	for (uint32_t i = 0; i < len; i++)
		c->v[c->n].p[i] = c->nocase ? (uint8_t)tolower(p[i]) : p[i];
	c->v[c->n].len = len;
	c->n++;
	return 0;
}

enum { DT_STRING, DT_IPV4, DT_IPV6, DT_IP };

/* Loads path; *line gets the line of a bad value. 0, or -1 with why. */
static int load_file(struct ds_ctx *c, const char *path, int plain, int type, uint32_t *line,
                     char *why, size_t cap)
{
	FILE *f = fopen(path, "r");
	char buf[4 * DS_MAX_VALUE_LEN];
	uint32_t vcap = 0;
	*line = 0;
	if (!f) {
		snprintf(why, cap, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);
		(*line)++;
		if (n && buf[n - 1] != '\n' && !feof(f)) {
			snprintf(why, cap, "%s:%u: line longer than %zu bytes", path, *line, sizeof(buf));
			goto fail;
		}
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if (type != DT_STRING) {
			sw_str s = sw_str_trim(sw_str_make(buf, n));
			sw_addr a;
			if (!s.len || s.p[0] == '#')
				continue;
			if (sw_addr_parse(s, &a) != 0 || (type == DT_IPV4 && a.family != 4) ||
			    (type == DT_IPV6 && a.family != 6)) {
				snprintf(why, cap, "%s:%u: not an %s address", path, *line,
				         type == DT_IPV4 ? "IPv4" : type == DT_IPV6 ? "IPv6" : "IP");
				goto fail;
			}
			if (add_value(c, a.a, a.family == 4 ? 4 : 16, &vcap) != 0)
				goto oom;
		} else if (plain) {
			sw_str s = sw_str_trim(sw_str_make(buf, n));
			if (!s.len || s.p[0] == '#')
				continue;
			if (s.len > DS_MAX_VALUE_LEN) {
				snprintf(why, cap, "%s:%u: value longer than %d bytes", path, *line,
				         DS_MAX_VALUE_LEN);
				goto fail;
			}
			if (add_value(c, (const uint8_t *)s.p, s.len, &vcap) != 0)
				goto oom;
		} else {
			unsigned char out[3 * DS_MAX_VALUE_LEN];
			int k;
			if (!n)
				continue;
			if (n % 4 || n / 4 * 3 > sizeof(out) ||
			    (k = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)n)) < 0) {
				snprintf(why, cap, "%s:%u: not a base64 value (Suricata's string "
				                   "dataset format; use `format plain` for plain text)",
				         path, *line);
				goto fail;
			}
			/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
			if (n >= 1 && buf[n - 1] == '=')
				k--;
			if (n >= 2 && buf[n - 2] == '=')
				k--;
			if (add_value(c, out, (uint32_t)k, &vcap) != 0)
				goto oom;
		}
		if (c->n > DS_MAX_VALUES) {
			snprintf(why, cap, "%s: more than %d values", path, DS_MAX_VALUES);
			goto fail;
		}
	}
	fclose(f);
	return 0;
oom:
	snprintf(why, cap, "out of memory");
fail:
	fclose(f);
	return -1;
}

static int build_index(struct ds_ctx *c, char *why, size_t cap)
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cmp_val);
	if (c->match == DS_PREFIX) {
		c->lens = calloc(c->n ? c->n : 1, sizeof(*c->lens));
		if (!c->lens)
			return snprintf(why, cap, "out of memory"), -1;
		for (uint32_t i = 0; i < c->n; i++)
			c->lens[i] = c->v[i].len;
		if (c->n > 1)
			qsort(c->lens, c->n, sizeof(*c->lens), cmp_u32);
		for (uint32_t i = 0; i < c->n; i++)
			if (c->n_lens == 0 || c->lens[c->n_lens - 1] != c->lens[i])
				c->lens[c->n_lens++] = c->lens[i];
	} else if (c->match == DS_CONTAINS && c->n) {
		const char **ex = calloc(c->n, sizeof(*ex));
		unsigned *fl = calloc(c->n, sizeof(*fl)), *ids = calloc(c->n, sizeof(*ids));
		size_t *lens = calloc(c->n, sizeof(*lens));
		hs_compile_error_t *ce = NULL;
		int rc = -1;
		if (ex && fl && ids && lens) {
			for (uint32_t i = 0; i < c->n; i++) {
				ex[i] = (const char *)c->v[i].p;
				lens[i] = c->v[i].len;
				fl[i] = HS_FLAG_SINGLEMATCH | (c->nocase ? HS_FLAG_CASELESS : 0);
				ids[i] = i;
			}
			if (hs_compile_lit_multi(ex, fl, ids, lens, c->n, HS_MODE_BLOCK, NULL, &c->db,
			                         &ce) == HS_SUCCESS &&
			    hs_alloc_scratch(c->db, &c->scratch) == HS_SUCCESS)
				rc = 0;
			else
				snprintf(why, cap, "cannot compile the list: %s",
				         ce && ce->message ? ce->message : "hyperscan error");
			hs_free_compile_error(ce);
		} else {
			snprintf(why, cap, "out of memory");
		}
		free(ex);
		free(fl);
		free(ids);
		free(lens);
		return rc;
	}
	return 0;
}

static int setup_dataset(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	const struct rule_load_ctx *lc = rule_load_current();
	struct ds_ctx *c;
	char file[1024] = "", path[2048], why[2600];
	int plain = 0, have_type = 0, field = 0, type = DT_STRING;
	uint32_t i = 0, line;

	if (!rule_cur_buf(r))
		return rule_errf(e, 0, "dataset needs a sticky buffer before it (e.g. sip.user_agent;)");
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->buf = (uint8_t)r->cur_buf;
	while (i <= len) {
		uint32_t s = i;
		sw_str tok, k, v;
		const char *sp;
		while (i < len && val[i] != ',')
			i++;
		tok = sw_str_trim(sw_str_make(val + s, i - s));
		i++;
		field++;
		if (field == 1) {
			if (sw_str_eq(tok, "isset")) {
				c->neg = 0;
			} else if (sw_str_eq(tok, "isnotset")) {
				c->neg = 1;
			} else if (sw_str_eq(tok, "set") || sw_str_eq(tok, "unset")) {
				ds_free(c);
				return rule_errf(e, s, "dataset %.*s (changing a set at run time) is not "
				                       "supported; use isset/isnotset",
				                 (int)tok.len, tok.p);
			} else {
				ds_free(c);
				return rule_errf(e, s, "expected isset or isnotset");
			}
			continue;
		}
		if (field == 2) {
			if (!tok.len) {
				ds_free(c);
				return rule_errf(e, s, "missing dataset name");
			}
			continue;
		}
		if (!tok.len)
			continue;
		sp = memchr(tok.p, ' ', tok.len);
		k = sp ? sw_str_make(tok.p, (size_t)(sp - tok.p)) : tok;
		v = sp ? sw_str_trim(sw_str_make(sp, tok.len - k.len)) : (sw_str){ 0 };
		if (sw_str_eq(k, "type")) {
			if (sw_str_eq(v, "string"))
				type = DT_STRING;
			else if (sw_str_eq(v, "ipv4"))
				type = DT_IPV4;
			else if (sw_str_eq(v, "ipv6"))
				type = DT_IPV6;
			else if (sw_str_eq(v, "ip"))
				type = DT_IP;
			else {
				ds_free(c);
				return rule_errf(e, (uint32_t)(v.p - val),
				                 "dataset type '%.*s' not supported (string, ipv4, ipv6, ip)",
				                 (int)v.len, v.p);
			}
			have_type = 1;
		} else if (sw_str_eq(k, "load") || sw_str_eq(k, "state")) {
			if (!v.len || v.len >= sizeof(file)) {
				ds_free(c);
				return rule_errf(e, (uint32_t)(tok.p - val), "bad file name");
			}
			memcpy(file, v.p, v.len);
			file[v.len] = '\0';
		} else if (sw_str_eq(k, "format")) {
			if (sw_str_eq(v, "plain"))
				plain = 1;
			else if (!sw_str_eq(v, "base64")) {
				ds_free(c);
				return rule_errf(e, (uint32_t)(v.p - val), "format is plain or base64");
			}
		} else if (sw_str_eq(k, "match")) {
			if (sw_str_eq(v, "exact"))
				c->match = DS_EXACT;
			else if (sw_str_eq(v, "prefix"))
				c->match = DS_PREFIX;
			else if (sw_str_eq(v, "contains"))
				c->match = DS_CONTAINS;
			else {
				ds_free(c);
				return rule_errf(e, (uint32_t)(v.p - val),
				                 "match is exact, prefix or contains");
			}
		} else if (sw_str_eq(k, "nocase") && !v.len) {
			c->nocase = 1;
		} else if (sw_str_eq(k, "memcap") || sw_str_eq(k, "hashsize")) {
			/* Suricata tuning options: accepted, sizes are exact here. */
		} else {
			ds_free(c);
			return rule_errf(e, (uint32_t)(tok.p - val), "unknown dataset option '%.*s'",
			                 (int)SW_MIN(k.len, 32), k.p);
		}
	}
	if (!have_type || !file[0]) {
		ds_free(c);
		return rule_errf(e, 0, "dataset needs 'type ...' and 'load FILE'");
	}
	if (type != DT_STRING) {
		const char *bn = detect_buf_name(r->bufs[c->buf].buf_id);
		if (strcmp(bn, "ip.src") != 0 && strcmp(bn, "ip.dst") != 0) {
			ds_free(c);
			return rule_errf(e, 0, "an address dataset goes with ip.src or ip.dst");
		}
		if (c->match != DS_EXACT || c->nocase) {
			ds_free(c);
			return rule_errf(e, 0, "address datasets match exactly");
		}
	}
	if (file[0] == '/' || !lc || !lc->signatures_path || !lc->signatures_path[0])
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", lc->signatures_path, file);
	if (load_file(c, path, plain, type, &line, why, sizeof(why)) != 0 ||
	    build_index(c, why, sizeof(why)) != 0) {
		ds_free(c);
		return rule_errf(e, 0, "%s", why);
	}
	if (sm_list_append(&r->match, (unsigned)kw_id, 0, c, e) != 0) {
		ds_free(c);
		return -1;
	}
	r->bufs[c->buf].n_match++;
	return 0;
}

static int in_exact(const struct ds_ctx *c, const uint8_t *p, uint32_t len)
{
	uint32_t lo = 0, hi = c->n;
	struct ds_val key = { (uint8_t *)(uintptr_t)p, len };
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = cmp_val(&c->v[mid], &key);
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                  void *ud)
{
	*(int *)ud = 1;
	return 1; /* stop scanning: one hit is enough */
}

static int in_set(const struct ds_ctx *c, const uint8_t *p, uint32_t len)
{
	uint8_t low[DS_MAX_VALUE_LEN];
	if (c->match == DS_CONTAINS) {
		int hit = 0;
		if (!c->db)
			return 0;
		hs_scan(c->db, (const char *)p, len, 0, c->scratch, on_hit, &hit);
		return hit;
	}
	if (c->nocase) {
		uint32_t n = SW_MIN(len, (uint32_t)sizeof(low));
		for (uint32_t i = 0; i < n; i++)
			low[i] = (uint8_t)tolower(p[i]);
		if (len > sizeof(low) && c->match == DS_EXACT)
			return 0; /* longer than any value */
		p = low;
		len = n;
	}
	if (c->match == DS_EXACT)
		return in_exact(c, p, len);
	for (uint32_t k = 0; k < c->n_lens && c->lens[k] <= len; k++)
		if (in_exact(c, p, c->lens[k]))
			return 1;
	return 0;
}

static int match_dataset(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                         const struct sigmatch *sm)
{
	const struct ds_ctx *c = sm->ctx;
	int any = 0;
	for (uint32_t idx = 0; idx < 1024; idx++) {
		const uint8_t *p;
		uint32_t len;
		if (!detect_buffer_instance(m, &r->bufs[c->buf], idx, &p, &len, t))
			break;
		if (in_set(c, p, len)) {
			any = 1;
			break;
		}
	}
	return any != c->neg;
}

static const struct det_kw kw_dataset = {
	.name = "dataset",
	.flags = KW_MATCH | KW_VALUE,
	.setup = setup_dataset,
	.match = match_dataset,
	.free = ds_free,
	.help = "isset|isnotset,NAME,type string,load FILE[,format plain][,match "
	        "exact|prefix|contains][,nocase]",
};

void detect_dataset_register(void)
{
	kw_id = detect_kw_register(&kw_dataset);
}
