/*
 * detect_transform.c - buffer transforms (Suricata's strip_whitespace,
 * compress_whitespace, to_lowercase, to_uppercase) and the HTTP buffers
 * that public rule files name but sipwire does not inspect: rules using
 * them load, are counted as inactive, and never match.
 */
#include <ctype.h>
#include <string.h>

#include "detect.h"

static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static uint32_t x_strip_ws(const uint8_t *in, uint32_t len, uint8_t *out)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < len; i++)
		if (!is_ws(in[i]))
			out[n++] = in[i];
	return n;
}

static uint32_t x_compress_ws(const uint8_t *in, uint32_t len, uint8_t *out)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < len; i++) {
		if (is_ws(in[i])) {
			if (n && out[n - 1] == ' ' && i && is_ws(in[i - 1]))
				continue;
			out[n++] = ' ';
		} else {
			out[n++] = in[i];
		}
	}
	return n;
}

static uint32_t x_lower(const uint8_t *in, uint32_t len, uint8_t *out)
{
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)tolower(in[i]);
	return len;
}

static uint32_t x_upper(const uint8_t *in, uint32_t len, uint8_t *out)
{
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)toupper(in[i]);
	return len;
}

static int add_transform(struct rule *r, unsigned which, struct rule_err *e);

static int setup_strip(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return add_transform(r, 0, e);
}
static int setup_compress(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return add_transform(r, 1, e);
}
static int setup_lower(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return add_transform(r, 2, e);
}
static int setup_upper(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return add_transform(r, 3, e);
}

static const struct det_kw kw_xform[] = {
	{ .name = "strip_whitespace", .flags = KW_TRANSFORM | KW_NOVALUE, .setup = setup_strip,
	  .transform = x_strip_ws, .help = "transform: remove all whitespace" },
	{ .name = "compress_whitespace", .flags = KW_TRANSFORM | KW_NOVALUE,
	  .setup = setup_compress, .transform = x_compress_ws,
	  .help = "transform: each run of whitespace becomes one space" },
	{ .name = "to_lowercase", .flags = KW_TRANSFORM | KW_NOVALUE, .setup = setup_lower,
	  .transform = x_lower, .help = "transform: ASCII lower case" },
	{ .name = "to_uppercase", .flags = KW_TRANSFORM | KW_NOVALUE, .setup = setup_upper,
	  .transform = x_upper, .help = "transform: ASCII upper case" },
};
static int kw_xform_id[SW_ARRAY_SIZE(kw_xform)];

/* Transforms follow their sticky buffer directly, as in Suricata (without
 * a sticky buffer they apply to the packet payload). */
static int add_transform(struct rule *r, unsigned which, struct rule_err *e)
{
	struct rule_buf *b = rule_cur_buf(r);
	if (!b) {
		if (rule_select_buffer(r, DBUF_PKT, e) != 0)
			return -1;
		b = rule_cur_buf(r);
	}
	if (b->pm.n)
		return rule_errf(e, 0, "a transform must come right after its sticky buffer, "
		                       "before content/pcre");
	if (b->n_xform >= RULE_MAX_XFORM)
		return rule_errf(e, 0, "more than %d transforms on one buffer", RULE_MAX_XFORM);
	if (kw_xform_id[which] < 0)
		return rule_errf(e, 0, "transform not registered");
	b->xform[b->n_xform++] = (uint16_t)kw_xform_id[which];
	return 0;
}

static const char *const http_bufs[] = {
	"http.uri", "http.uri.raw", "http.header", "http.header.raw", "http.method",
	"http.cookie", "http.user_agent", "http.host", "http.host.raw", "http.request_body",
	"http.client_body", "http.stat_code", "http.stat_msg", "http.response_body",
	"http.server_body", "http.request_line", "http.response_line", "http.protocol",
	"http.accept", "http.referer", "http.content_type", "http.content_len", "http.start",
	"http.location", "http.server", "file.data", "file_data", "dns.query", "tls.sni",
	"tls.cert_subject", "tls.cert_issuer", "ja3.hash",
};
static struct det_kw http_kws[SW_ARRAY_SIZE(http_bufs)];

void detect_transform_register(void)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(kw_xform); i++)
		kw_xform_id[i] = detect_kw_register(&kw_xform[i]);
	for (size_t i = 0; i < SW_ARRAY_SIZE(http_bufs); i++) {
		detect_buf_register(http_bufs[i], NULL, DBUF_F_INACTIVE);
		http_kws[i].name = http_bufs[i];
		http_kws[i].flags = KW_BUFFER | KW_NOVALUE;
		http_kws[i].buffer = http_bufs[i];
		http_kws[i].help = "not inspected by sipwire: rules using it load but never match";
		detect_kw_register(&http_kws[i]);
	}
}
