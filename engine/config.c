/*
 * config.c - the key table and everything driven by it: defaults, YAML
 * loading with precise error positions, --set, and --dump-config.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "eve.h"

enum cfg_type { CT_U32, CT_U64SIZE, CT_DURATION, CT_BOOL, CT_STR, CT_LIST, CT_VARS };

struct cfg_key {
	const char *path;   /* dotted, kebab-case */
	enum cfg_type type;
	size_t off;         /* offset in struct sw_config */
	size_t off2;        /* CT_LIST / CT_VARS: offset of the count */
	uint64_t min, max;
	const char *def;    /* default, as it would be written in YAML */
	const char *help;
};

#define OFF(f) offsetof(struct sw_config, f)
#define U32MAX 4294967295ULL

/* Grouped by section, in the order --dump-config writes them. */
static const struct cfg_key keys[] = {
	{ "flow.max-flows", CT_U32, OFF(flow.max_flows), 0, 1, 16777216, "65536",
	  "flows tracked at once; the least recently used is evicted when full" },
	{ "flow.hash-size", CT_U32, OFF(flow.hash_size), 0, 0, 67108864, "0",
	  "hash buckets (0 = as many as max-flows, rounded up to a power of two)" },
	{ "flow.timeouts.udp", CT_DURATION, OFF(flow.timeouts.udp), 0, 1, 86400, "120",
	  "idle UDP flow lifetime (seconds of packet time)" },
	{ "flow.timeouts.tcp", CT_DURATION, OFF(flow.timeouts.tcp), 0, 1, 604800, "3600",
	  "idle established TCP flow lifetime" },
	{ "flow.timeouts.tcp-closed", CT_DURATION, OFF(flow.timeouts.tcp_closed), 0, 1, 86400, "30",
	  "TCP flow lifetime after FIN or RST" },
	{ "flow.timeouts.other", CT_DURATION, OFF(flow.timeouts.other), 0, 1, 86400, "60",
	  "idle lifetime of other IP flows (ICMP, ...)" },
	{ "decoder.checksum-validation", CT_STR, OFF(decoder.checksum_validation), 0, 0, 0, "auto",
	  "yes: flag bad IP/TCP/UDP/ICMP checksums; no: never; auto: as yes, but stop after 1000 "
	  "checksummed packets if over 10% were bad (captures taken with checksum offload)" },
	{ "defrag.max-trackers", CT_U32, OFF(defrag.max_trackers), 0, 1, 1048576, "4096",
	  "IP datagrams being reassembled at once" },
	{ "defrag.memcap", CT_U64SIZE, OFF(defrag.memcap), 0, 65536, 1ULL << 32, "16mb",
	  "bytes of fragments held at once (oldest datagram evicted beyond)" },
	{ "defrag.timeout", CT_DURATION, OFF(defrag.timeout), 0, 1, 3600, "60",
	  "seconds an incomplete datagram is kept" },
	{ "defrag.max-frags", CT_U32, OFF(defrag.max_frags), 0, 2, 8192, "64",
	  "fragments per datagram" },
	{ "stream.memcap", CT_U64SIZE, OFF(stream.memcap), 0, 65536, 1ULL << 36, "64mb",
	  "bytes of out-of-order TCP data held across all flows" },
	{ "stream.max-ooo-bytes", CT_U64SIZE, OFF(stream.max_ooo_bytes), 0, 1024, 1ULL << 30, "64kb",
	  "out-of-order bytes held per flow direction before skipping a gap" },
	{ "stream.max-ooo-segments", CT_U32, OFF(stream.max_ooo_segments), 0, 1, 65536, "64",
	  "out-of-order segments held per flow direction" },
	{ "sip.max-message-size", CT_U32, OFF(sip.max_message_size), 0, 512, 1048576, "65535",
	  "largest SIP message (headers + body) accepted on a stream" },
	{ "sip.max-headers", CT_U32, OFF(sip.max_headers), 0, 16, 4096, "128",
	  "headers per message; more is an anomaly and the message is not tracked" },
	{ "sip.max-buffered-per-flow", CT_U64SIZE, OFF(sip.max_buffered_per_flow), 0, 1024, 1ULL << 30,
	  "128kb", "bytes of incomplete SIP messages buffered per TCP flow direction" },
	{ "sip.transaction-timeout", CT_DURATION, OFF(sip.transaction_timeout), 0, 1, 3600, "32",
	  "seconds a request waits for its final response (64*T1)" },
	{ "sip.max-transactions", CT_U32, OFF(sip.max_transactions), 0, 1, 16777216, "65536",
	  "open SIP transactions tracked at once" },
	{ "sip.max-dialogs", CT_U32, OFF(sip.max_dialogs), 0, 1, 16777216, "65536",
	  "SIP dialogs tracked at once" },
	{ "sip.max-registrations", CT_U32, OFF(sip.max_registrations), 0, 1, 16777216, "65536",
	  "registered AORs tracked at once" },
	{ "sip.max-media", CT_U32, OFF(sip.max_media), 0, 1, 33554432, "131072",
	  "media expectations (RTP/RTCP endpoints announced in SDP) tracked at once" },
	{ "sip.shards", CT_U32, OFF(sip.shards), 0, 0, 256, "0",
	  "call-state shards, each with its own lock, that queues' workers use side by side (calls "
	  "split by Call-ID; 0: one with one queue, else 4 per queue)" },
	{ "sip.dialog-early-timeout", CT_DURATION, OFF(sip.dialog_early_timeout), 0, 1, 86400, "180",
	  "seconds an unanswered (early) dialog is kept" },
	{ "sip.dialog-idle-timeout", CT_DURATION, OFF(sip.dialog_idle_timeout), 0, 1, 604800, "7200",
	  "seconds a confirmed dialog is kept without signalling or media" },
	{ "sip.dialog-linger", CT_DURATION, OFF(sip.dialog_linger), 0, 0, 3600, "32",
	  "seconds a terminated dialog is kept to absorb retransmissions" },
	{ "sip.registration-max-expires", CT_DURATION, OFF(sip.registration_max_expires), 0, 1,
	  31536000, "86400", "cap on a registration's lifetime" },
	{ "detect.default-rule-path", CT_STR, OFF(detect.default_rule_path), 0, 0, 0, "rules",
	  "directory that relative rule-files names are looked up in" },
	{ "detect.rule-files", CT_LIST, OFF(detect.rule_files), OFF(detect.n_rule_files), 0, 0,
	  "[sipwire.rules, anomaly.rules]",
	  "rule files loaded at start and on reload (-S replaces this list)" },
	{ "detect.signatures-path", CT_STR, OFF(detect.signatures_path), 0, 0, 0, "signatures",
	  "directory that relative data set files (dataset:...,load FILE) are looked up in" },
	{ "detect.classification-file", CT_STR, OFF(detect.classification_file), 0, 0, 0,
	  "rules/classification.config", "classtype names, descriptions and priorities" },
	{ "detect.max-rules", CT_U32, OFF(detect.max_rules), 0, 1, 10000000, "100000",
	  "rules loaded at most; a rule set beyond it is refused" },
	{ "detect.max-thresholds", CT_U32, OFF(detect.max_thresholds), 0, 16, 16777216, "65536",
	  "threshold/detection_filter trackers kept at once (oldest evicted, counted)" },
	{ "detect.max-counters", CT_U32, OFF(detect.max_counters), 0, 16, 16777216, "65536",
	  "keys tracked by sip.rate/sip.distinct at once (least recently used evicted, counted)" },
	{ "detect.max-xbits", CT_U32, OFF(detect.max_xbits), 0, 16, 16777216, "65536",
	  "xbits set at once (oldest evicted, counted)" },
	{ "detect.max-blocks", CT_U32, OFF(detect.max_blocks), 0, 1, 16777216, "65536",
	  "addresses blocked at once by `block` rules (beyond: not blocked, counted)" },
	{ "outputs.eve.enabled", CT_BOOL, OFF(outputs.eve.enabled), 0, 0, 1, "true",
	  "write EVE JSON" },
	{ "outputs.eve.filename", CT_STR, OFF(outputs.eve.filename), 0, 0, 0, "eve.json",
	  "file name inside the log directory (-l)" },
	{ "outputs.eve.types", CT_LIST, OFF(outputs.eve.types), OFF(outputs.eve.n_types), 0, 0,
	  "[alert, drop, block, sip, call, flow, anomaly, stats]",
	  "event types written: alert, drop, block, sip, call, flow, anomaly, stats" },
	{ "outputs.stats.interval", CT_DURATION, OFF(outputs.stats.interval), 0, 0, 86400, "60",
	  "seconds of packet time between stats records (0 = only at the end)" },
	{ "vars.address-groups", CT_VARS, OFF(vars.address_groups), OFF(vars.n_address_groups), 0, 0,
	  "{HOME_NET: \"[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]\", EXTERNAL_NET: \"!$HOME_NET\"}",
	  "address variables for rules" },
	{ "vars.port-groups", CT_VARS, OFF(vars.port_groups), OFF(vars.n_port_groups), 0, 0,
	  "{SIP_PORTS: \"[5060,5061]\", RTP_PORTS: \"10000:60000\", HTTP_PORTS: \"80\"}",
	  "port variables for rules" },
	{ "logging.verbosity", CT_U32, OFF(logging.verbosity), 0, 0, 3, "0",
	  "0 warnings, 1 info, 2 debug" },
	{ "nfq.queue-maxlen", CT_U32, OFF(nfq.queue_maxlen), 0, 1, 1048576, "65536",
	  "packets the kernel holds per queue waiting for a verdict; keep it above what "
	  "buffer-size holds, so that overload shows at the socket, where every packet passed "
	  "or dropped is counted (a full queue passes or drops without a count)" },
	{ "nfq.buffer-size", CT_U64SIZE, OFF(nfq.buffer_size), 0, 65536, 1ULL << 30, "2mb",
	  "netlink socket receive buffer per queue: packets waiting for sipwire (2mb is about "
	  "1,000 packets, tens of milliseconds of backlog at most); when full, packets pass "
	  "(fail-open) or drop, each counted (capture.missed)" },
	{ "nfq.batchcount", CT_U32, OFF(nfq.batchcount), 0, 1, 1024, "64",
	  "packets received per system call and answered with one verdict batch" },
	{ "nfq.fail-open", CT_BOOL, OFF(nfq.fail_open), 0, 0, 1, "true",
	  "true: when a queue is full or a table is at its cap, packets pass (counted); "
	  "false: they are dropped (fail-closed)" },
	{ "nfq.engine-per-queue", CT_BOOL, OFF(nfq.engine_per_queue), 0, 0, 1, "false",
	  "false: the queues' workers share one engine (each its own flows; one call state, "
	  "sharded by Call-ID, and one set of rule counters: SIP and its RTP may come on "
	  "different queues); true: each queue gets an engine of its own and shares nothing, "
	  "right when the kernel keeps each pair of hosts on one queue (--queue-balance hashes "
	  "by address pair): RTP on another queue than its call's SIP is not tied to the call, "
	  "and counters by destination or by rule count per queue" },
	{ "nfq.vlan-mark", CT_U32, OFF(nfq.vlan_mark), 0, 0, U32MAX, "0x1000",
	  "packet mark bit that says the bridge saw an 802.1Q tag, the VLAN id being the mark's "
	  "low 12 bits (tools/sipwire-bridge.sh --vlan-mark sets them; the queue does not say the "
	  "tag): flows are told apart by VLAN and reject replies carry the tag (0: ignore marks)" },
	{ "nfq.gso", CT_BOOL, OFF(nfq.gso), 0, 0, 1, "true",
	  "accept GSO/GRO super-packets from the kernel as they are (no segmentation cost)" },
	{ "nfq.bypass-mark", CT_U32, OFF(nfq.bypass_mark), 0, 0, U32MAX, "0x40000000",
	  "packet mark (also the mask) that tells the kernel to stop queueing a flow: "
	  "the bridge rules save it to the connection's mark (0: never offload)" },
	{ "ips.media-offload", CT_BOOL, OFF(ips.media_offload), 0, 0, 1, "true",
	  "let the kernel forward an RTP flow without sipwire once it is tied to its dialog" },
	{ "ips.media-offload-after", CT_U32, OFF(ips.media_offload_after), 0, 1, 1000000, "32",
	  "RTP packets of a flow inspected (same source, same SSRC) before it is offloaded" },
	{ "ips.reject-sip-code", CT_U32, OFF(ips.reject_sip_code), 0, 400, 699, "403",
	  "status code a `reject` rule answers a SIP request with" },
	{ "ips.reject-sip-reason", CT_STR, OFF(ips.reject_sip_reason), 0, 0, 0, "Forbidden",
	  "reason phrase of that answer" },
	{ "ips.reject-max-per-second", CT_U32, OFF(ips.reject_max_per_second), 0, 0, 1000000, "200",
	  "replies (SIP, ICMP, TCP RST) sent per second at most; beyond, the packet is only "
	  "dropped (counted): no amplification toward spoofed sources" },
	{ "run-as.user", CT_STR, OFF(run_as.user), 0, 0, 0, "root",
	  "inline: user to switch to after opening the queues (keeps CAP_NET_ADMIN and CAP_NET_RAW)" },
	{ "run-as.group", CT_STR, OFF(run_as.group), 0, 0, 0, "auto",
	  "inline: group to switch to (auto: the user's primary group)" },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static void *field(struct sw_config *c, size_t off)
{
	return (char *)c + off;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */

static int parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		for (s += 2; *s; s++) {
			int d = (*s >= '0' && *s <= '9')   ? *s - '0'
			        : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
			        : (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10
			                                   : -1;
			if (d < 0 || v > (UINT64_MAX >> 4))
				return -1;
			v = v << 4 | (uint64_t)d;
		}
		*out = v;
		return 0;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse_scaled(const char *s, uint64_t *out, const char *const *suf, const uint64_t *mul,
                        size_t n)
{
	char num[32];
	size_t i = 0;
	uint64_t v;
	while (s[i] >= '0' && s[i] <= '9' && i < sizeof(num) - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	if (i == 0 || parse_uint(num, &v) != 0)
		return -1;
	const char *rest = s + i;
	while (*rest == ' ')
		rest++;
	if (!*rest) {
		*out = v;
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		if (strcasecmp(rest, suf[k]) == 0) {
			if (v > UINT64_MAX / mul[k])
				return -1;
			*out = v * mul[k];
			return 0;
		}
	}
	return -1;
}

int config_parse_size(const char *s, uint64_t *out)
{
	static const char *const suf[] = { "b", "kb", "k", "kib", "mb", "m", "mib", "gb", "g", "gib" };
	static const uint64_t mul[] = { 1, 1024, 1024, 1024, 1 << 20, 1 << 20, 1 << 20,
		                        1 << 30, 1 << 30, 1 << 30 };
	return parse_scaled(s, out, suf, mul, sizeof(mul) / sizeof(mul[0]));
}

int config_parse_duration(const char *s, uint64_t *out)
{
	static const char *const suf[] = { "s", "m", "h", "d" };
	static const uint64_t mul[] = { 1, 60, 3600, 86400 };
	return parse_scaled(s, out, suf, mul, 4);
}

static int parse_bool(const char *s, int *out)
{
	static const char *const t[] = { "true", "yes", "on", "1" };
	static const char *const f[] = { "false", "no", "off", "0" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Sets a scalar key from text. 0, or -1 with the reason in why. */
static int set_scalar(struct sw_config *c, const struct cfg_key *k, const char *v, char *why,
                      size_t cap)
{
	uint64_t u;
	int b;
	switch (k->type) {
	case CT_U32:
		if (parse_uint(v, &u) != 0) {
			snprintf(why, cap, "expected an unsigned integer, got \"%s\"", v);
			return -1;
		}
		goto range;
	case CT_U64SIZE:
		if (config_parse_size(v, &u) != 0) {
			snprintf(why, cap, "expected a size such as 65536, 64kb, 16mb or 1gb, got \"%s\"", v);
			return -1;
		}
		goto range;
	case CT_DURATION:
		if (config_parse_duration(v, &u) != 0) {
			snprintf(why, cap, "expected a duration such as 30, 30s, 5m or 2h, got \"%s\"", v);
			return -1;
		}
		goto range;
	case CT_BOOL:
		if (parse_bool(v, &b) != 0) {
			snprintf(why, cap, "expected true or false, got \"%s\"", v);
			return -1;
		}
		*(int *)field(c, k->off) = b;
		return 0;
	case CT_STR: {
		char **dst = field(c, k->off);
		char *dup;
		if (!*v) {
			snprintf(why, cap, "must not be empty");
			return -1;
		}
		if (strcmp(k->path, "decoder.checksum-validation") == 0 && strcmp(v, "auto") != 0 &&
		    strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
			snprintf(why, cap, "expected auto, yes or no, got \"%s\"", v);
			return -1;
		}
		if (strchr(v, '/') && strcmp(k->path, "outputs.eve.filename") == 0) {
			snprintf(why, cap, "a file name, not a path (the directory is -l)");
			return -1;
		}
		dup = strdup(v);
		if (!dup) {
			snprintf(why, cap, "out of memory");
			return -1;
		}
		free(*dst);
		*dst = dup;
		return 0;
	}
	default:
		snprintf(why, cap, "expected a %s", k->type == CT_LIST ? "list" : "mapping");
		return -1;
	}
range:
	if (u < k->min || u > k->max) {
		snprintf(why, cap, "%llu is out of range [%llu, %llu]", (unsigned long long)u,
		         (unsigned long long)k->min, (unsigned long long)k->max);
		return -1;
	}
	if (strcmp(k->path, "nfq.vlan-mark") == 0 && u && ((u & 0xfff) || (u & (u - 1)))) {
		snprintf(why, cap, "one bit above the 12 of the VLAN id (0x1000, 0x2000, ...) or 0, not %#llx",
		         (unsigned long long)u);
		return -1;
	}
	if (k->type == CT_U32)
		*(uint32_t *)field(c, k->off) = (uint32_t)u;
	else if (k->type == CT_U64SIZE)
		*(uint64_t *)field(c, k->off) = u;
	else
		*(uint32_t *)field(c, k->off) = (uint32_t)u;
	return 0;
}

static void free_list(struct sw_config *c, const struct cfg_key *k)
{
	char **items = field(c, k->off);
	unsigned *n = field(c, k->off2);
	for (unsigned i = 0; i < *n; i++) {
		free(items[i]);
		items[i] = NULL;
	}
	*n = 0;
}

static void free_vars(struct sw_config *c, const struct cfg_key *k)
{
	struct cfg_var *v = field(c, k->off);
	unsigned *n = field(c, k->off2);
	for (unsigned i = 0; i < *n; i++) {
		free(v[i].name);
		free(v[i].value);
		v[i].name = v[i].value = NULL;
	}
	*n = 0;
}

static int list_add(struct sw_config *c, const struct cfg_key *k, const char *item, char *why,
                    size_t cap)
{
	char **items = field(c, k->off);
	unsigned *n = field(c, k->off2);
	if (*n >= CFG_MAX_LIST) {
		snprintf(why, cap, "too many items (max %d)", CFG_MAX_LIST);
		return -1;
	}
	if (strcmp(k->path, "outputs.eve.types") == 0 && eve_type_by_name(item) < 0) {
		snprintf(why, cap, "unknown event type \"%s\" (alert, drop, block, sip, call, flow, anomaly, stats)",
		         item);
		return -1;
	}
	items[*n] = strdup(item);
	if (!items[*n]) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	(*n)++;
	return 0;
}

static int var_set(struct sw_config *c, const struct cfg_key *k, const char *name,
                   const char *value, char *why, size_t cap)
{
	struct cfg_var *v = field(c, k->off);
	unsigned *n = field(c, k->off2);
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			snprintf(why, cap, "variable name \"%s\": letters, digits and _ only", name);
			return -1;
		}
	}
	for (unsigned i = 0; i < *n; i++) {
		if (strcmp(v[i].name, name) == 0) {
			char *d = strdup(value);
			if (!d)
				return -1;
			free(v[i].value);
			v[i].value = d;
			return 0;
		}
	}
	if (*n >= CFG_MAX_VARS) {
		snprintf(why, cap, "too many variables (max %d)", CFG_MAX_VARS);
		return -1;
	}
	v[*n].name = strdup(name);
	v[*n].value = strdup(value);
	if (!v[*n].name || !v[*n].value) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	(*n)++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Defaults                                                            */

static const struct cfg_key *find_key(const char *path)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

/* 1 if path is a section (a proper prefix of some key). */
static int is_section(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < N_KEYS; i++)
		if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.')
			return 1;
	return 0;
}

void config_defaults(struct sw_config *c)
{
	char why[256];
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &keys[i];
		if (k->type == CT_LIST) {
			static const char *const types[] = { "alert", "drop",    "block", "sip",
			                                     "call",  "flow",    "anomaly", "stats" };
			static const char *const rules[] = { "sipwire.rules", "anomaly.rules" };
			if (strcmp(k->path, "outputs.eve.types") == 0)
				for (size_t t = 0; t < SW_ARRAY_SIZE(types); t++)
					list_add(c, k, types[t], why, sizeof(why));
			else if (strcmp(k->path, "detect.rule-files") == 0)
				for (size_t t = 0; t < SW_ARRAY_SIZE(rules); t++)
					list_add(c, k, rules[t], why, sizeof(why));
		} else if (k->type == CT_VARS) {
			if (strcmp(k->path, "vars.address-groups") == 0) {
				var_set(c, k, "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", why,
				        sizeof(why));
				var_set(c, k, "EXTERNAL_NET", "!$HOME_NET", why, sizeof(why));
				/* Suricata's defaults, so public rule files load unchanged. */
				var_set(c, k, "HTTP_SERVERS", "$HOME_NET", why, sizeof(why));
				var_set(c, k, "SMTP_SERVERS", "$HOME_NET", why, sizeof(why));
				var_set(c, k, "SQL_SERVERS", "$HOME_NET", why, sizeof(why));
				var_set(c, k, "DNS_SERVERS", "$HOME_NET", why, sizeof(why));
				var_set(c, k, "TELNET_SERVERS", "$HOME_NET", why, sizeof(why));
				var_set(c, k, "SIP_SERVERS", "$HOME_NET", why, sizeof(why));
			} else {
				var_set(c, k, "SIP_PORTS", "[5060,5061]", why, sizeof(why));
				var_set(c, k, "RTP_PORTS", "10000:60000", why, sizeof(why));
				var_set(c, k, "HTTP_PORTS", "80", why, sizeof(why));
				var_set(c, k, "SHELLCODE_PORTS", "!80", why, sizeof(why));
				var_set(c, k, "ORACLE_PORTS", "1521", why, sizeof(why));
				var_set(c, k, "SSH_PORTS", "22", why, sizeof(why));
				var_set(c, k, "FTP_PORTS", "21", why, sizeof(why));
				var_set(c, k, "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]", why, sizeof(why));
			}
		} else {
			set_scalar(c, k, k->def, why, sizeof(why));
		}
	}
}

void config_free(struct sw_config *c)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &keys[i];
		if (k->type == CT_STR) {
			char **s = field(c, k->off);
			free(*s);
			*s = NULL;
		} else if (k->type == CT_LIST) {
			free_list(c, k);
		} else if (k->type == CT_VARS) {
			free_vars(c, k);
		}
	}
}

/* ------------------------------------------------------------------ */
/* YAML                                                                */

struct load_ctx {
	struct sw_config *c;
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t cap;
};

static int fail_at(struct load_ctx *lc, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct load_ctx *lc, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(lc->err, lc->cap, "%s:%zu:%zu: %s", lc->file, n->start_mark.line + 1,
	         n->start_mark.column + 1, msg);
	return -1;
}

/* Edit distance, for "did you mean" on unknown keys. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

static const char *nearest(const char *path)
{
	const char *best = NULL;
	size_t bd = 4;
	for (size_t i = 0; i < N_KEYS; i++) {
		size_t d = edit_distance(path, keys[i].path);
		if (d < bd) {
			bd = d;
			best = keys[i].path;
		}
	}
	return best;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int load_mapping(struct load_ctx *lc, yaml_node_t *map, const char *prefix);

static int load_value(struct load_ctx *lc, const char *path, yaml_node_t *kn, yaml_node_t *vn)
{
	const struct cfg_key *k = find_key(path);
	char why[300];

	if (!k) {
		if (is_section(path)) {
			/* "section:" with every key commented out is YAML null: nothing to set */
			if (vn->type == YAML_SCALAR_NODE && vn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			    (!*scalar(vn) || strcmp(scalar(vn), "~") == 0 || strcmp(scalar(vn), "null") == 0))
				return 0;
			if (vn->type != YAML_MAPPING_NODE)
				return fail_at(lc, vn, "%s: expected a mapping of keys", path);
			return load_mapping(lc, vn, path);
		}
		const char *near = nearest(path);
		if (near)
			return fail_at(lc, kn, "unknown key \"%s\" (did you mean \"%s\"?)", path, near);
		return fail_at(lc, kn, "unknown key \"%s\"", path);
	}
	switch (k->type) {
	case CT_LIST:
		if (vn->type != YAML_SEQUENCE_NODE)
			return fail_at(lc, vn, "%s: expected a list", path);
		free_list(lc->c, k);
		for (yaml_node_item_t *it = vn->data.sequence.items.start;
		     it < vn->data.sequence.items.top; it++) {
			yaml_node_t *in = yaml_document_get_node(lc->doc, *it);
			if (!in || in->type != YAML_SCALAR_NODE)
				return fail_at(lc, in ? in : vn, "%s: list items must be scalars", path);
			if (list_add(lc->c, k, scalar(in), why, sizeof(why)) != 0)
				return fail_at(lc, in, "%s: %s", path, why);
		}
		return 0;
	case CT_VARS:
		if (vn->type != YAML_MAPPING_NODE)
			return fail_at(lc, vn, "%s: expected a mapping of NAME: value", path);
		for (yaml_node_pair_t *pr = vn->data.mapping.pairs.start;
		     pr < vn->data.mapping.pairs.top; pr++) {
			yaml_node_t *vk = yaml_document_get_node(lc->doc, pr->key);
			yaml_node_t *vv = yaml_document_get_node(lc->doc, pr->value);
			if (!vk || !vv || vk->type != YAML_SCALAR_NODE || vv->type != YAML_SCALAR_NODE)
				return fail_at(lc, vk ? vk : vn, "%s: variables are NAME: \"value\"", path);
			for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < pr; q++) {
				yaml_node_t *qk = yaml_document_get_node(lc->doc, q->key);
				if (qk && qk->type == YAML_SCALAR_NODE && strcmp(scalar(qk), scalar(vk)) == 0)
					return fail_at(lc, vk, "%s: duplicate key \"%s\" (first at line %zu)", path,
					               scalar(vk), qk->start_mark.line + 1);
			}
			if (var_set(lc->c, k, scalar(vk), scalar(vv), why, sizeof(why)) != 0)
				return fail_at(lc, vk, "%s: %s", path, why);
		}
		return 0;
	default:
		if (vn->type != YAML_SCALAR_NODE)
			return fail_at(lc, vn, "%s: expected a single value", path);
		if (set_scalar(lc->c, k, scalar(vn), why, sizeof(why)) != 0)
			return fail_at(lc, vn, "%s: %s", path, why);
		return 0;
	}
}

