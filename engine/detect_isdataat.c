/*
 * detect_isdataat.c - isdataat:[!]<n>[,relative][,rawbytes]
 *
 * Suricata's semantics, including its one-byte asymmetry: absolute
 * `isdataat:n` holds when n < buffer length (byte n exists); relative
 * `isdataat:n,relative` holds when cursor + n <= buffer length. `!`
 * negates. n is 0..65535 or a byte_extract variable of the same buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_payload.h"

#define PREV_ANY                                                                              \
	((1u << PM_CONTENT) | (1u << PM_PCRE) | (1u << PM_BYTE_TEST) | (1u << PM_BYTE_JUMP) |       \
	 (1u << PM_BYTE_EXTRACT) | (1u << PM_ISDATAAT))

static void isdataat_free(void *ctx)
{
	free(ctx);
}

static int setup_isdataat(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_field f[4];
	int nf, neg = 0;
	uint32_t skip = 0;
	struct isdataat_ctx *d;
	struct sm_list *l;

	if (len && val[0] == '!') {
		neg = 1;
		skip = 1;
		while (skip < len && (val[skip] == ' ' || val[skip] == '\t'))
			skip++;
	}
	nf = pm_split(val + skip, len - skip, f, 4);
	if (nf < 0)
		return rule_errf(e, skip, "isdataat takes at most <n>,relative,rawbytes");
	if (nf < 1 || f[0].len == 0)
		return rule_errf(e, skip, "isdataat needs a position: isdataat:[!]<n>[,relative]");
	d = calloc(1, sizeof(*d));
	if (!d)
		return rule_errf(e, 0, "out of memory");
	d->h.type = PM_ISDATAAT;
	d->h.seq = pm_seq_next();
	d->at.var = -1;
	if (neg)
		d->flags |= IF_NEGATED;
	for (int k = 1; k < nf; k++) {
		const char *s = val + skip + f[k].off;
		if (f[k].len == 8 && memcmp(s, "relative", 8) == 0) {
			d->flags |= IF_RELATIVE;
		} else if (f[k].len == 8 && memcmp(s, "rawbytes", 8) == 0) {
			/* no effect */
		} else {
			rule_errf(e, skip + f[k].off, "unknown isdataat option '%.*s'",
			          (int)SW_MIN(f[k].len, 40), s);
			goto fail;
		}
	}
	l = pm_target_list(r, (d->flags & IF_RELATIVE) != 0, PREV_ANY, e);
	if (!l)
		goto fail;
	if (pm_parse_val(l, l->n, val + skip + f[0].off, f[0].len, 0, 0, 65535, &d->at, e,
	                 skip + f[0].off) != 0)
		goto fail;
	if (d->flags & IF_RELATIVE)
		pm_mark_prev(l, l->n, PM_NEXT_RELATIVE);
	return pm_append(l, pm_kw_isdataat, neg ? SM_NEGATED : 0, d, e);
fail:
	free(d);
	return -1;
}

static const struct det_kw kw_isdataat = {
	.name = "isdataat",
	.flags = KW_PAYLOAD | KW_VALUE | KW_NEGATABLE,
	.setup = setup_isdataat,
	.free = isdataat_free,
	.help = "is there data at position n (absolute or after the last match): isdataat:[!]n[,relative]",
};

void detect_isdataat_register(void)
{
	pm_kw_isdataat = detect_kw_register(&kw_isdataat);
}
