/*
 * test_rule_addr.c - address and port specs of rule headers
 * (engine/rule_addr.c).
 *
 * Rows: a spec and the canonical text of the set it resolves to; a spec,
 * an address and whether it matches; a spec that must fail, with the byte
 * offset and a piece of the message. Every spec is placed against a
 * PROT_NONE guard page (no NUL after it). Then hostile inputs: nesting and
 * variable chains past the caps, an expansion bomb, very long lists,
 * every prefix of valid specs and random garbage (checked for sorted,
 * disjoint output).
 */
#include "test_util.h"

#include "common.h"
#include "rule_addr.h"

static const struct cfg_var avars[] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "V6NET", "[2001:db8::/32]" },
	{ "MIXED", "[$HOME_NET, $V6NET]" },
	{ "NOT_MIXED", "!$MIXED" },
	{ "HN2", "[10.0.0.0/8,!10.1.0.0/16]" },
	{ "LOOP_A", "[$LOOP_B]" },
	{ "LOOP_B", "[1.2.3.4,$LOOP_A]" },
	{ "SELF", "$SELF" },
	{ "BAD", "1.2.3.4/33" },
	{ "INDIRECT_BAD", "[1.1.1.1,$BAD]" },
	{ "EMPTYV", "" },
	{ "ANYV", "any" },
	{ "NOTANY", "!$ANYV" },
	{ "SIP_PORTS", "[5060,5061]" },
};

static const struct cfg_var pvars[] = {
	{ "SIP_PORTS", "[5060,5061]" },
	{ "RTP_PORTS", "10000:60000" },
	{ "HTTP_PORTS", "80" },
	{ "NOT_HTTP", "!$HTTP_PORTS" },
	{ "PLOOP", "[5060,$PLOOP]" },
	{ "HOME_NET", "[10.0.0.0/8]" },
};

#define NA SW_ARRAY_SIZE(avars)
#define NP SW_ARRAY_SIZE(pvars)

/* ------------------------------------------------------------------ */
/* Resolution rows                                                     */

struct set_row {
	const char *name;
	int ports;
	const char *spec;
	const char *want; /* canonical text (addr_set_str / port_set_str) */
};

#define A(n, s, w) { n, 0, s, w }
#define P(n, s, w) { n, 1, s, w }

#define V4_NOT_1234 "0.0.0.0-1.2.3.3,1.2.3.5-255.255.255.255"
#define V4_NOT_HOME                                                                      \
	"0.0.0.0-9.255.255.255,11.0.0.0-172.15.255.255,172.32.0.0-192.167.255.255,"          \
	"192.169.0.0-255.255.255.255"
#define V6_NOT_DB8 "::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff,2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

