/*
 * rule_parse.c - rule files to compiled rules (see rule_parse.h).
 *
 * The parser knows the rule grammar only: header tokens, then options
 * `name[:value];`. What an option means belongs to its keyword module,
 * found by name in the keyword registry (detect_kw.c); sticky buffer
 * keywords name the buffer they select. Values end at the first `;` not
 * escaped by a backslash, as in Suricata (quotes do not protect `;`).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classification.h"
#include "detect.h"
#include "rule_addr.h"
#include "rule_parse.h"

#define RULE_MAX_TEXT (64 * 1024) /* a logical rule line longer than this is refused */

static const struct rule_load_ctx *cur_ctx;

const struct rule_load_ctx *rule_load_current(void)
{
	return cur_ctx;
}

static const struct {
	const char *name;
	uint8_t action;
	uint8_t reject_to; /* REJECT_TO_* */
} actions[] = {
	{ "alert", RA_ALERT, 0 },
	{ "drop", RA_DROP, 0 },
	{ "reject", RA_REJECT, REJECT_TO_SRC },
	{ "rejectsrc", RA_REJECT, REJECT_TO_SRC },
	{ "rejectdst", RA_REJECT, REJECT_TO_DST },
	{ "rejectboth", RA_REJECT, REJECT_TO_SRC | REJECT_TO_DST },
	{ "pass", RA_PASS, 0 },
};

/* Protocols: inspected ones, then names Suricata knows that sipwire loads
 * but never inspects (so public rule files load unchanged). */
static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "ip", RP_IP },       { "pkthdr", RP_IP },   { "tcp", RP_TCP },     { "tcp-pkt", RP_TCP },
	{ "tcp-stream", RP_TCP }, { "udp", RP_UDP },  { "icmp", RP_ICMP },   { "icmpv4", RP_ICMP },
	{ "icmpv6", RP_ICMP }, { "sip", RP_SIP },     { "rtp", RP_RTP },
	{ "http", RP_INACTIVE }, { "http1", RP_INACTIVE }, { "http2", RP_INACTIVE },
	{ "tls", RP_INACTIVE }, { "ssl", RP_INACTIVE }, { "dns", RP_INACTIVE }, { "ftp", RP_INACTIVE },
	{ "ftp-data", RP_INACTIVE }, { "smtp", RP_INACTIVE }, { "ssh", RP_INACTIVE },
	{ "smb", RP_INACTIVE }, { "dcerpc", RP_INACTIVE }, { "nfs", RP_INACTIVE },
	{ "ntp", RP_INACTIVE }, { "dhcp", RP_INACTIVE }, { "snmp", RP_INACTIVE },
	{ "krb5", RP_INACTIVE }, { "ikev2", RP_INACTIVE }, { "ike", RP_INACTIVE },
	{ "tftp", RP_INACTIVE }, { "rdp", RP_INACTIVE }, { "rfb", RP_INACTIVE },
	{ "mqtt", RP_INACTIVE }, { "modbus", RP_INACTIVE }, { "dnp3", RP_INACTIVE },
	{ "enip", RP_INACTIVE }, { "imap", RP_INACTIVE }, { "pop3", RP_INACTIVE },
	{ "quic", RP_INACTIVE }, { "websocket", RP_INACTIVE }, { "ldap", RP_INACTIVE },
	{ "pgsql", RP_INACTIVE }, { "telnet", RP_INACTIVE }, { "bittorrent-dht", RP_INACTIVE },
};

