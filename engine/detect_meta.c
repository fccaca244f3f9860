/*
 * detect_meta.c - keywords that describe a rule rather than test traffic:
 * msg, sid, rev, gid, classtype, priority, reference, metadata, target,
 * noalert. Suricata's syntax and limits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "rule_parse.h"

static int parse_u32(const char *val, uint32_t len, uint32_t min, uint32_t max, uint32_t *out,
                     struct rule_err *e)
{
	uint64_t v;
	if (sw_str_to_u64(sw_str_make(val, len), max, &v) != 0 || v < min)
		return rule_errf(e, 0, "expected a number from %u to %u, found '%.*s'", min, max,
		                 (int)SW_MIN(len, 32), val);
	*out = (uint32_t)v;
	return 0;
}

static int setup_msg(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	char *s;
	if (r->msg)
		return rule_errf(e, 0, "msg given twice");
	if (rule_unquote(val, len, &s, e) != 0)
		return -1;
	r->msg = s;
	return 0;
}

static int setup_sid(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	if (r->sid)
		return rule_errf(e, 0, "sid given twice");
	return parse_u32(val, len, 1, UINT32_MAX, &r->sid, e);
}

static int setup_rev(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return parse_u32(val, len, 0, UINT32_MAX, &r->rev, e);
}

static int setup_gid(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return parse_u32(val, len, 1, UINT32_MAX, &r->gid, e);
}

static int setup_priority(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return parse_u32(val, len, 1, 255, &r->priority, e);
}

static int setup_classtype(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	if (r->classtype)
		return rule_errf(e, 0, "classtype given twice");
	for (uint32_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)val[i]) && val[i] != '-' && val[i] != '_')
			return rule_errf(e, i, "invalid character in classtype name");
	r->classtype = strndup(val, len);
	return r->classtype ? 0 : rule_errf(e, 0, "out of memory");
}

/* reference: type,value */
static int setup_reference(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	const char *comma = memchr(val, ',', len);
	struct rule_ref *v;
	sw_str type, value;
	if (!comma)
		return rule_errf(e, 0, "expected 'type,value' (e.g. reference:cve,2006-0189)");
	type = sw_str_trim(sw_str_make(val, (size_t)(comma - val)));
	value = sw_str_trim(sw_str_make(comma + 1, len - (uint32_t)(comma - val) - 1));
	if (!type.len || !value.len)
		return rule_errf(e, 0, "reference type and value must not be empty");
	for (uint32_t i = 0; i < type.len; i++)
		if (!isalnum((unsigned char)type.p[i]) && type.p[i] != '_' && type.p[i] != '-')
			return rule_errf(e, (uint32_t)(type.p - val) + i,
			                 "invalid character in reference type");
	if (r->n_refs >= 64)
		return rule_errf(e, 0, "more than 64 references");
	v = realloc(r->refs, (r->n_refs + 1u) * sizeof(*v));
	if (!v)
		return rule_errf(e, 0, "out of memory");
	r->refs = v;
	v[r->n_refs].type = strndup(type.p, type.len);
	v[r->n_refs].value = strndup(value.p, value.len);
	if (!v[r->n_refs].type || !v[r->n_refs].value) {
		free(v[r->n_refs].type);
		free(v[r->n_refs].value);
		return rule_errf(e, 0, "out of memory");
	}
	r->n_refs++;
	return 0;
}

/* metadata: key value, key value, ... (Suricata keeps them as strings). */
static int setup_metadata(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	uint32_t i = 0;
	while (i <= len) {
		uint32_t s = i;
		sw_str item;
		char **v;
		while (i < len && val[i] != ',')
			i++;
		item = sw_str_trim(sw_str_make(val + s, i - s));
		if (item.len) {
			if (r->n_metadata >= 256)
				return rule_errf(e, s, "more than 256 metadata entries");
			v = realloc(r->metadata, (r->n_metadata + 1u) * sizeof(*v));
			if (!v)
				return rule_errf(e, s, "out of memory");
			r->metadata = v;
			v[r->n_metadata] = strndup(item.p, item.len);
			if (!v[r->n_metadata])
				return rule_errf(e, s, "out of memory");
			r->n_metadata++;
		}
		i++;
	}
	return 0;
}

static int setup_target(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	sw_str v = sw_str_make(val, len);
	if (!sw_str_eq(v, "src_ip") && !sw_str_eq(v, "dest_ip"))
		return rule_errf(e, 0, "target must be src_ip or dest_ip");
	return 0;
}

static int setup_noalert(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	r->noalert = 1;
	return 0;
}

static const struct det_kw kw_meta[] = {
	{ .name = "msg", .flags = KW_META | KW_VALUE, .setup = setup_msg,
	  .help = "text of the alert" },
	{ .name = "sid", .flags = KW_META | KW_VALUE, .setup = setup_sid,
	  .help = "signature id (required)" },
	{ .name = "rev", .flags = KW_META | KW_VALUE, .setup = setup_rev, .help = "revision" },
	{ .name = "gid", .flags = KW_META | KW_VALUE, .setup = setup_gid,
	  .help = "group id (default 1)" },
	{ .name = "classtype", .flags = KW_META | KW_VALUE, .setup = setup_classtype,
	  .help = "class from the classification file (category and priority)" },
	{ .name = "priority", .flags = KW_META | KW_VALUE, .setup = setup_priority,
	  .help = "1 (highest) to 255; overrides the classtype's" },
	{ .name = "reference", .flags = KW_META | KW_VALUE, .setup = setup_reference,
	  .help = "type,value (cve,url,bugtraq...)" },
	{ .name = "metadata", .flags = KW_META | KW_VALUE, .setup = setup_metadata,
	  .help = "key value pairs, comma separated" },
	{ .name = "target", .flags = KW_META | KW_VALUE, .setup = setup_target,
	  .help = "src_ip or dest_ip: which side is the target" },
	{ .name = "noalert", .flags = KW_META | KW_NOVALUE, .setup = setup_noalert,
	  .help = "match without an alert (for flowbits/xbits setters)" },
};

void detect_meta_register(void)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(kw_meta); i++)
		detect_kw_register(&kw_meta[i]);
}