static const struct set_row set_rows[] = {
	A("addr: any", "any", "any"),
	A("addr: ANY is case-insensitive", "ANY", "any"),
	A("addr: single IPv4", "1.2.3.4", "1.2.3.4"),
	A("addr: IPv4 CIDR", "1.2.3.0/24", "1.2.3.0/24"),
	A("addr: CIDR host bits are cleared", "1.2.3.4/24", "1.2.3.0/24"),
	A("addr: /32", "1.2.3.4/32", "1.2.3.4"),
	A("addr: /0 is all IPv4, not any", "0.0.0.0/0", "0.0.0.0/0"),
	A("addr: dotted netmask", "1.2.3.0/255.255.255.0", "1.2.3.0/24"),
	A("addr: IPv4 range", "1.2.3.4-1.2.3.10", "1.2.3.4-1.2.3.10"),
	A("addr: one-address range", "1.2.3.4-1.2.3.4", "1.2.3.4"),
	A("addr: range that is a prefix", "1.2.3.0-1.2.3.255", "1.2.3.0/24"),
	A("addr: single IPv6", "2001:db8::1", "2001:db8::1"),
	A("addr: IPv6 CIDR", "2001:db8::/32", "2001:db8::/32"),
	A("addr: IPv6 CIDR host bits cleared", "2001:db8::1/64", "2001:db8::/64"),
	A("addr: IPv6 /0", "::/0", "::/0"),
	A("addr: IPv6 range", "2001:db8::1-2001:db8::9", "2001:db8::1-2001:db8::9"),
	A("addr: IPv4-mapped IPv6 stays IPv6", "::ffff:1.2.3.4", "::ffff:1.2.3.4"),
	A("addr: list sorted", "[5.6.7.8,1.2.3.4]", "1.2.3.4,5.6.7.8"),
	A("addr: list adjacent merged", "[1.2.3.4,1.2.3.5]", "1.2.3.4/31"),
	A("addr: list overlap merged", "[1.2.3.0/24,1.2.3.128/25]", "1.2.3.0/24"),
	A("addr: list IPv4 before IPv6", "[2001:db8::1,1.2.3.4]", "1.2.3.4,2001:db8::1"),
	A("addr: both families full is any", "[0.0.0.0/0,::/0]", "any"),
	A("addr: blanks inside lists", "[ 1.2.3.4 , 5.6.7.8 ]", "1.2.3.4,5.6.7.8"),
	A("addr: top-level comma list", "1.2.3.4,5.6.7.8", "1.2.3.4,5.6.7.8"),
	A("addr: nested lists flatten", "[[[1.2.3.4]],[5.6.7.8]]", "1.2.3.4,5.6.7.8"),
	A("addr: list with exception", "[10.0.0.0/8,!10.1.0.0/16]",
	  "10.0.0.0/16,10.2.0.0-10.255.255.255"),
	A("addr: list with exception, blank", "[1.2.3.0/24, !1.2.3.128/25]", "1.2.3.0/25"),
	A("addr: doc [10.0.0.0/24, !10.0.0.5]", "[10.0.0.0/24, !10.0.0.5]",
	  "10.0.0.0-10.0.0.4,10.0.0.6-10.0.0.255"),
	A("addr: negated single is IPv4 only", "!1.2.3.4", V4_NOT_1234),
	A("addr: doc '! 1.1.1.1' (blank after !)", "! 1.1.1.1",
	  "0.0.0.0-1.1.1.0,1.1.1.2-255.255.255.255"),
	A("addr: negated list", "![1.1.1.1,1.1.1.2]", "0.0.0.0-1.1.1.0,1.1.1.3-255.255.255.255"),
	A("addr: negated IPv6 is IPv6 only", "!2001:db8::/32", V6_NOT_DB8),
	A("addr: any minus one keeps IPv6", "[any,!1.2.3.4]", V4_NOT_1234 ",::/0"),
	A("addr: negations only, both families", "[!1.2.3.4,!2001:db8::/32]",
	  V4_NOT_1234 "," V6_NOT_DB8),
	A("addr: negation outside the positives changes nothing", "[1.2.3.4,!5.6.7.8]",
	  "1.2.3.4"),
	A("addr: negated nested list", "[1.2.3.0/24,![1.2.3.4,1.2.3.5]]",
	  "1.2.3.0/30,1.2.3.6-1.2.3.255"),
	A("addr: double negation through a list", "![!1.2.3.4]", "1.2.3.4"),
	/* A nested list is flattened: its exception removes 1.1.0.0/16 even
	 * though the parent lists it. */
	A("addr: nested list with its own exception flattens", "[1.1.0.0/16,[1.0.0.0/8,!1.1.0.0/16]]",
	  "1.0.0.0/16,1.2.0.0-1.255.255.255"),
	A("addr: top of the space", "!255.255.255.255", "0.0.0.0-255.255.255.254"),
	A("addr: bottom of the space", "!0.0.0.0", "0.0.0.1-255.255.255.255"),
	A("addr: negated range to the top", "![0.0.0.0-255.255.255.254]", "255.255.255.255"),
	A("addr: IPv6 bottom", "!::", "::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	A("addr: IPv6 top", "!ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
	A("addr: IPv6 carry across 64 bits", "![::ffff:ffff:ffff:ffff-0:0:0:1::]",
	  "::-::ffff:ffff:ffff:fffe,::1:0:0:0:1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	A("addr: IPv6 adjacent across 64 bits merge", "[::ffff:ffff:ffff:ffff,0:0:0:1::]",
	  "::ffff:ffff:ffff:ffff-0:0:0:1::"),
	A("var: $HOME_NET", "$HOME_NET", "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"),
	A("var: $EXTERNAL_NET = !$HOME_NET (IPv4 only)", "$EXTERNAL_NET", V4_NOT_HOME),
	A("var: !$EXTERNAL_NET", "!$EXTERNAL_NET", "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"),
	A("var: doc [$EXTERNAL_NET, !$HOME_NET]", "[$EXTERNAL_NET, !$HOME_NET]", V4_NOT_HOME),
	A("var: nested variables", "$MIXED", "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,2001:db8::/32"),
	A("var: negated mixed families", "$NOT_MIXED", V4_NOT_HOME "," V6_NOT_DB8),
	A("var: in a list with an exception", "[$HOME_NET,!192.168.1.0/24]",
	  "10.0.0.0/8,172.16.0.0/12,192.168.0.0/24,192.168.2.0-192.168.255.255"),
	/* Suricata flattens a non-negated variable: its exceptions apply to
	 * the whole list, 10.1.2.3 is removed although listed. */
	A("var: exceptions of a variable apply to its list", "[$HN2,10.1.2.3]",
	  "10.0.0.0/16,10.2.0.0-10.255.255.255"),
	A("var: same variable twice", "[$HOME_NET,$HOME_NET]",
	  "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"),
	A("var: any variable", "$ANYV", "any"),

	P("port: any", "any", "any"),
	P("port: single", "80", "80"),
	P("port: zero", "0", "0"),
	P("port: top", "65535", "65535"),
	P("port: open end", "1024:", "1024:65535"),
	P("port: open start", ":1023", "0:1023"),
	P("port: range", "1:1024", "1:1024"),
	P("port: full range is any", "0:65535", "any"),
	P("port: one-port range", "80:80", "80"),
	P("port: doc [80, 81, 82]", "[80, 81, 82]", "80:82"),
	P("port: doc [80: 82]", "[80: 82]", "80:82"),
	P("port: doc [1024: ]", "[1024: ]", "1024:65535"),
	P("port: doc !80", "!80", "0:79,81:65535"),
	P("port: doc [80:100,!99]", "[80:100,!99]", "80:98,100"),
	P("port: doc [1:80,![2,4]]", "[1:80,![2,4]]", "1,3,5:80"),
	P("port: overlap merged", "[0:100,50:200]", "0:200"),
	P("port: !0", "!0", "1:65535"),
	P("port: !65535", "!65535", "0:65534"),
	P("port: list sorted", "[5061,5060,80]", "80,5060:5061"),
	P("port: $SIP_PORTS", "$SIP_PORTS", "5060:5061"),
	P("port: $RTP_PORTS", "$RTP_PORTS", "10000:60000"),
	P("port: variables in a list", "[$SIP_PORTS,$HTTP_PORTS]", "80,5060:5061"),
	P("port: !$HTTP_PORTS", "!$HTTP_PORTS", "0:79,81:65535"),
	P("port: variable holding a negation", "$NOT_HTTP", "0:79,81:65535"),
	P("port: negated negation", "!$NOT_HTTP", "80"),
	P("port: any minus a list", "[any,![5060,5061]]", "0:5059,5062:65535"),
};

static void run_set(void **state)
{
	const struct set_row *r = *state;
	struct guard_buf g;
	const char *s = guard_copy(&g, r->spec, strlen(r->spec));
	struct rule_err e;
	char out[1024];
	memset(&e, 0, sizeof(e));
	if (!r->ports) {
		struct addr_set as;
		int rc = addr_set_parse(s, (uint32_t)strlen(r->spec), avars, NA, &as, &e);
		if (rc != 0)
			fail_msg("%s: error at %u: %s", r->spec, e.off, e.msg);
		addr_set_str(&as, out, sizeof(out));
		assert_string_equal(out, r->want);
		addr_set_free(&as);
		assert_null(as.r);
	} else {
		struct port_set ps;
		int rc = port_set_parse(s, (uint32_t)strlen(r->spec), pvars, NP, &ps, &e);
		if (rc != 0)
			fail_msg("%s: error at %u: %s", r->spec, e.off, e.msg);
		port_set_str(&ps, out, sizeof(out));
		assert_string_equal(out, r->want);
		port_set_free(&ps);
	}
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Match rows                                                          */

struct match_row {
	const char *name;
	const char *spec;
	const char *addr; /* NULL: an address of family 0 */
	int want;
};

static const struct match_row match_rows[] = {
	{ "match: any v4", "any", "1.2.3.4", 1 },
	{ "match: any v6", "any", "::1", 1 },
	{ "match: any, no family", "any", NULL, 1 },
	{ "match: list, no family", "[1.2.3.4]", NULL, 0 },
	{ "match: single hit", "1.2.3.4", "1.2.3.4", 1 },
	{ "match: single miss", "1.2.3.4", "1.2.3.5", 0 },
	{ "match: v4 spec, v6 packet", "0.0.0.0/0", "::1", 0 },
	{ "match: v6 spec, v4 packet", "::/0", "1.2.3.4", 0 },
	{ "match: negated v4 never matches v6", "!1.2.3.4", "2001:db8::1", 0 },
	{ "match: negated v4 matches other v4", "!1.2.3.4", "1.2.3.5", 1 },
	{ "match: exception: inside", "[10.0.0.0/8,!10.1.0.0/16]", "10.0.255.255", 1 },
	{ "match: exception: excluded start", "[10.0.0.0/8,!10.1.0.0/16]", "10.1.0.0", 0 },
	{ "match: exception: excluded end", "[10.0.0.0/8,!10.1.0.0/16]", "10.1.255.255", 0 },
	{ "match: exception: after", "[10.0.0.0/8,!10.1.0.0/16]", "10.2.0.0", 1 },
	{ "match: exception: below all", "[10.0.0.0/8,!10.1.0.0/16]", "9.255.255.255", 0 },
	{ "match: exception: above all", "[10.0.0.0/8,!10.1.0.0/16]", "11.0.0.0", 0 },
	{ "match: $EXTERNAL_NET public v4", "$EXTERNAL_NET", "8.8.8.8", 1 },
	{ "match: $EXTERNAL_NET private v4", "$EXTERNAL_NET", "10.1.2.3", 0 },
	{ "match: $EXTERNAL_NET v6 (Suricata: no)", "$EXTERNAL_NET", "2001:4860::8888", 0 },
	{ "match: $HOME_NET 172.31.255.255", "$HOME_NET", "172.31.255.255", 1 },
	{ "match: $HOME_NET 172.32.0.0", "$HOME_NET", "172.32.0.0", 0 },
	{ "match: v6 range low end", "2001:db8::1-2001:db8::9", "2001:db8::1", 1 },
	{ "match: v6 range high end", "2001:db8::1-2001:db8::9", "2001:db8::9", 1 },
	{ "match: v6 range past end", "2001:db8::1-2001:db8::9", "2001:db8::a", 0 },
	{ "match: mixed list v4", "[1.2.3.4,2001:db8::/32]", "1.2.3.4", 1 },
	{ "match: mixed list v6", "[1.2.3.4,2001:db8::/32]", "2001:db8:ffff::1", 1 },
	{ "match: mixed list v6 miss", "[1.2.3.4,2001:db8::/32]", "2001:db9::", 0 },
	{ "match: top address", "255.255.255.255", "255.255.255.255", 1 },
	{ "match: bottom address", "0.0.0.0", "0.0.0.0", 1 },
};

static void run_match(void **state)
{
	const struct match_row *r = *state;
	struct addr_set as;
	struct rule_err e;
	sw_addr a;
	memset(&a, 0, sizeof(a));
	if (r->addr)
		assert_int_equal(sw_addr_parse(sw_str_make(r->addr, strlen(r->addr)), &a), 0);
	if (addr_set_parse(r->spec, (uint32_t)strlen(r->spec), avars, NA, &as, &e) != 0)
		fail_msg("%s: %s", r->spec, e.msg);
	assert_int_equal(addr_set_match(&as, &a), r->want);
	addr_set_free(&as);
}

struct port_match_row {
	const char *name;
	const char *spec;
	uint16_t port;
	int want;
};

static const struct port_match_row port_match_rows[] = {
	{ "port match: any", "any", 0, 1 },
	{ "port match: single hit", "5060", 5060, 1 },
	{ "port match: single miss", "5060", 5061, 0 },
	{ "port match: range low", "1024:", 1024, 1 },
	{ "port match: range below", "1024:", 1023, 0 },
	{ "port match: range top", "1024:", 65535, 1 },
	{ "port match: exception hole", "[80:100,!99]", 99, 0 },
	{ "port match: exception after hole", "[80:100,!99]", 100, 1 },
	{ "port match: past all", "[80:100,!99]", 101, 0 },
	{ "port match: below all", "[80:100,!99]", 79, 0 },
	{ "port match: !80 at 0", "!80", 0, 1 },
	{ "port match: !80 at 80", "!80", 80, 0 },
};

static void run_port_match(void **state)
{
	const struct port_match_row *r = *state;
	struct port_set ps;
	struct rule_err e;
	if (port_set_parse(r->spec, (uint32_t)strlen(r->spec), pvars, NP, &ps, &e) != 0)
		fail_msg("%s: %s", r->spec, e.msg);
	assert_int_equal(port_set_match(&ps, r->port), r->want);
	port_set_free(&ps);
}

/* ------------------------------------------------------------------ */
/* Error rows                                                          */

struct err_row {
	const char *name;
	int ports;
	const char *spec;
	uint32_t off;
	const char *msg; /* a piece of the message */
};

static const struct err_row err_rows[] = {
	{ "err: empty", 0, "", 0, "empty address" },
	{ "err: blanks only", 0, "   ", 0, "empty address" },
	{ "err: /33", 0, "1.2.3.4/33", 8, "/33 out of range for IPv4" },
	{ "err: ::/129", 0, "::/129", 3, "/129 out of range for IPv6" },
	{ "err: [,]", 0, "[,]", 1, "empty element" },
	{ "err: []", 0, "[]", 0, "empty list" },
	{ "err: [ ]", 0, "[ ]", 0, "empty list" },
	{ "err: !", 0, "!", 0, "nothing after '!'" },
	{ "err: $", 0, "$", 0, "missing variable name" },
	{ "err: [1.2.3.4", 0, "[1.2.3.4", 0, "never closed" },
	{ "err: [ alone", 0, "[", 0, "never closed" },
	{ "err: [1.2.3.4, at the end", 0, "[1.2.3.4,", 0, "never closed" },
	{ "err: nested never closed", 0, "[1.2.3.4,[5.6.7.8]", 0, "never closed" },
	{ "err: trailing comma", 0, "[1.2.3.4,]", 9, "empty element" },
	{ "err: leading comma top", 0, ",1.2.3.4", 0, "empty element" },
	{ "err: stray ]", 0, "1.2.3.4]", 7, "']' without '['" },
	{ "err: blank-separated", 0, "1.2.3.4 5.6.7.8", 8, "expected ',' before '5'" },
	{ "err: blank-separated in list", 0, "[1.2.3.4 5.6.7.8]", 9, "expected ',' or ']'" },
	{ "err: !any", 0, "!any", 0, "whole IPv4 space is negated" },
	{ "err: ![0.0.0.0/0]", 0, "![0.0.0.0/0]", 0, "whole IPv4 space is negated" },
	{ "err: nothing left", 0, "[1.2.3.4,!1.2.3.4]", 0, "no address left" },
	{ "err: nothing left in negated list", 0, "[1.1.1.1,![5.5.5.5,!5.5.5.5]]", 9,
	  "no address left" },
	{ "err: !!", 0, "!!1.2.3.4", 1, "double negation" },
	{ "err: [1.2.3.4,!]", 0, "[1.2.3.4,!]", 10, "nothing after '!'" },
	{ "err: five octets", 0, "1.2.3.4.5", 0, "invalid address '1.2.3.4.5'" },
	{ "err: word", 0, "hello", 0, "invalid address" },
	{ "err: octet 256", 0, "1.2.3.256", 0, "invalid address" },
	{ "err: reversed range", 0, "1.2.3.10-1.2.3.4", 0, "starts above its end" },
	{ "err: mixed range", 0, "1.2.3.4-::1", 0, "mixes IPv4 and IPv6" },
	{ "err: bad range end", 0, "1.2.3.4-x", 8, "invalid address 'x'" },
	{ "err: bad CIDR address", 0, "1.2.3/24", 0, "invalid address '1.2.3'" },
	{ "err: empty prefix", 0, "1.2.3.4/", 8, "invalid prefix length" },
	{ "err: junk prefix", 0, "1.2.3.4/8x", 8, "invalid prefix length '8x'" },
	{ "err: sparse netmask", 0, "1.2.3.0/255.0.255.0", 8, "not contiguous" },
	{ "err: netmask on IPv6", 0, "::1/255.255.255.0", 4, "invalid prefix length" },
	{ "err: blank inside element", 0, "1.2.3.4 /24", 8, "expected ','" },
	{ "err: unknown variable", 0, "$NOPE", 0, "unknown address variable $NOPE" },
	{ "err: unknown variable in list", 0, "[1.2.3.4,$NOPE]", 9, "$NOPE" },
	{ "err: unknown negated variable", 0, "[1.2.3.4,!$NOPE]", 10, "$NOPE" },
	{ "err: port variable as address", 0, "$SIP_PORTS", 0, "$SIP_PORTS: invalid address '5060'" },
	{ "err: variable then junk", 0, "$HOME_NET/24", 9, "expected ','" },
	{ "err: variable loop", 0, "$LOOP_A", 0, "variable loop: $LOOP_A -> $LOOP_B -> $LOOP_A" },
	{ "err: self loop in list", 0, "[1.1.1.1, $SELF]", 10, "variable loop: $SELF -> $SELF" },
	{ "err: bad value named", 0, "$BAD", 0, "$BAD: prefix length /33" },
	{ "err: bad value two levels down", 0, "[5.5.5.5,!$INDIRECT_BAD]", 10,
	  "$INDIRECT_BAD: $BAD: prefix length /33" },
	{ "err: empty variable", 0, "[1.2.3.4,$EMPTYV]", 9, "variable $EMPTYV is empty" },
	{ "err: variable negating any", 0, "$NOTANY", 0, "whole IPv4 space is negated" },

	{ "port err: 65536", 1, "65536", 0, "port 65536 out of range" },
	{ "port err: 65536 in list", 1, "[80,65536]", 4, "out of range" },
	{ "port err: huge", 1, "99999999999999999999", 0, "out of range" },
	{ "port err: range end too big", 1, "1:70000", 2, "port 70000 out of range" },
	{ "port err: reversed", 1, "90:80", 0, "starts above its end" },
	{ "port err: !any", 1, "!any", 0, "every port is negated" },
	{ "port err: nothing left", 1, "[80,!80]", 0, "no port left" },
	{ "port err: []", 1, "[]", 0, "empty list" },
	{ "port err: [,]", 1, "[,]", 1, "empty element" },
	{ "port err: !", 1, "!", 0, "nothing after '!'" },
	{ "port err: $", 1, "$", 0, "missing variable name" },
	{ "port err: [80", 1, "[80", 0, "never closed" },
	{ "port err: word", 1, "http", 0, "invalid port 'http'" },
	{ "port err: trailing junk", 1, "80a", 0, "invalid port '80a'" },
	{ "port err: colon only", 1, ":", 0, "invalid port ':'" },
	{ "port err: negative", 1, "-1", 0, "invalid port" },
	{ "port err: double colon", 1, "1::2", 0, "invalid port" },
	{ "port err: blank-separated", 1, "80 81", 0, "invalid port '80 81'" },
	{ "port err: unknown variable", 1, "[5060,$NOPE]", 6, "unknown port variable $NOPE" },
	{ "port err: loop", 1, "$PLOOP", 0, "variable loop: $PLOOP -> $PLOOP" },
	{ "port err: address variable as port", 1, "$HOME_NET", 0, "$HOME_NET: invalid port" },
};

static void run_err(void **state)
{
	const struct err_row *r = *state;
	struct guard_buf g;
	const char *s = guard_copy(&g, r->spec, strlen(r->spec));
	struct rule_err e;
	int rc;
	memset(&e, 0, sizeof(e));
	if (!r->ports) {
		struct addr_set as;
		rc = addr_set_parse(s, (uint32_t)strlen(r->spec), avars, NA, &as, &e);
		assert_null(as.r);
		assert_int_equal(as.n, 0);
	} else {
		struct port_set ps;
		rc = port_set_parse(s, (uint32_t)strlen(r->spec), pvars, NP, &ps, &e);
		assert_null(ps.r);
	}
	assert_int_equal(rc, -1);
	if (!strstr(e.msg, r->msg) || e.off != r->off)
		fail_msg("'%s': got off %u msg \"%s\", want off %u msg containing \"%s\"", r->spec, e.off,
		         e.msg, r->off, r->msg);
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Hostile inputs                                                      */

static char *nest(unsigned depth, const char *core)
{
	size_t n = strlen(core) + 2 * (size_t)depth + 1;
	char *s = malloc(n);
	assert_non_null(s);
	memset(s, '[', depth);
	strcpy(s + depth, core);
	memset(s + depth + strlen(core), ']', depth);
	s[n - 1] = '\0';
	return s;
}

static void test_deep_nesting(void **state)
{
	struct addr_set as;
	struct rule_err e;
	char *s = nest(RULE_ADDR_MAX_DEPTH - 1, "1.2.3.4");
	assert_int_equal(addr_set_parse(s, (uint32_t)strlen(s), NULL, 0, &as, &e), 0);
	addr_set_free(&as);
	free(s);
	s = nest(RULE_ADDR_MAX_DEPTH, "1.2.3.4");
	assert_int_equal(addr_set_parse(s, (uint32_t)strlen(s), NULL, 0, &as, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than"));
	assert_int_equal(e.off, RULE_ADDR_MAX_DEPTH - 1);
	free(s);
	/* 100k brackets: stops at the cap, no stack exhaustion */
	s = nest(100000, "1.2.3.4");
	assert_int_equal(addr_set_parse(s, (uint32_t)strlen(s), NULL, 0, &as, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than"));
	free(s);
	s = nest(100000, "!");
	{
		struct port_set ps;
		assert_int_equal(port_set_parse(s, (uint32_t)strlen(s), NULL, 0, &ps, &e), -1);
	}
	free(s);
}

/* Variables D0 -> D1 -> ... each "$Dn+1"; the last holds an address. */
static void test_var_chain(void **state)
{
	enum { N = 80 };
	struct cfg_var v[N];
	char names[N][16], vals[N][32];
	struct addr_set as;
	struct rule_err e;
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "D%d", i);
		if (i + 1 < N)
			snprintf(vals[i], sizeof(vals[i]), "$D%d", i + 1);
		else
			snprintf(vals[i], sizeof(vals[i]), "1.2.3.4");
		v[i].name = names[i];
		v[i].value = vals[i];
	}
	/* A chain of 40 is fine. */
	assert_int_equal(addr_set_parse("$D40", 4, v, N, &as, &e), 0);
	assert_true(addr_set_match(&as, &(sw_addr){ 4, { 1, 2, 3, 4 } }));
	addr_set_free(&as);
	/* 80 is past the cap: an error at the first '$', not a crash. */
	assert_int_equal(addr_set_parse("[9.9.9.9,$D0]", 13, v, N, &as, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than"));
	assert_int_equal(e.off, 9);
}

/* B0 = [$B1,$B1], B1 = [$B2,$B2], ...: 2^24 elements if expanded. */
static void test_expansion_bomb(void **state)
{
	enum { N = 25 };
	struct cfg_var v[N];
	char names[N][16], vals[N][40];
	struct port_set ps;
	struct rule_err e;
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "B%d", i);
		if (i + 1 < N)
			snprintf(vals[i], sizeof(vals[i]), "[$B%d,$B%d]", i + 1, i + 1);
		else
			snprintf(vals[i], sizeof(vals[i]), "5060");
		v[i].name = names[i];
		v[i].value = vals[i];
	}
	assert_int_equal(port_set_parse("$B0", 3, v, N, &ps, &e), -1);
	assert_non_null(strstr(e.msg, "elements after expanding variables"));
	assert_int_equal(e.off, 0);
	/* a small one is fine */
	assert_int_equal(port_set_parse("$B20", 4, v, N, &ps, &e), 0);
	assert_int_equal(ps.n, 1);
	port_set_free(&ps);
}

static void test_long_list(void **state)
{
	enum { N = 30000 };
	size_t cap = (size_t)N * 20 + 8, n = 0;
	char *s = malloc(cap);
	struct addr_set as;
	struct rule_err e;
	assert_non_null(s);
	s[n++] = '[';
	/* every other address of 10.0.0.0/16 and beyond, in reverse order */
	for (int i = N - 1; i >= 0; i--) {
		unsigned v = (unsigned)i * 2;
		n += (size_t)snprintf(s + n, cap - n, "%s10.%u.%u.%u", i == N - 1 ? "" : ",", v >> 16,
		                      (v >> 8) & 255, v & 255);
	}
	s[n++] = ']';
	assert_int_equal(addr_set_parse(s, (uint32_t)n, NULL, 0, &as, &e), 0);
	assert_int_equal(as.n, N);
	for (unsigned i = 0; i < 200; i++) {
		unsigned v = i * 2 + 1000;
		sw_addr a = { 4, { 10, (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v } };
		assert_int_equal(addr_set_match(&as, &a), 1);
		a.a[3] = (uint8_t)(v + 1);
		assert_int_equal(addr_set_match(&as, &a), 0);
	}
	addr_set_free(&as);
	free(s);
}

/* Checks a parsed set: sorted, disjoint, not adjacent, well formed. */
static void check_addr_set(const struct addr_set *as)
{
	for (uint32_t i = 0; i < as->n; i++) {
		const struct addr_range *r = &as->r[i];
		size_t w = r->lo.family == 4 ? 4 : 16;
		assert_true(r->lo.family == 4 || r->lo.family == 6);
		assert_int_equal(r->lo.family, r->hi.family);
		assert_true(memcmp(r->lo.a, r->hi.a, w) <= 0);
		if (i) {
			const struct addr_range *p = &as->r[i - 1];
			if (p->lo.family == r->lo.family) {
				/* p.hi + 1 < r.lo: strictly below with a gap */
				assert_true(memcmp(p->hi.a, r->lo.a, w) < 0);
			} else {
				assert_true(p->lo.family < r->lo.family);
			}
		}
	}
}

static void check_port_set(const struct port_set *ps)
{
	for (uint32_t i = 0; i < ps->n; i++) {
		assert_true(ps->r[i].lo <= ps->r[i].hi);
		if (i)
			assert_true((unsigned)ps->r[i - 1].hi + 1 < ps->r[i].lo);
	}
}

static void test_prefixes(void **state)
{
	static const char *const valid[] = {
		"[10.0.0.0/8,!10.1.0.0/16,2001:db8::1-2001:db8::9,![1.1.1.1,$HOME_NET]]",
		"![1.2.3.4/255.255.0.0, $MIXED, !$EXTERNAL_NET]",
		"[1:80,![2,4],$SIP_PORTS, 1024: ]",
	};
	for (size_t k = 0; k < SW_ARRAY_SIZE(valid); k++) {
		size_t len = strlen(valid[k]);
		for (size_t n = 0; n <= len; n++) {
			struct guard_buf g;
			const char *s = guard_copy(&g, valid[k], n);
			struct rule_err e;
			struct addr_set as;
			struct port_set ps;
			memset(&e, 0, sizeof(e));
			if (addr_set_parse(s, (uint32_t)n, avars, NA, &as, &e) == 0)
				check_addr_set(&as);
			else
				assert_true(e.off <= n && e.msg[0]);
			addr_set_free(&as);
			if (port_set_parse(s, (uint32_t)n, pvars, NP, &ps, &e) == 0)
				check_port_set(&ps);
			else
				assert_true(e.off <= n && e.msg[0]);
			port_set_free(&ps);
			guard_free(&g);
		}
	}
}

static void test_random(void **state)
{
	static const char alpha[] = "[]!,$: -/.0123456789abcdefAnyHOME_NETSIP_PORTS::";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int it = 0; it < 20000; it++) {
		char buf[48];
		size_t n;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = x % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = alpha[x % (sizeof(alpha) - 1)];
		}
		{
			struct guard_buf g;
			const char *s = guard_copy(&g, buf, n);
			struct rule_err e;
			struct addr_set as;
			struct port_set ps;
			if (addr_set_parse(s, (uint32_t)n, avars, NA, &as, &e) == 0)
				check_addr_set(&as);
			else
				assert_true(e.off <= n);
			addr_set_free(&as);
			if (port_set_parse(s, (uint32_t)n, pvars, NP, &ps, &e) == 0)
				check_port_set(&ps);
			else
				assert_true(e.off <= n);
			port_set_free(&ps);
			guard_free(&g);
		}
	}
}

static void test_free_null(void **state)
{
	struct addr_set z = { 0 };
	struct port_set pz = { 0 };
	sw_addr a = { 4, { 1, 2, 3, 4 } };
	addr_set_free(NULL);
	port_set_free(NULL);
	/* the all-zero set is valid and empty */
	assert_int_equal(addr_set_match(&z, &a), 0);
	assert_int_equal(port_set_match(&pz, 80), 0);
	addr_set_free(&z);
}

static void test_str_truncation(void **state)
{
	struct addr_set as;
	struct rule_err e;
	char small[8];
	assert_int_equal(addr_set_parse("[1.2.3.4,5.6.7.8]", 17, NULL, 0, &as, &e), 0);
	assert_int_equal(addr_set_str(&as, small, sizeof(small)), strlen("1.2.3.4,5.6.7.8"));
	assert_string_equal(small, "1.2.3.4");
	assert_int_equal(addr_set_str(&as, NULL, 0), strlen("1.2.3.4,5.6.7.8"));
	addr_set_free(&as);
}

/* ------------------------------------------------------------------ */
/* rule_vars_check                                                     */

static void test_vars_check(void **state)
{
	char err[256];
	struct cfg_var good_a[] = { { "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
		                    { "EXTERNAL_NET", "!$HOME_NET" },
		                    { "HTTP_SERVERS", "$HOME_NET" } };
	struct cfg_var good_p[] = { { "SIP_PORTS", "[5060,5061]" },
		                    { "RTP_PORTS", "10000:60000" },
		                    { "HTTP_PORTS", "80" },
		                    { "SHELLCODE_PORTS", "!80" },
		                    { "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" } };
	struct cfg_var any_home[] = { { "HOME_NET", "any" }, { "EXTERNAL_NET", "!$HOME_NET" } };
	struct cfg_var bad_name[] = { { "HOME-NET", "1.2.3.4" } };
	struct cfg_var empty_name[] = { { "", "1.2.3.4" } };
	struct cfg_var unknown[] = { { "DNS_SERVERS", "[$HOME_NET,8.8.8.8]" } };
	struct cfg_var loop[] = { { "A", "$B" }, { "B", "[1.2.3.4,$A]" } };
	struct cfg_var dup[] = { { "A", "1.2.3.4" }, { "A", "5.6.7.8" } };
	struct cfg_var bad_port[] = { { "SIP_PORTS", "[5060,70000]" } };

	assert_int_equal(rule_vars_check(good_a, 3, good_p, 5, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(rule_vars_check(NULL, 0, NULL, 0, err, sizeof(err)), 0);

	assert_int_equal(rule_vars_check(any_home, 2, good_p, 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vars.address-groups.EXTERNAL_NET"));
	assert_non_null(strstr(err, "negated"));

	assert_int_equal(rule_vars_check(bad_name, 1, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "HOME-NET"));
	assert_int_equal(rule_vars_check(empty_name, 1, NULL, 0, err, sizeof(err)), -1);

	assert_int_equal(rule_vars_check(unknown, 1, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DNS_SERVERS"));
	assert_non_null(strstr(err, "unknown address variable $HOME_NET"));

	assert_int_equal(rule_vars_check(loop, 2, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "variable loop"));

	assert_int_equal(rule_vars_check(dup, 2, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "defined twice"));

	assert_int_equal(rule_vars_check(good_a, 3, bad_port, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vars.port-groups.SIP_PORTS"));
	assert_non_null(strstr(err, "70000"));
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("hostile: nesting at and past the cap", test_deep_nesting),
		NAMED("hostile: variable chain past the cap", test_var_chain),
		NAMED("hostile: variable expansion bomb", test_expansion_bomb),
		NAMED("hostile: 30000-element list", test_long_list),
		NAMED("hostile: every prefix of valid specs", test_prefixes),
		NAMED("hostile: 20000 random specs", test_random),
		NAMED("api: free NULL, zero set empty", test_free_null),
		NAMED("api: addr_set_str truncates like snprintf", test_str_truncation),
		NAMED("vars: rule_vars_check", test_vars_check),
	};
	size_t ns = SW_ARRAY_SIZE(set_rows), nm = SW_ARRAY_SIZE(match_rows),
	       npm = SW_ARRAY_SIZE(port_match_rows), ne = SW_ARRAY_SIZE(err_rows);
	size_t n = ns + nm + npm + ne + SW_ARRAY_SIZE(extra), k = 0;
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < ns; i++, k++) {
		t[k].name = set_rows[i].name;
		t[k].test_func = run_set;
		t[k].initial_state = (void *)&set_rows[i];
	}
	for (size_t i = 0; i < nm; i++, k++) {
		t[k].name = match_rows[i].name;
		t[k].test_func = run_match;
		t[k].initial_state = (void *)&match_rows[i];
	}
	for (size_t i = 0; i < npm; i++, k++) {
		t[k].name = port_match_rows[i].name;
		t[k].test_func = run_port_match;
		t[k].initial_state = (void *)&port_match_rows[i];
	}
	for (size_t i = 0; i < ne; i++, k++) {
		t[k].name = err_rows[i].name;
		t[k].test_func = run_err;
		t[k].initial_state = (void *)&err_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	rc = _cmocka_run_group_tests("rule_addr", t, n, NULL, NULL);
	free(t);
	return rc;
}