int rule_unquote(const char *val, uint32_t len, char **out, struct rule_err *e)
{
	char *s;
	uint32_t i = 0, n = 0, end = len;
	*out = NULL;
	if (len >= 1 && val[0] == '"') {
		if (len < 2 || val[len - 1] != '"' || (len >= 3 && val[len - 2] == '\\' &&
		                                       (len < 4 || val[len - 3] != '\\')))
			return rule_errf(e, 0, "unterminated quoted string");
		i = 1;
		end = len - 1;
	}
	s = malloc(end - i + 1);
	if (!s)
		return rule_errf(e, 0, "out of memory");
	for (; i < end; i++) {
		char c = val[i];
		if (c == '\\') {
			if (i + 1 >= end) {
				free(s);
				return rule_errf(e, i, "backslash at the end of the value");
			}
			c = val[i + 1];
			if (c != '"' && c != ';' && c != '\\' && c != ':' && c != ',') {
				free(s);
				return rule_errf(e, i, "invalid escape '\\%c' (only \\\" \\; \\\\ are valid)",
				                 isprint((unsigned char)c) ? c : '?');
			}
			i++;
		} else if (c == '"' && val[0] == '"') {
			free(s);
			return rule_errf(e, i, "unescaped '\"' inside a quoted string");
		}
		s[n++] = c;
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	addr_set_free(&r->src);
	addr_set_free(&r->dst);
	port_set_free(&r->sport);
	port_set_free(&r->dport);
	free(r->msg);
	free(r->classtype);
	free(r->class_desc);
	for (unsigned i = 0; i < r->n_refs; i++) {
		free(r->refs[i].type);
		free(r->refs[i].value);
	}
	free(r->refs);
	for (unsigned i = 0; i < r->n_metadata; i++)
		free(r->metadata[i]);
	free(r->metadata);
	sm_list_free(&r->match);
	for (unsigned i = 0; i < r->n_bufs; i++)
		sm_list_free(&r->bufs[i].pm);
	sm_list_free(&r->post);
	free(r->text);
	free(r);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One header token: up to a blank outside brackets, or '(' at depth 0. */
static size_t header_token(const char *t, size_t i, size_t *start)
{
	int depth = 0;
	while (t[i] && is_blank(t[i]))
		i++;
	*start = i;
	while (t[i]) {
		if (t[i] == '[')
			depth++;
		else if (t[i] == ']' && depth > 0)
			depth--;
		else if (depth == 0 && (is_blank(t[i]) || t[i] == '('))
			break;
		i++;
	}
	return i;
}

static int tok_eq(const char *t, size_t a, size_t b, const char *lit)
{
	size_t n = strlen(lit);
	return b - a == n && strncasecmp(t + a, lit, n) == 0;
}

/* Applies one option. o/olen: name at text offset no, value (or NULL) at vo. */
static int apply_option(struct rule *r, const char *text, size_t no, size_t nlen, const char *val,
                        size_t vo, uint32_t vlen, struct rule_err *e)
{
	int id = detect_kw_find(text + no, nlen);
	const struct det_kw *kw;
	struct rule_err ke;

	if (id < 0)
		return rule_errf(e, (uint32_t)no, "unknown keyword '%.*s'", (int)SW_MIN(nlen, 64),
		                 text + no);
	kw = detect_kw_get((unsigned)id);
	if ((kw->flags & KW_NOVALUE) && val)
		return rule_errf(e, (uint32_t)vo, "'%s' takes no value", kw->name);
	if ((kw->flags & KW_VALUE) && !val)
		return rule_errf(e, (uint32_t)no, "'%s' needs a value ('%s:...;')", kw->name, kw->name);
	if (val && vlen == 0 && (kw->flags & KW_VALUE))
		return rule_errf(e, (uint32_t)vo, "'%s' has an empty value", kw->name);
	memset(&ke, 0, sizeof(ke));
	if (kw->buffer && !val) {
		int b = detect_buf_find(kw->buffer, strlen(kw->buffer));
		if (b < 0 || rule_select_buffer(r, (unsigned)b, &ke) != 0)
			return rule_errf(e, (uint32_t)no, "%s: %s", kw->name,
			                 b < 0 ? "buffer not registered" : ke.msg);
	}
	if (kw->setup && kw->setup(r, val, vlen, &ke) != 0) {
		size_t at = val ? vo + SW_MIN(ke.off, vlen) : no;
		return rule_errf(e, (uint32_t)at, "%s: %s", kw->name, ke.msg);
	}
	return 0;
}

/* Checks run once all options are in. */
static int finish_rule(struct rule *r, size_t close_off, struct rule_err *e)
{
	if (r->sid == 0)
		return rule_errf(e, (uint32_t)close_off, "rule has no sid (sid:N; with N > 0)");
	if (r->gid == 0)
		r->gid = 1;
	for (unsigned i = 0; i < r->n_bufs; i++) {
		if (r->bufs[i].pm.n == 0 && !r->bufs[i].n_match && r->bufs[i].buf_id != DBUF_PKT)
			return rule_errf(e, (uint32_t)close_off,
			                 "sticky buffer '%s' is followed by no content, pcre or other "
			                 "payload keyword",
			                 detect_buf_name(r->bufs[i].buf_id));
		if (detect_buf_flags(r->bufs[i].buf_id) & DBUF_F_INACTIVE)
			r->proto = RP_INACTIVE;
	}
	return 0;
}

struct rule *rule_parse(const char *text, const struct rule_load_ctx *c, struct rule_err *e)
{
	struct rule *r = NULL;
	size_t i = 0, s, t;

	memset(e, 0, sizeof(*e));
	while (text[i] && is_blank(text[i]))
		i++;
	if (!text[i] || text[i] == '#')
		return NULL;
	if (strlen(text) > RULE_MAX_TEXT) {
		rule_errf(e, 0, "rule longer than %d bytes", RULE_MAX_TEXT);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rule_errf(e, 0, "out of memory");
		return NULL;
	}
	r->cur_buf = -1;
	r->text = strdup(text + i);
	if (!r->text) {
		rule_errf(e, 0, "out of memory");
		goto fail;
	}
	/* Trim the stored text's trailing blanks. */
	for (size_t n = strlen(r->text); n > 0 && is_blank(r->text[n - 1]); n--)
		r->text[n - 1] = '\0';

	/* action */
	t = header_token(text, i, &s);
	for (size_t k = 0; k < SW_ARRAY_SIZE(actions); k++)
		if (tok_eq(text, s, t, actions[k].name)) {
			r->action = actions[k].action;
			r->reject_to = actions[k].reject_to;
		}
	if (!r->action) {
		rule_errf(e, (uint32_t)s, "unknown action '%.*s' (alert, drop, reject, pass)",
		          (int)SW_MIN(t - s, 32), text + s);
		goto fail;
	}
	/* protocol */
	t = header_token(text, t, &s);
	for (size_t k = 0; k < SW_ARRAY_SIZE(protos); k++)
		if (tok_eq(text, s, t, protos[k].name))
			r->proto = protos[k].proto;
	if (!r->proto) {
		rule_errf(e, (uint32_t)s, "unknown protocol '%.*s'", (int)SW_MIN(t - s, 32), text + s);
		goto fail;
	}
	/* src sport dir dst dport */
	{
		struct addr_set *as[2] = { &r->src, &r->dst };
		struct port_set *ps[2] = { &r->sport, &r->dport };
		for (int side = 0; side < 2; side++) {
			struct rule_err ae;
			memset(&ae, 0, sizeof(ae));
			t = header_token(text, t, &s);
			if (t == s) {
				rule_errf(e, (uint32_t)s, "missing %s address", side ? "destination" : "source");
				goto fail;
			}
			if (addr_set_parse(text + s, (uint32_t)(t - s), c->addr_vars, c->n_addr_vars,
			                   as[side], &ae) != 0) {
				rule_errf(e, (uint32_t)(s + ae.off), "%s address: %s",
				          side ? "destination" : "source", ae.msg);
				goto fail;
			}
			t = header_token(text, t, &s);
			if (t == s) {
				rule_errf(e, (uint32_t)s, "missing %s port", side ? "destination" : "source");
				goto fail;
			}
			if (port_set_parse(text + s, (uint32_t)(t - s), c->port_vars, c->n_port_vars,
			                   ps[side], &ae) != 0) {
				rule_errf(e, (uint32_t)(s + ae.off), "%s port: %s",
				          side ? "destination" : "source", ae.msg);
				goto fail;
			}
			if (side == 0) {
				t = header_token(text, t, &s);
				if (tok_eq(text, s, t, "<>")) {
					r->bidir = 1;
				} else if (!tok_eq(text, s, t, "->")) {
					rule_errf(e, (uint32_t)s, "expected '->' or '<>', found '%.*s'",
					          (int)SW_MIN(t - s, 16), text + s);
					goto fail;
				}
			}
		}
	}
	/* options */
	i = t;
	while (text[i] && is_blank(text[i]))
		i++;
	if (text[i] != '(') {
		rule_errf(e, (uint32_t)i, "expected '(' to open the rule options");
		goto fail;
	}
	i++;
	for (;;) {
		size_t no, ne, vo = 0, ve = 0;
		const char *val = NULL;
		while (text[i] && is_blank(text[i]))
			i++;
		if (text[i] == ')') {
			size_t close = i++;
			while (text[i] && is_blank(text[i]))
				i++;
			if (text[i]) {
				rule_errf(e, (uint32_t)i, "text after the closing ')'");
				goto fail;
			}
			if (finish_rule(r, close, e) != 0)
				goto fail;
			break;
		}
		if (!text[i]) {
			rule_errf(e, (uint32_t)i, "rule options not closed by ')'");
			goto fail;
		}
		no = i;
		while (text[i] && (isalnum((unsigned char)text[i]) || text[i] == '_' ||
		                   text[i] == '.' || text[i] == '-'))
			i++;
		ne = i;
		if (ne == no) {
			rule_errf(e, (uint32_t)i, "expected a keyword, found '%c'",
			          isprint((unsigned char)text[i]) ? text[i] : '?');
			goto fail;
		}
		while (text[i] && is_blank(text[i]))
			i++;
		if (text[i] == ':') {
			i++;
			while (text[i] && is_blank(text[i]))
				i++;
			vo = i;
			while (text[i] && text[i] != ';') {
				if (text[i] == '\\' && text[i + 1])
					i++;
				i++;
			}
			if (!text[i]) {
				rule_errf(e, (uint32_t)vo, "value of '%.*s' not terminated by ';'",
				          (int)SW_MIN(ne - no, 64), text + no);
				goto fail;
			}
			ve = i;
			while (ve > vo && is_blank(text[ve - 1]))
				ve--;
			val = text + vo;
		} else if (text[i] != ';') {
			rule_errf(e, (uint32_t)i, "expected ':' or ';' after '%.*s'",
			          (int)SW_MIN(ne - no, 64), text + no);
			goto fail;
		}
		i++; /* past ';' */
		if (apply_option(r, text, no, ne - no, val, vo, (uint32_t)(ve - vo), e) != 0)
			goto fail;
	}
	return r;
fail:
	rule_free(r);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Files. */

/* Maps offsets of a joined logical line back to physical lines. */
struct seg {
	size_t off;    /* offset in the joined text where this physical line starts */
	uint32_t line; /* 1-based */
};

static void locate(const struct seg *sg, unsigned nseg, size_t off, uint32_t *line, uint32_t *col)
{
	unsigned k = 0;
	while (k + 1 < nseg && sg[k + 1].off <= off)
		k++;
	*line = sg[k].line;
	*col = (uint32_t)(off - sg[k].off) + 1;
}

static int rs_push(struct rule_set *rs, struct rule *r)
{
	if (rs->n == rs->cap) {
		uint32_t ncap = rs->cap ? rs->cap * 2 : 64;
		struct rule **v = realloc(rs->v, ncap * sizeof(*v));
		if (!v)
			return -1;
		rs->v = v;
		rs->cap = ncap;
	}
	r->index = rs->n;
	rs->v[rs->n++] = r;
	return 0;
}

static char *rs_file(struct rule_set *rs, const char *name)
{
	char **v = realloc(rs->files, (rs->n_files + 1) * sizeof(*v));
	if (!v)
		return NULL;
	rs->files = v;
	v[rs->n_files] = strdup(name);
	return v[rs->n_files] ? v[rs->n_files++] : NULL;
}

static void report(const struct rule_load_ctx *c, const char *file, uint32_t line, uint32_t col,
                   const char *msg)
{
	if (c->errs)
		fprintf(c->errs, "%s:%u:%u: error: %s\n", file, line, col, msg);
}

/* Resolves the classtype name into description and priority. */
static int resolve_class(struct rule *r, const struct rule_load_ctx *c, char *why, size_t cap)
{
	const char *desc;
	unsigned prio;
	if (!r->classtype)
		return 0;
	if (!c->classes || class_lookup(c->classes, r->classtype, &desc, &prio) != 0) {
		snprintf(why, cap, "classtype '%s' is not in the classification file", r->classtype);
		return -1;
	}
	r->class_desc = strdup(desc);
	if (!r->class_desc) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	if (!r->priority)
		r->priority = prio;
	return 0;
}

static int find_dup(const struct rule_set *rs, const struct rule *r)
{
	/* Linear scan is fine at load time up to tens of thousands of rules;
	 * a hash would only matter beyond. */
	for (uint32_t k = rs->n; k-- > 0;)
		if (rs->v[k]->sid == r->sid && rs->v[k]->gid == r->gid)
			return (int)k;
	return -1;
}

int rule_set_load_string(struct rule_set *rs, const char *name, const char *text,
                         const struct rule_load_ctx *c)
{
	char *file = rs_file(rs, name);
	char *buf = NULL;
	size_t cap = 0, len = 0;
	struct seg *sg = NULL;
	unsigned nseg = 0, segcap = 0;
	uint32_t lineno = 0;
	int errors = 0;
	const char *p = text;

	if (!file)
		return -1;
	cur_ctx = c;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		int cont;
		lineno++;
		if (ll && p[ll - 1] == '\r')
			ll--;
		/* Continuation: a backslash ending the line joins the next one. */
		cont = ll > 0 && p[ll - 1] == '\\';
		if (len + ll + 2 > cap) {
			size_t ncap = (len + ll + 2) * 2;
			char *nb = realloc(buf, ncap);
			if (!nb)
				goto oom;
			buf = nb;
			cap = ncap;
		}
		if (nseg == segcap) {
			unsigned nsc = segcap ? segcap * 2 : 8;
			struct seg *ns = realloc(sg, nsc * sizeof(*ns));
			if (!ns)
				goto oom;
			sg = ns;
			segcap = nsc;
		}
		sg[nseg].off = len;
		sg[nseg].line = lineno;
		nseg++;
		memcpy(buf + len, p, cont ? ll - 1 : ll);
		len += cont ? ll - 1 : ll;
		buf[len] = '\0';
		p = nl ? nl + 1 : p + strlen(p);
		if (cont && *p)
			continue;
		/* A complete logical line. */
		{
			struct rule_err e;
			struct rule *r = rule_parse(buf, c, &e);
			char why[RULE_ERR_MAX + 64];
			uint32_t l, col;
			if (!r && e.msg[0]) {
				locate(sg, nseg, e.off, &l, &col);
				report(c, file, l, col, e.msg);
				errors++;
			} else if (r) {
				int dup;
				r->file = file;
				r->line = sg[0].line;
				if (resolve_class(r, c, why, sizeof(why)) != 0) {
					const char *ct = strstr(buf, "classtype");
					locate(sg, nseg, ct ? (size_t)(ct - buf) : 0, &l, &col);
					report(c, file, l, col, why);
					rule_free(r);
					errors++;
				} else if ((dup = find_dup(rs, r)) >= 0) {
					snprintf(why, sizeof(why), "duplicate signature %u:%u (first at %s:%u)",
					         r->gid, r->sid, rs->v[dup]->file, rs->v[dup]->line);
					locate(sg, nseg, 0, &l, &col);
					report(c, file, l, col, why);
					rule_free(r);
					errors++;
				} else if (c->max_rules && rs->n >= c->max_rules) {
					rs->n_skipped_cap++;
					if (rs->n_skipped_cap == 1) {
						snprintf(why, sizeof(why),
						         "more than %u rules (detect.max-rules): this and later "
						         "rules are not loaded",
						         c->max_rules);
						locate(sg, nseg, 0, &l, &col);
						report(c, file, l, col, why);
					}
					rule_free(r);
					errors++;
				} else if (rs_push(rs, r) != 0) {
					rule_free(r);
					goto oom;
				} else if (r->proto == RP_INACTIVE) {
					rs->n_inactive++;
				}
			}
		}
		len = 0;
		nseg = 0;
	}
	free(buf);
	free(sg);
	cur_ctx = NULL;
	rs->n_errors += (uint32_t)errors;
	return errors;
oom:
	free(buf);
	free(sg);
	cur_ctx = NULL;
	report(c, file, lineno, 1, "out of memory");
	rs->n_errors += (uint32_t)errors + 1;
	return errors + 1;
}

int rule_set_load_file(struct rule_set *rs, const char *path, const struct rule_load_ctx *c)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long sz;
	int rc;
	if (!f) {
		if (c->errs)
			fprintf(c->errs, "%s: error: cannot open rule file: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(text = malloc((size_t)sz + 1))) {
		if (c->errs)
			fprintf(c->errs, "%s: error: cannot read rule file\n", path);
		fclose(f);
		return -1;
	}
	if (fread(text, 1, (size_t)sz, f) != (size_t)sz) {
		if (c->errs)
			fprintf(c->errs, "%s: error: cannot read rule file: %s\n", path, strerror(errno));
		free(text);
		fclose(f);
		return -1;
	}
	fclose(f);
	text[sz] = '\0';
	if (memchr(text, '\0', (size_t)sz)) {
		if (c->errs)
			fprintf(c->errs, "%s: error: NUL byte in rule file\n", path);
		free(text);
		return -1;
	}
	rc = rule_set_load_string(rs, path, text, c);
	free(text);
	return rc;
}

void rule_set_free(struct rule_set *rs)
{
	if (!rs)
		return;
	for (uint32_t i = 0; i < rs->n; i++)
		rule_free(rs->v[i]);
	free(rs->v);
	for (uint32_t i = 0; i < rs->n_files; i++)
		free(rs->files[i]);
	free(rs->files);
	memset(rs, 0, sizeof(*rs));
}