static int load_mapping(struct load_ctx *lc, yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(lc->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(lc->doc, p->value);
		char path[256];
		if (!kn || !vn || kn->type != YAML_SCALAR_NODE)
			return fail_at(lc, kn ? kn : map, "keys must be plain names");
		/* Duplicate keys: YAML says they are an error; libyaml accepts them. */
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(lc->doc, q->key);
			if (qk && qk->type == YAML_SCALAR_NODE && strcmp(scalar(qk), scalar(kn)) == 0)
				return fail_at(lc, kn, "duplicate key \"%s\" (first at line %zu)",
				               scalar(kn), qk->start_mark.line + 1);
		}
		int pl;
		if (prefix[0])
			pl = snprintf(path, sizeof(path), "%s.%s", prefix, scalar(kn));
		else
			pl = snprintf(path, sizeof(path), "%s", scalar(kn));
		if (pl < 0 || (size_t)pl >= sizeof(path))
			return fail_at(lc, kn, "unknown key (name too long)");
		if (load_value(lc, path, kn, vn) != 0)
			return -1;
	}
	return 0;
}

int config_load(struct sw_config *c, const char *path, char *err, size_t cap)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(path, "rb");
	int rc = -1;

	if (!f) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, cap, "%s: cannot initialise the YAML parser", path);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, cap, "%s:%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
		         parser.problem_mark.column + 1, parser.problem ? parser.problem : "YAML error",
		         parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	struct load_ctx lc = { c, &doc, path, err, cap };
	if (!root || (root->type == YAML_SCALAR_NODE &&
	              root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && root->data.scalar.length == 0)) {
		rc = 0; /* empty file, or an empty document ("---"): defaults */
	} else if (root->type != YAML_MAPPING_NODE) {
		rc = fail_at(&lc, root, "the top level must be a mapping of sections");
	} else {
		rc = load_mapping(&lc, root, "");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

int config_set(struct sw_config *c, const char *assignment, char *err, size_t cap)
{
	const char *eq = strchr(assignment, '=');
	char path[256], why[300];
	const struct cfg_key *k;

	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(path)) {
		snprintf(err, cap, "--set %s: expected KEY=VALUE", assignment);
		return -1;
	}
	memcpy(path, assignment, (size_t)(eq - assignment));
	path[eq - assignment] = '\0';
	k = find_key(path);
	if (!k) {
		/* vars.address-groups.NAME=value */
		const char *dot = strrchr(path, '.');
		if (dot) {
			char parent[256];
			memcpy(parent, path, (size_t)(dot - path));
			parent[dot - path] = '\0';
			k = find_key(parent);
			if (k && k->type == CT_VARS) {
				if (var_set(c, k, dot + 1, eq + 1, why, sizeof(why)) != 0) {
					snprintf(err, cap, "--set %s: %s", path, why);
					return -1;
				}
				return 0;
			}
		}
		const char *near = nearest(path);
		snprintf(err, cap, "--set %s: unknown key%s%s%s", path, near ? " (did you mean \"" : "",
		         near ? near : "", near ? "\"?)" : "");
		return -1;
	}
	if (k->type == CT_LIST) {
		/* comma-separated; built aside so that an error changes nothing */
		char buf[512], *save = NULL, *tok;
		struct sw_config tmp;
		if (strlen(eq + 1) >= sizeof(buf)) {
			snprintf(err, cap, "--set %s: value too long", path);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%s", eq + 1);
		memset(&tmp, 0, sizeof(tmp));
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (list_add(&tmp, k, tok, why, sizeof(why)) != 0) {
				free_list(&tmp, k);
				snprintf(err, cap, "--set %s: %s", path, why);
				return -1;
			}
		}
		free_list(c, k);
		memcpy(field(c, k->off), field(&tmp, k->off), sizeof(char *) * CFG_MAX_LIST);
		memcpy(field(c, k->off2), field(&tmp, k->off2), sizeof(unsigned));
		return 0;
	}
	if (set_scalar(c, k, eq + 1, why, sizeof(why)) != 0) {
		snprintf(err, cap, "--set %s: %s", path, why);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dump                                                                */

/* Writes s as a YAML double-quoted scalar that loads back byte for byte. */
static void dump_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch == '\r')
			fputs("\\r", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void dump_value(struct sw_config *c, const struct cfg_key *k, FILE *out, int indent)
{
	switch (k->type) {
	case CT_U32:
	case CT_DURATION:
		fprintf(out, " %u", *(uint32_t *)field(c, k->off));
		break;
	case CT_U64SIZE:
		fprintf(out, " %llu", (unsigned long long)*(uint64_t *)field(c, k->off));
		break;
	case CT_BOOL:
		fprintf(out, " %s", *(int *)field(c, k->off) ? "true" : "false");
		break;
	case CT_STR:
		fputc(' ', out);
		dump_quoted(out, *(char **)field(c, k->off));
		break;
	case CT_LIST: {
		char **items = field(c, k->off);
		unsigned n = *(unsigned *)field(c, k->off2);
		fputs(" [", out);
		for (unsigned i = 0; i < n; i++)
			fprintf(out, "%s%s", i ? ", " : "", items[i]);
		fputc(']', out);
		break;
	}
	case CT_VARS: {
		struct cfg_var *v = field(c, k->off);
		unsigned n = *(unsigned *)field(c, k->off2);
		if (n == 0)
			fputs(" {}", out); /* an empty mapping, not null */
		for (unsigned i = 0; i < n; i++) {
			fprintf(out, "\n%*s%s: ", indent + 2, "", v[i].name);
			dump_quoted(out, v[i].value);
		}
		break;
	}
	}
}

void config_dump(const struct sw_config *cc, FILE *out)
{
	struct sw_config *c = (struct sw_config *)cc; /* read only */
	char prev[256] = "";
	fputs("# sipwire configuration (every key with its meaning; values shown are in effect)\n", out);
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &keys[i];
		char sect[256];
		const char *last = strrchr(k->path, '.');
		size_t sl = (size_t)(last - k->path);
		memcpy(sect, k->path, sl);
		sect[sl] = '\0';
		/* Open the sections that differ from the previous key's. */
		if (strcmp(sect, prev) != 0) {
			char a[256], b[256], *ca[8], *cb[8], *sv;
			int na = 0, nb = 0, same = 0;
			snprintf(a, sizeof(a), "%s", sect);
			snprintf(b, sizeof(b), "%s", prev);
			for (char *t = strtok_r(a, ".", &sv); t && na < 8; t = strtok_r(NULL, ".", &sv))
				ca[na++] = t;
			for (char *t = strtok_r(b, ".", &sv); t && nb < 8; t = strtok_r(NULL, ".", &sv))
				cb[nb++] = t;
			while (same < na && same < nb && strcmp(ca[same], cb[same]) == 0)
				same++;
			if (same == 0 && i)
				fputc('\n', out);
			for (int d = same; d < na; d++)
				fprintf(out, "%*s%s:\n", d * 2, "", ca[d]);
			snprintf(prev, sizeof(prev), "%s", sect);
		}
		int depth = 1;
		for (const char *s = sect; *s; s++)
			depth += *s == '.';
		fprintf(out, "%*s# %s\n", depth * 2, "", k->help);
		fprintf(out, "%*s%s:", depth * 2, "", last + 1);
		dump_value(c, k, out, depth * 2);
		fputc('\n', out);
	}
}
