/*
 * detect_pcre.c - the pcre keyword: pcre:[!]"/regex/flags", compiled with
 * PCRE2 and its JIT, Suricata's flags:
 *
 *   i s m x       PCRE2 CASELESS, DOTALL, MULTILINE, EXTENDED
 *   A E G         ANCHORED, DOLLAR_ENDONLY, UNGREEDY
 *   R             relative to the end of the previous match (the subject
 *                 then starts there, as in Suricata: ^ anchors at it)
 *   O             no sipwire match limits (PCRE2's own defaults still apply)
 *   B             rawbytes: accepted, no effect
 *   U I P Q H D M C S Y V W Z K
 *                 an HTTP buffer: the pcre goes to that (inactive) buffer's
 *                 list, so the rule loads and never matches; one per pcre,
 *                 not after a sticky buffer.
 *
 * Suricata's capture extraction suffix (`, flow:name`, `pkt:`, `alert:`)
 * is accepted and ignored: sipwire keeps no flow/packet variables.
 *
 * Matching runs with the thread's match data and a match context carrying
 * Suricata's default limits (match 3500, depth 1500), so a hostile buffer
 * cannot make a rule run away; a limit hit counts as no match (also for a
 * negated pcre) and is counted in the thread scratch.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_payload.h"

/* Largest capture count of any compiled pcre: sizes the match data of
 * threads started afterwards. Only pair 0 is ever read, so threads started
 * before a reload that brought larger patterns stay correct (PCRE2 fills
 * what fits and returns 0). */
static uint32_t max_captures;

static const struct {
	char flag;
	const char *buf;
} http_flags[] = {
	{ 'U', "http.uri" },          { 'I', "http.uri.raw" },    { 'P', "http.client_body" },
	{ 'Q', "http.response_body" }, { 'H', "http.header" },    { 'D', "http.header.raw" },
	{ 'M', "http.method" },       { 'C', "http.cookie" },     { 'K', "http.cookie" },
	{ 'S', "http.stat_code" },    { 'Y', "http.stat_msg" },   { 'V', "http.user_agent" },
	{ 'W', "http.host" },         { 'Z', "http.host.raw" },
};

static const char *http_buffer(char f)
{
	for (unsigned i = 0; i < SW_ARRAY_SIZE(http_flags); i++)
		if (http_flags[i].flag == f)
			return http_flags[i].buf;
	return NULL;
}

static void pcre_free_ctx(void *ctx)
{
	struct pcre_ctx *p = ctx;
	if (!p)
		return;
	pcre2_code_free(p->re);
	free(p);
}

/* Where Suricata's capture-name suffix starts (the comma before the first
 * flow:/pkt:/alert:), or n if there is none. */
static uint32_t capture_cut(const char *s, uint32_t n)
{
	static const char *const pfx[] = { "flow:", "pkt:", "alert:" };
	uint32_t first = n;
	for (unsigned k = 0; k < SW_ARRAY_SIZE(pfx); k++) {
		size_t pl = strlen(pfx[k]);
		for (uint32_t i = 0; i + pl <= n; i++)
			if (memcmp(s + i, pfx[k], pl) == 0) {
				if (i < first)
					first = i;
				break;
			}
	}
	if (first == n)
		return n;
	while (first > 0 && s[first] != ',')
		first--;
	return first ? first : n;
}

static int setup_pcre(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	uint32_t i = 0, end, re_start, re_end, opts = 0, flags = 0;
	char http = 0;
	uint32_t http_at = 0;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re;
	struct pcre_ctx *p;
	struct sm_list *l;
	uint32_t caps = 0;

	if (i < len && val[i] == '!') {
		flags |= PF_NEGATED;
		i++;
		while (i < len && (val[i] == ' ' || val[i] == '\t'))
			i++;
	}
	if (i >= len || val[i] != '"')
		return rule_errf(e, i, "pcre value must be enclosed in double quotes: \"/regex/flags\"");
	if (len - i < 2 || val[len - 1] != '"')
		return rule_errf(e, len ? len - 1 : 0, "pcre value has no closing double quote");
	end = len - 1;
	i++;
	while (i < end && (val[i] == ' ' || val[i] == '\t'))
		i++;
	if (i >= end || val[i] != '/')
		return rule_errf(e, i, "pcre must start with '/': \"/regex/flags\"");
	re_start = i + 1;
	end = i + capture_cut(val + i, end - i);
	while (end > re_start && (val[end - 1] == ' ' || val[end - 1] == '\t'))
		end--;
	/* the closing '/' is the last one not escaped */
	for (re_end = end; re_end > re_start; re_end--)
		if (val[re_end - 1] == '/' && val[re_end - 2] != '\\')
			break;
	if (re_end == re_start)
		return rule_errf(e, i, "pcre has no closing '/': \"/regex/flags\"");
	re_end--; /* at the closing '/' */

	for (uint32_t k = re_end + 1; k < end; k++) {
		char f = val[k];
		switch (f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': flags |= PF_RELATIVE; break;
		case 'O': flags |= PF_NOLIMIT; break;
		case 'B': flags |= PF_RAWBYTES; break;
		default:
			if (!http_buffer(f))
				return rule_errf(e, k, "unknown pcre modifier '%c'", f);
			if (http && http != f)
				return rule_errf(e, k, "pcre has two buffer modifiers ('%c' and '%c')", http, f);
			http = f;
			http_at = k;
		}
	}

	if (http) {
		const char *name = http_buffer(http);
		int id;
		if (r->cur_buf >= 0)
			return rule_errf(e, http_at, "pcre buffer modifier '%c' can't follow a sticky buffer",
			                 http);
		id = detect_buf_find(name, strlen(name));
		if (id < 0)
			return rule_errf(e, http_at, "pcre modifier '%c': buffer %s is not registered", http,
			                 name);
		l = rule_buffer_list(r, (unsigned)id, e);
	} else {
		l = pm_target_list(r, (flags & PF_RELATIVE) != 0, (1u << PM_CONTENT) | (1u << PM_PCRE), e);
	}
	if (!l)
		return -1;

	re = pcre2_compile((PCRE2_SPTR)(val + re_start), re_end - re_start, opts, &errcode, &erroff,
	                   NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			strcpy((char *)msg, "compile error");
		return rule_errf(e, re_start + (uint32_t)SW_MIN(erroff, re_end - re_start),
		                 "pcre: %s", (const char *)msg);
	}
	/* without JIT (not built in, no executable memory) the interpreter runs */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &caps) == 0) {
		uint32_t cur = __atomic_load_n(&max_captures, __ATOMIC_RELAXED);
		while (caps > cur &&
		       !__atomic_compare_exchange_n(&max_captures, &cur, caps, 0, __ATOMIC_RELAXED,
		                                    __ATOMIC_RELAXED))
			;
	}

	p = calloc(1, sizeof(*p));
	if (!p) {
		pcre2_code_free(re);
		return rule_errf(e, 0, "out of memory");
	}
	p->h.type = PM_PCRE;
	p->h.seq = pm_seq_next();
	p->flags = flags;
	p->re = re;
	p->http = http;
	if (flags & PF_RELATIVE)
		pm_mark_prev(l, l->n, PM_NEXT_RELATIVE);
	return pm_append(l, pm_kw_pcre, (flags & PF_NEGATED) ? SM_NEGATED : 0, p, e);
}

int pcre_exec_at(struct det_thread *t, const struct pcre_ctx *p, const uint8_t *subj, uint32_t n,
                 uint32_t start, uint32_t *ms, uint32_t *me)
{
	struct pm_thread *pt = t ? t->payload : NULL;
	PCRE2_SIZE *ov;
	int rc;

	if (!pt || !pt->md)
		return -1;
	rc = pcre2_match(p->re, subj, n, start, 0, pt->md,
	                 (p->flags & PF_NOLIMIT) ? pt->mctx_nolimit : pt->mctx);
	if (rc >= 0) { /* 0: matched, ovector too small for all groups */
		ov = pcre2_get_ovector_pointer(pt->md);
		*me = (uint32_t)ov[1];
		*ms = ov[0] <= ov[1] ? (uint32_t)ov[0] : *me; /* \K can put start after end */
		return 1;
	}
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		pt->pcre_limit_hits++;
	return -1;
}

int pcre_thread_init(struct pm_thread *pt)
{
	uint32_t pairs = __atomic_load_n(&max_captures, __ATOMIC_RELAXED) + 1;
	pt->md = pcre2_match_data_create(pairs, NULL);
	pt->mctx = pcre2_match_context_create(NULL);
	pt->mctx_nolimit = pcre2_match_context_create(NULL);
	pt->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (!pt->md || !pt->mctx || !pt->mctx_nolimit)
		return -1;
	pcre2_set_match_limit(pt->mctx, PM_PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(pt->mctx, PM_PCRE_DEPTH_LIMIT);
	if (pt->jit) {
		pcre2_jit_stack_assign(pt->mctx, NULL, pt->jit);
		pcre2_jit_stack_assign(pt->mctx_nolimit, NULL, pt->jit);
	}
	return 0;
}

void pcre_thread_free(struct pm_thread *pt)
{
	pcre2_match_data_free(pt->md);
	pcre2_match_context_free(pt->mctx);
	pcre2_match_context_free(pt->mctx_nolimit);
	pcre2_jit_stack_free(pt->jit);
	pt->md = NULL;
	pt->mctx = pt->mctx_nolimit = NULL;
	pt->jit = NULL;
}

static const struct det_kw kw_pcre = {
	.name = "pcre",
	.flags = KW_PAYLOAD | KW_VALUE | KW_NEGATABLE,
	.setup = setup_pcre,
	.free = pcre_free_ctx,
	.help = "Perl-compatible regex on the current buffer: pcre:[!]\"/re/ismxAEGROB\";",
};

void detect_pcre_register(void)
{
	pm_kw_pcre = detect_kw_register(&kw_pcre);
}
