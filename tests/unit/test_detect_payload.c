/*
 * test_detect_payload.c - payload keywords (content and its modifiers,
 * uricontent, pcre, byte_test, byte_jump, byte_extract, isdataat, bsize)
 * and the payload inspection engine (engine/detect_payload.c).
 *
 * Rows:
 *   match   rule options as written in a rule, a buffer (placed against a
 *           PROT_NONE guard page), whether the list must match. Every
 *           example of Suricata's payload-keywords documentation is here,
 *           plus negation, retries, hostile windows and pcre limits.
 *   error   options whose last one must fail setup, with the offset (inside
 *           that option's value) and a piece of the message.
 *   fast    which pattern detect_payload_fast_pattern() picks.
 *   ET      every rule of the ET Open VoIP excerpt in ../shared/corpus
 *           (read at test time, skipped when absent): its payload options
 *           must all be accepted.
 *
 * Options are fed straight to the keywords' setup functions on a zeroed
 * struct rule (cur_buf -1), split the way the rule parser does. The
 * pseudo-option buffer:NAME selects a sticky buffer; a row then matches the
 * list of that buffer, else the packet payload's.
 */
#include "test_util.h"

#include <time.h>

#include "common.h"
#include "detect.h"
#include "detect_payload.h"

/* ------------------------------------------------------------------ */
/* Harness                                                             */

static struct det_thread thr;

static void kw_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	detect_transform_register(); /* the inactive http.* buffers */
	detect_payload_register();
}

static int is_payload_kw(const char *name, size_t n)
{
	static const char *const mine[] = {
		"content", "uricontent", "nocase", "depth", "offset", "distance", "within",
		"startswith", "endswith", "fast_pattern", "rawbytes", "pcre", "byte_test",
		"byte_jump", "byte_extract", "isdataat", "bsize",
	};
	for (size_t i = 0; i < SW_ARRAY_SIZE(mine); i++)
		if (strlen(mine[i]) == n && memcmp(mine[i], name, n) == 0)
			return 1;
	return 0;
}

static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * Applies "kw:val; kw; ..." to r. Returns 0, or the 1-based index of the
 * option that failed (e filled). only_payload: ignore keywords this test
 * does not own (msg, sid, flow, threshold... of corpus rules).
 */
static int apply_opts(struct rule *r, const char *opts, int only_payload, struct rule_err *e,
                      int *sel_buf)
{
	const char *p = opts;
	int idx = 0;
	*sel_buf = -1;
	while (*p) {
		const char *name, *val = NULL, *q;
		size_t nn, vn = 0;
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (!*p)
			break;
		idx++;
		name = p;
		while (*p && *p != ':' && *p != ';')
			p++;
		nn = (size_t)(p - name);
		trim(&name, &nn);
		if (*p == ':') {
			val = ++p;
			for (q = p; *q && *q != ';'; q++)
				if (*q == '\\' && q[1])
					q++;
			vn = (size_t)(q - val);
			trim(&val, &vn);
			p = q;
		}
		if (nn == 6 && memcmp(name, "buffer", 6) == 0) {
			int id = detect_buf_find(val, vn);
			assert_true(id >= 0);
			assert_int_equal(rule_select_buffer(r, (unsigned)id, e), 0);
			*sel_buf = id;
			continue;
		}
		if (only_payload && !is_payload_kw(name, nn))
			continue;
		int kid = detect_kw_find(name, nn);
		if (kid < 0) {
			fprintf(stderr, "unknown keyword %.*s\n", (int)nn, name);
			fail();
		}
		const struct det_kw *k = detect_kw_get((unsigned)kid);
		if ((k->flags & KW_NOVALUE) && val) {
			e->off = 0;
			snprintf(e->msg, sizeof(e->msg), "%s takes no value", k->name);
			return idx;
		}
		if ((k->flags & KW_VALUE) && !val) {
			e->off = 0;
			snprintf(e->msg, sizeof(e->msg), "%s needs a value", k->name);
			return idx;
		}
		memset(e, 0, sizeof(*e));
		if (k->setup(r, val, (uint32_t)vn, e) != 0)
			return idx;
	}
	return 0;
}

static void rule_clear(struct rule *r)
{
	for (unsigned i = 0; i < r->n_bufs; i++)
		sm_list_free(&r->bufs[i].pm);
	memset(r, 0, sizeof(*r));
	r->cur_buf = -1;
}

static const struct sm_list *list_of(struct rule *r, int buf_id)
{
	for (unsigned i = 0; i < r->n_bufs; i++)
		if (r->bufs[i].buf_id == (buf_id < 0 ? DBUF_PKT : (unsigned)buf_id))
			return &r->bufs[i].pm;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Match rows                                                          */

struct match_row {
	const char *name;
	const char *opts;
	const char *buf;
	size_t len;
	int want;
};

#define M(name, opts, lit, want) { name, opts, lit, sizeof(lit) - 1, want }

/* Suricata's isdataat tables: an 8-byte and a 32-byte buffer. */
#define B8 "abcdefgh"
#define B32 "0123456789abcdefghijklmnopqrstuv"
/* Suricata's Firefox example (negative distance on a negated content). */
#define FF_OPTS                                                                               \
	"content:\"User-Agent|3A| Mozilla/5.0 |28|Windows|3B| \"; content:\"Firefox/3.\"; "     \
	"distance:0; content:!\"Firefox/3.6.13\"; distance:-10;"
#define FF_UA "User-Agent: Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.2.13) Gecko/20101203 "
/* ET 2022024: H.323 in a Q.931 call setup, a byte_jump chain. */
#define H323_OPTS                                                                              \
	"content:\"|08|\"; offset:4; depth:1; byte_jump:1,0,relative; content:\"|05 04|\"; "       \
	"within:2; byte_jump:1,0,relative; content:\"|70|\"; byte_jump:1,0,relative; "             \
	"content:\"|7E|\"; within:1; byte_test:1,!&,0x0F,3,relative; isdataat:31;"
#define H323_PKT                                                                               \
	"\x03\x00\x00\x30\x08\x01\xaa\x05\x04\x03\xbb\xbb\xbb\x70\x02\xcc\xcc\x7e\x00\x00\x00"     \
	"\xf0zzzzzzzzzzzzzzzzzz"
/* 36 'a' then '!': catastrophic for (a+)+$ */
#define AAA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"
#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define X1000 X100 X100 X100 X100 X100 X100 X100 X100 X100 X100

static const struct match_row match_rows[] = {
	/* content: bytes, hex, escapes */
	M("content: plain found", "content:\"abc\";", "xxabcxx", 1),
	M("content: plain absent", "content:\"abc\";", "xxabxcx", 0),
	M("content: doc a|0D|bc", "content:\"a|0D|bc\";", "za\rbcz", 1),
	M("content: doc |61 0D 62 63|", "content:\"|61 0D 62 63|\";", "a\rbc", 1),
	M("content: doc a|0D|b|63|", "content:\"a|0D|b|63|\";", "a\rbc", 1),
	M("content: doc http|3A|//", "content:\"http|3A|//\";", "GET http://x", 1),
	M("content: hex lower case and commas", "content:\"|3a,3B|\";", "x:;", 1),
	M("content: hex NUL byte", "content:\"a|00|b\";", "a\0b", 1),
	M("content: hex NUL byte absent", "content:\"a|00|b\";", "a b", 0),
	M("content: escaped ;", "content:\"a\\;b\";", "a;b", 1),
	M("content: escaped quote", "content:\"say \\\"hi\\\"\";", "say \"hi\"", 1),
	M("content: escaped backslash", "content:\"a\\\\b\";", "a\\b", 1),
	M("content: escaped colon", "content:\"a\\:b\";", "a:b", 1),
	M("content: unescaped colon", "content:\"sip:bob\";", "INVITE sip:bob", 1),
	M("content: case sensitive", "content:\"ABC\";", "abc", 0),
	M("content: whole buffer", "content:\"abc\";", "abc", 1),
	M("content: longer than buffer", "content:\"abcd\";", "abc", 0),
	M("content: empty buffer", "content:\"a\";", "", 0),
	M("content: two absolute contents any order", "content:\"cd\"; content:\"ab\";", "abcd", 1),
	/* nocase */
	M("nocase: matches other case", "content:\"ABC\"; nocase;", "xaBcx", 1),
	M("nocase: hex byte folds too", "content:\"|41|bc\"; nocase;", "aBC", 1),
	M("nocase: only ASCII letters fold", "content:\"[a]\"; nocase;", "{A}", 0),
	M("nocase: repeated prefix (Horspool shift)", "content:\"aab\"; nocase;", "AAAAB", 1),
	M("nocase: repeated prefix absent", "content:\"aab\"; nocase;", "AAAAA", 0),
	M("nocase: long pattern", "content:\"|0d 0a|User-Agent|3A| friendly-SCANNER\"; nocase;",
	  "OPTIONS sip:x SIP/2.0\r\nuser-agent: Friendly-Scanner\r\n", 1),
	M("nocase: at the very end", "content:\"xyz\"; nocase;", "abcdXYZ", 1),
	M("nocase: one byte pattern", "content:\"q\"; nocase;", "abQ", 1),
	M("nocase: applies to its own content only", "content:\"ab\"; nocase; content:\"CD\";", "ABcd", 0),
	/* depth, offset */
	M("depth: within the first N bytes", "content:\"abc\"; depth:5;", "xxabc", 1),
	M("depth: one byte too far", "content:\"abc\"; depth:5;", "xxxabc", 0),
	M("depth: equal to the pattern", "content:\"INVITE\"; depth:6;", "INVITE sip:x", 1),
	M("offset: doc offset:3 checks the fourth byte", "content:\"d\"; offset:3;", "abcd", 1),
	M("offset: before the offset is ignored", "content:\"d\"; offset:3;", "dbca", 0),
	M("offset+depth: doc def at 3..6", "content:\"def\"; offset:3; depth:3;", "abcdef", 1),
	M("offset+depth: def at 2 misses", "content:\"def\"; offset:3; depth:3;", "abdefx", 0),
	M("offset+depth: depth counts from offset", "content:\"def\"; offset:3; depth:4;", "abcxdef", 1),
	M("depth then offset: same window", "content:\"def\"; depth:3; offset:3;", "abcdef", 1),
	M("offset past the end", "content:\"a\"; offset:100;", "aaa", 0),
	M("offset past the end, negated", "content:!\"a\"; offset:100;", "aaa", 1),
	M("huge depth is clamped to the buffer", "content:\"a\"; depth:65535;", "xa", 1),
	M("offset at the last byte", "content:\"c\"; offset:2;", "abc", 1),
	/* startswith, endswith */
	M("startswith: doc GET", "content:\"GET|20|\"; startswith;", "GET /", 1),
	M("startswith: not at start", "content:\"GET|20|\"; startswith;", " GET /", 0),
	M("endswith: doc .php", "content:\".php\"; endswith;", "/index.php", 1),
	M("endswith: not at end", "content:\".php\"; endswith;", "/index.php?x", 0),
	M("endswith: earlier occurrence and at end", "content:\".php\"; endswith;", ".php/a.php", 1),
	M("startswith+endswith: exact", "content:\"abc\"; startswith; endswith;", "abc", 1),
	M("startswith+endswith: longer buffer", "content:\"abc\"; startswith; endswith;", "abcabc", 0),
	M("endswith: relative content at end", "content:\"a\"; content:\"z\"; distance:0; endswith;", "abz", 1),
	M("endswith: relative content not at end", "content:\"a\"; content:\"z\"; distance:0; endswith;", "abzq", 0),
	M("endswith: within reaching the end", "content:\"a\"; content:\"z\"; within:2; endswith;", "abz", 1),
	M("endswith: within stops short of the end", "content:\"a\"; content:\"z\"; within:1; endswith;", "abz", 0),
	M("endswith: negated, buffer ends otherwise", "content:!\".php\"; endswith;", "/a.html", 1),
	M("endswith: negated, buffer ends so", "content:!\".php\"; endswith;", "/a.php", 0),
	M("endswith: negated, pattern only inside", "content:!\".php\"; endswith;", "/a.php?x", 1),
	M("startswith: negated", "content:!\"GET\"; startswith;", "POST /GET", 1),
	/* distance, within */
	M("distance: pattern after previous + N", "content:\"ab\"; content:\"cd\"; distance:2;", "abxxcd", 1),
	M("distance: too close", "content:\"ab\"; content:\"cd\"; distance:2;", "abxcd", 0),
	M("distance:0 right after", "content:\"ab\"; content:\"cd\"; distance:0;", "abcd", 1),
	M("distance:0 anywhere after", "content:\"ab\"; content:\"cd\"; distance:0;", "abxxxxcd", 1),
	M("distance: not before the previous match", "content:\"ab\"; content:\"cd\"; distance:0;", "cdab", 0),
	M("distance beyond the end", "content:\"a\"; content:\"b\"; distance:100;", "ab", 0),
	M("within: doc within 3", "content:\"a\"; content:\"b\"; within:3;", "axxb", 1),
	M("within: one too far", "content:\"a\"; content:\"b\"; within:3;", "axxxb", 0),
	M("within: window counts from previous end", "content:\"ab\"; content:\"cd\"; within:4;", "abxxcd", 1),
	M("within: window too small", "content:\"ab\"; content:\"cd\"; within:3;", "abxxcd", 0),
	M("distance+within: exact window", "content:\"ab\"; content:\"cd\"; distance:2; within:2;", "abxxcd", 1),
	M("distance+within: within counts after distance",
	  "content:\"ab\"; content:\"cd\"; distance:2; within:2;", "abxxxcd", 0),
	M("negative distance: overlap with previous", "content:\"abcd\"; content:\"cd\"; distance:-2; within:2;", "abcd", 1),
	M("negative distance: before the buffer start is clamped", "content:\"ab\"; content:\"ab\"; distance:-100;", "ab", 1),
	M("negative distance+within ending before the start",
	  "content:\"abc\"; content:\"x\"; distance:-10; within:1;", "abcx", 0),
	M("negative distance+within ending before the start, negated",
	  "content:\"abc\"; content:!\"x\"; distance:-10; within:1;", "xabcx", 1),
	M("doc Firefox: 3.6.13 is excluded", FF_OPTS, FF_UA "Firefox/3.6.13", 0),
	M("doc Firefox: 3.6.12 alerts", FF_OPTS, FF_UA "Firefox/3.6.12", 1),
	M("doc Firefox: 3.5 alerts", FF_OPTS, FF_UA "Firefox/3.5.1", 1),
	M("relative without previous: from the start", "content:\"ab\"; distance:0;", "xab", 1),
	M("relative within without previous", "content:\"ab\"; within:2;", "xab", 0),
	/* retries */
	M("retry: previous content at its next occurrence", "content:\"a\"; content:\"b\"; within:1;", "axab", 1),
	M("retry: no occurrence fits", "content:\"a\"; content:\"b\"; within:1;", "axaxa", 0),
	M("retry: nested", "content:\"a\"; content:\"b\"; distance:0; content:\"c\"; within:1;", "abxabc", 1),
	M("retry: negated relative retries previous", "content:\"a\"; content:!\"b\"; distance:0;", "ab a", 1),
	M("retry: negated relative, every a followed by b", "content:\"a\"; content:!\"b\"; within:1;", "abab", 0),
	M("retry: through a relative isdataat", "content:\"a\"; isdataat:!1,relative;", "a a", 1),
	M("retry: pcre /R after content", "content:\"a\"; pcre:\"/^b/R\";", "acab", 1),
	M("retry: content within after pcre", "pcre:\"/a./\"; content:\"c\"; within:1;", "axbaxc", 1),
	/* negation */
	M("negated: absent", "content:!\"evil\";", "good", 1),
	M("negated: present", "content:!\"evil\";", "very evil", 0),
	M("negated: with a blank after !", "content:! \"evil\";", "good", 1),
	M("negated: empty buffer", "content:!\"a\";", "", 1),
	M("negated: nocase", "content:!\"EVIL\"; nocase;", "evil", 0),
	M("negated: depth outside", "content:!\"evil\"; depth:4;", "xxevil", 1),
	M("ET 2003474: REGISTER without SIP/",
	  "content:\"REGISTER|0d 0a|\"; nocase; depth:10; content:!\"SIP/\"; distance:0;",
	  "REGISTER\r\nVia: x\r\n", 1),
	M("ET 2003474: REGISTER with SIP/ later",
	  "content:\"REGISTER|0d 0a|\"; nocase; depth:10; content:!\"SIP/\"; distance:0;",
	  "register\r\nVia: SIP/2.0/UDP\r\n", 0),
	M("ET 2011422: sipvicious OPTIONS",
	  "content:\"OPTIONS \"; depth:8; content:\"ccxllrlflgig|22|<sip|3A|100\"; nocase; distance:0;",
	  "OPTIONS sip:100@x SIP/2.0\r\nFrom: \"CcxllrlflgiG\"<sip:100@y>", 1),
	M("fast_pattern: no effect on matching", "content:\"a\"; content:\"bcd\"; fast_pattern;", "abcd", 1),
	M("fast_pattern chop: no effect on matching", "content:\"aaaaaaaaabc\"; fast_pattern:8,3;", "aaaaaaaaabc", 1),
	M("fast_pattern only: matches", "content:\"abc\"; fast_pattern:only;", "xabc", 1),
	M("rawbytes: accepted, no effect", "content:\"abc\"; rawbytes;", "abc", 1),
	/* pcre */
	M("pcre: doc six digits", "pcre:\"/[0-9]{6}/\";", "abc123456", 1),
	M("pcre: five digits", "pcre:\"/[0-9]{6}/\";", "ab12345", 0),
	M("pcre: doc NICK /i", "content:\"NICK \"; pcre:\"/NICK .*USA.*[0-9]{3,}/i\";", "NICK foo_usa123", 1),
	M("pcre: case sensitive by default", "pcre:\"/nick/\";", "NICK", 0),
	M("pcre: s dotall", "pcre:\"/a.b/s\";", "a\nb", 1),
	M("pcre: dot stops at newline", "pcre:\"/a.b/\";", "a\nb", 0),
	M("pcre: m multiline", "pcre:\"/^b/m\";", "a\nb", 1),
	M("pcre: ^ is the buffer start", "pcre:\"/^b/\";", "a\nb", 0),
	M("pcre: A anchored", "pcre:\"/b/A\";", "ab", 0),
	M("pcre: A anchored at start", "pcre:\"/b/A\";", "ba", 1),
	M("pcre: $ before a final newline", "pcre:\"/a$/\";", "a\n", 1),
	M("pcre: E dollar end only", "pcre:\"/a$/E\";", "a\n", 0),
	M("pcre: x extended", "pcre:\"/a b c/x\";", "abc", 1),
	M("pcre: greedy, then within fails", "pcre:\"/a.*b/\"; content:\"c\"; within:1;", "a1bcb", 0),
	M("pcre: G ungreedy, then within holds", "pcre:\"/a.*b/G\"; content:\"c\"; within:1;", "a1bcb", 1),
	M("pcre: R relative to content", "content:\"a\"; pcre:\"/^b/R\";", "ab", 1),
	M("pcre: R, ^ anchors at the cursor", "content:\"a\"; pcre:\"/^b/R\";", "axb", 0),
	M("pcre: R, not before the cursor", "content:\"x\"; pcre:\"/a/R\";", "ax", 0),
	M("pcre: negated absent", "pcre:!\"/evil/\";", "good", 1),
	M("pcre: negated present", "pcre:!\"/evil/\";", "evil", 0),
	M("pcre: escaped ; in the regex", "pcre:\"/a\\;b/\";", "a;b", 1),
	M("pcre: escaped slash", "pcre:\"/^\\/g($|[?#])/\";", "/g?x", 1),
	M("pcre: binary subject", "pcre:\"/\\x00\\xff/\";", "a\0\xff", 1),
	M("pcre: empty buffer", "pcre:\"/^$/\";", "", 1),
	M("pcre: O and B accepted", "pcre:\"/abc/OB\";", "abc", 1),
	M("pcre: capture suffix ignored", "pcre:\"/(a)b/, flow:ua/x\";", "ab", 1),
	M("pcre: match then relative content", "pcre:\"/b+/\"; content:\"c\"; distance:0; within:1;", "abbbc", 1),
	M("pcre: catastrophic pattern hits the limit (no match)", "pcre:\"/(a+)+$/\";", AAA, 0),
	M("pcre: catastrophic negated is no match either", "pcre:!\"/(a+)+$/\";", AAA, 0),
	M("ET 2002848: INVITE overflow (big body)",
	  "content:\"INVITE\"; depth:6; nocase; pcre:\"/\\r?\\n\\r?\\n/R\"; isdataat:1000,relative;",
	  "INVITE sip:x SIP/2.0\r\nA: b\r\n\r\n" X1000, 1),
	M("ET 2002848: INVITE overflow (small body)",
	  "content:\"INVITE\"; depth:6; nocase; pcre:\"/\\r?\\n\\r?\\n/R\"; isdataat:1000,relative;",
	  "INVITE sip:x SIP/2.0\r\nA: b\r\n\r\n" X100, 0),
	M("GPL 2100223: a= line of 1000+",
	  "content:\"|3B|branch|3D|\"; content:\"a|3D|\"; pcre:\"/^a\\x3D[^\\n]{1000,}/smi\";",
	  "Via: x;branch=z\r\na=" X1000 "\r\n", 1),
	M("GPL 2100223: a= line short",
	  "content:\"|3B|branch|3D|\"; content:\"a|3D|\"; pcre:\"/^a\\x3D[^\\n]{1000,}/smi\";",
	  "Via: x;branch=z\r\na=" X100 "\r\n", 0),
	/* isdataat: Suricata's tables */
	M("isdataat: doc isdataat:7 (8 bytes)", "isdataat:7;", B8, 1),
	M("isdataat: doc isdataat:8 (8 bytes)", "isdataat:8;", B8, 0),
	M("isdataat: doc 7,relative (8 bytes)", "isdataat:7,relative;", B8, 1),
	M("isdataat: doc 8,relative (8 bytes)", "isdataat:8,relative;", B8, 1),
	M("isdataat: doc 9,relative (8 bytes)", "isdataat:9,relative;", B8, 0),
	M("isdataat: doc c then 4,relative", "content:\"c\"; isdataat:4,relative;", B8, 1),
	M("isdataat: doc c then 5,relative", "content:\"c\"; isdataat:5,relative;", B8, 1),
	M("isdataat: doc c then 6,relative", "content:\"c\"; isdataat:6,relative;", B8, 0),
	M("isdataat: doc isdataat:31 (32 bytes)", "isdataat:31;", B32, 1),
	M("isdataat: doc isdataat:32 (32 bytes)", "isdataat:32;", B32, 0),
	M("isdataat: doc 31,relative (32 bytes)", "isdataat:31,relative;", B32, 1),
	M("isdataat: doc 32,relative (32 bytes)", "isdataat:32,relative;", B32, 1),
	M("isdataat: doc 33,relative (32 bytes)", "isdataat:33,relative;", B32, 0),
	M("isdataat: negated absent", "isdataat:!8;", B8, 1),
	M("isdataat: negated present", "isdataat:!7;", B8, 0),
	M("isdataat: !1,relative at the end", "content:\"h\"; isdataat:!1,relative;", B8, 1),
	M("isdataat: !1,relative not at the end", "content:\"g\"; isdataat:!1,relative;", B8, 0),
	M("isdataat: rawbytes accepted", "isdataat:1,rawbytes;", B8, 1),
	M("isdataat: empty buffer", "isdataat:0;", "", 0),
	M("ET 2003237: MultiTech overflow",
	  "content:\"INVITE\"; nocase; depth:6; isdataat:65,relative; content:!\"|0a|\"; within:61;",
	  "INVITE " X100, 1),
	M("ET 2003237: newline within 61",
	  "content:\"INVITE\"; nocase; depth:6; isdataat:65,relative; content:!\"|0a|\"; within:61;",
	  "INVITE sip:x SIP/2.0\r\n" X100, 0),
	M("ET 2003237: too short",
	  "content:\"INVITE\"; nocase; depth:6; isdataat:65,relative; content:!\"|0a|\"; within:61;",
	  "INVITE sip:x", 0),
	/* byte_test */
	M("byte_test: doc = 0x01 at 0", "content:\"|00 01 00 02|\"; byte_test:2,=,0x01,0;", "\x00\x01\x00\x02", 1),
	M("byte_test: doc = 0x03 relative",
	  "content:\"|00 01 00 02|\"; byte_test:2,=,0x03,2,relative;", "\x00\x01\x00\x02\xff\xff\x00\x03", 1),
	M("byte_test: doc = 0x03 relative, other value",
	  "content:\"|00 01 00 02|\"; byte_test:2,=,0x03,2,relative;", "\x00\x01\x00\x02\xff\xff\x00\x04", 0),
	M("byte_test: doc != 0x06", "content:\"|00 01 00 02|\"; byte_test:2,!=,0x06,0;", "\x00\x01\x00\x02", 1),
	M("byte_test: != equal value", "content:\"|00 01 00 02|\"; byte_test:2,!=,0x01,0;", "\x00\x01\x00\x02", 0),
	M("byte_test: doc > 1000 relative",
	  "content:\"|00 01 00 02|\"; byte_test:2,>,1000,1,relative;", "\x00\x01\x00\x02\x00\x10\x00", 1),
	M("byte_test: doc & lowest bit", "content:\"|00 01 00 02|\"; byte_test:2,&,0x01,12,relative;",
	  "\x00\x01\x00\x02" "ABCDEFGHIJKL\x00\x01", 1),
	M("byte_test: & bit clear", "content:\"|00 01 00 02|\"; byte_test:2,&,0x01,12,relative;",
	  "\x00\x01\x00\x02" "ABCDEFGHIJKL\x00\x02", 0),
	M("byte_test: doc string dec", "content:\"foobar\"; byte_test:4,=,1337,1,relative,string,dec;",
	  "foobar 1337", 1),
	M("byte_test: string dec other", "content:\"foobar\"; byte_test:4,=,1337,1,relative,string,dec;",
	  "foobar 1338", 0),
	M("byte_test: string hex", "byte_test:2,=,255,0,string,hex;", "ff", 1),
	M("byte_test: string oct", "byte_test:2,=,15,0,string,oct;", "17", 1),
	M("byte_test: string without digits", "byte_test:2,=,0,0,string,dec;", "ab", 0),
	M("byte_test: < and <=", "byte_test:1,<,5,0; byte_test:1,<=,4,0;", "\x04", 1),
	M("byte_test: > and >=", "byte_test:1,>,3,0; byte_test:1,>=,4,0;", "\x04", 1),
	M("byte_test: ^ differs", "byte_test:1,^,4,0;", "\x04", 0),
	M("byte_test: ! alone means not equal", "byte_test:1,!,4,0;", "\x05", 1),
	M("byte_test: !< ", "byte_test:1,!<,4,0;", "\x05", 1),
	M("byte_test: little endian", "byte_test:2,=,0x0102,0,little;", "\x02\x01", 1),
	M("byte_test: big endian explicit", "byte_test:2,=,0x0102,0,big;", "\x01\x02", 1),
	M("byte_test: 8 bytes", "byte_test:8,=,0x0102030405060708,0;", "\x01\x02\x03\x04\x05\x06\x07\x08", 1),
	M("byte_test: bitmask then shift", "byte_test:2,=,0x0f,0,bitmask 0x0f00;", "\x0f\xff", 1),
	M("byte_test: octal value", "byte_test:1,=,010,0;", "\x08", 1),
	M("ET 2022024 test: !& low nibble clear", "byte_test:1,!&,0x0F,0;", "\xf0", 1),
	M("ET 2022024 test: !& low nibble set", "byte_test:1,!&,0x0F,0;", "\xf1", 0),
	M("byte_test: past the end", "byte_test:4,=,0,0;", "\0\0", 0),
	M("byte_test: negative relative offset", "content:\"xy\"; byte_test:1,=,0x78,-2,relative;", "xy", 1),
	M("byte_test: negative absolute offset", "byte_test:1,=,0x78,-1;", "xy", 0),
	M("byte_test: relative at the end", "content:\"xy\"; byte_test:1,=,0,0,relative;", "xy", 0),
	/* byte_jump */
	M("byte_jump: doc Alice/Bob", "content:\"Alice\"; byte_jump:2,0; content:\"Bob\";", "\x00\x03" "AliceBob", 1),
	M("byte_jump: doc multiple jumps",
	  "byte_jump:2,0; byte_jump:2,0,relative; content:\"foobar\"; distance:0; within:6;",
	  "\x00\x02XX\x00\x01Yfoobar", 1),
	M("byte_jump: multiple jumps land wrong",
	  "byte_jump:2,0; byte_jump:2,0,relative; content:\"foobar\"; distance:0; within:6;",
	  "\x00\x02XX\x00\x02Yfoobar", 0),
	M("byte_jump: doc from_end -8",
	  "byte_jump:0,0, from_end, post_offset -8; content:\"|6c 33 33 74|\"; distance:0; within:4;",
	  "xxxxxxxxl33tyyyy", 1),
	M("byte_jump: from_beginning", "byte_jump:1,1,from_beginning; content:\"Z\"; distance:0; within:1;",
	  "x\x05xxxZ", 1),
	M("byte_jump: align to 4", "byte_jump:1,0,align; content:\"Z\"; distance:0; within:1;", "\x01xxxxZ", 1),
	M("byte_jump: multiplier", "byte_jump:1,0,multiplier 2; content:\"Z\"; distance:0; within:1;",
	  "\x02xxxxZ", 1),
	M("byte_jump: post_offset", "byte_jump:1,0,post_offset 2; content:\"Z\"; distance:0; within:1;",
	  "\x01xxxZ", 1),
	M("byte_jump: string dec", "byte_jump:2,0,string,dec; content:\"X\"; distance:0; within:1;", "03abcX", 1),
	M("byte_jump: string jump counts the digits read",
	  "byte_jump:3,0,string,dec; content:\"X\"; distance:0; within:1;", "2 aX", 1),
	M("byte_jump: bitmask", "byte_jump:1,0,bitmask 0xf0; content:\"Z\"; distance:0; within:1;",
	  "\x2fxxZ", 1),
	M("byte_jump: little endian", "byte_jump:2,0,little; content:\"Z\"; distance:0; within:1;",
	  "\x01\x00xZ", 1),
	M("byte_jump: before the start lands on the start",
	  "byte_jump:1,0,post_offset -100; content:\"Q\"; distance:0; within:1;", "Qx", 1),
	M("byte_jump: exactly to the end", "byte_jump:1,0; isdataat:!1,relative;", "\x02xy", 1),
	M("byte_jump: past the end", "byte_jump:1,0;", "\x05xy", 0),
	M("byte_jump: huge value", "byte_jump:8,0,multiplier 65535;", "\xff\xff\xff\xff\xff\xff\xff\xff", 0),
	M("byte_jump: nbytes past the end", "byte_jump:4,0;", "\x00\x00", 0),
	M("byte_jump: empty buffer", "byte_jump:0,0;", "", 0),
	M("ET 2022024: H.323 call setup", H323_OPTS, H323_PKT, 1),
	M("ET 2022024: H.323 low nibble set",
	  H323_OPTS, "\x03\x00\x00\x30\x08\x01\xaa\x05\x04\x03\xbb\xbb\xbb\x70\x02\xcc\xcc\x7e\x00\x00\x00"
	  "\xf1zzzzzzzzzzzzzzzzzz", 0),
	M("ET 2022024: H.323 wrong message type",
	  H323_OPTS, "\x03\x00\x00\x30\x08\x01\xaa\x05\x05\x03\xbb\xbb\xbb\x70\x02\xcc\xcc\x7e\x00\x00\x00"
	  "\xf0zzzzzzzzzzzzzzzzzz", 0),
	/* byte_extract */
	M("byte_extract: doc distance:size",
	  "content:\"Alice\"; byte_extract:2,0,size; content:\"Bob\"; distance:size; within:3;",
	  "\x00\x02xxBobAlice", 1),
	M("byte_extract: doc distance:size, Bob elsewhere",
	  "content:\"Alice\"; byte_extract:2,0,size; content:\"Bob\"; distance:size; within:3;",
	  "\x00\x02xxxBobAlice", 0),
	M("byte_extract: doc within:len",
	  "content:\"|00 FF|\"; byte_extract:1,0,len,relative; content:\"|5c 00|\"; distance:2; within:len;",
	  "\x00\xff\x04xxx\x5c\x00", 1),
	M("byte_extract: doc within:len too short",
	  "content:\"|00 FF|\"; byte_extract:1,0,len,relative; content:\"|5c 00|\"; distance:2; within:len;",
	  "\x00\xff\x02xxx\x5c\x00", 0),
	M("byte_extract: doc byte_test value",
	  "content:\"|00 FF|\"; byte_extract:2,0,cmp_ver,relative; content:\"FooBar\"; distance:0; "
	  "byte_test:2,=,cmp_ver,0;",
	  "\x12\x34\x00\xff\x12\x34" "FooBar", 1),
	M("byte_extract: byte_test value differs",
	  "content:\"|00 FF|\"; byte_extract:2,0,cmp_ver,relative; content:\"FooBar\"; distance:0; "
	  "byte_test:2,=,cmp_ver,0;",
	  "\x12\x35\x00\xff\x12\x34" "FooBar", 0),
	M("byte_extract: depth and offset from variables",
	  "byte_extract:1,0,o; byte_extract:1,1,d; content:\"ab\"; offset:o; depth:d;", "\x04\x02xxab", 1),
	M("byte_extract: depth from variable too small",
	  "byte_extract:1,0,o; byte_extract:1,1,d; content:\"ab\"; offset:o; depth:d;", "\x04\x01xxab", 0),
	M("byte_extract: isdataat variable", "byte_extract:1,0,n; isdataat:n;", "\x03xyz", 1),
	M("byte_extract: isdataat variable past end", "byte_extract:1,0,n; isdataat:n;", "\x04xyz", 0),
	M("byte_extract: byte_jump nbytes variable",
	  "byte_extract:1,0,n; byte_jump:n,0,relative; content:\"Z\"; distance:0; within:1;",
	  "\x02\x00\x01xZ", 1),
	M("byte_extract: string, multiplier, align",
	  "byte_extract:1,0,v,string,dec,multiplier 3,align 4; content:\"Z\"; distance:v; within:1;",
	  "3xxxxxxxxxxxxZ", 1),
	M("byte_extract: moves the cursor", "byte_extract:2,1,v; content:\"Z\"; distance:0; within:1;",
	  "x\x00\x01Z", 1),
	M("byte_extract: past the end", "byte_extract:4,0,v; isdataat:0;", "\x00", 0),
	/* bsize (needs a sticky buffer) */
	M("bsize: doc exact", "buffer:http.uri; content:\"google.com\"; bsize:10;", "google.com", 1),
	M("bsize: exact, longer", "buffer:http.uri; content:\"google.com\"; bsize:10;", "google.comx", 0),
	M("bsize: doc <25", "buffer:http.uri; content:\"google.com\"; bsize:<25;", "google.com", 1),
	M("bsize: doc <=20", "buffer:http.uri; content:\"google.com\"; bsize:<=20;", "google.com", 1),
	M("bsize: doc >8", "buffer:http.uri; content:\"google.com\"; bsize:>8;", "google.com", 1),
	M("bsize: doc >=8", "buffer:http.uri; content:\"google.com\"; bsize:>=8;", "google.com", 1),
	M("bsize: doc 8<>20", "buffer:http.uri; content:\"google.com\"; bsize:8<>20;", "google.com", 1),
	M("bsize: doc short <10", "buffer:http.uri; content:\"short\"; bsize:<10;", "short", 1),
	M("bsize: doc longer >10", "buffer:http.uri; content:\"longer string\"; bsize:>10;", "longer string", 1),
	M("bsize: doc 6<>15 exclusive at 6", "buffer:http.uri; content:\"middle\"; bsize:6<>15;", "middle", 0),
	M("bsize: doc 6<>15 inside", "buffer:http.uri; content:\"middle\"; bsize:6<>15;", "middle12", 1),
	M("bsize: range with dash", "buffer:http.uri; bsize:6-15;", "middle12", 1),
	M("bsize: not equal", "buffer:http.uri; bsize:!5;", "abcd", 1),
	M("bsize: not equal, equal", "buffer:http.uri; bsize:!=4;", "abcd", 0),
	M("bsize: zero on empty", "buffer:http.uri; bsize:0;", "", 1),
	M("bsize: =N", "buffer:http.uri; bsize:=3;", "abc", 1),
	/* uricontent and pcre /U go to http.uri: the payload list stays empty */
	M("uricontent: payload list unaffected", "content:\"POST \"; depth:5; uricontent:\"/g\"; nocase;", "POST /g", 1),
};

static void run_match(void **state)
{
	const struct match_row *row = *state;
	struct rule r;
	struct rule_err e;
	struct guard_buf g;
	const char *in;
	int sel, bad;
	const struct sm_list *l;

	memset(&r, 0, sizeof(r));
	r.cur_buf = -1;
	bad = apply_opts(&r, row->opts, 0, &e, &sel);
	if (bad) {
		fprintf(stderr, "option %d failed: %s (at %u)\n", bad, e.msg, e.off);
		fail();
	}
	l = list_of(&r, sel);
	assert_non_null(l);
	in = guard_copy(&g, row->buf, row->len);
	assert_int_equal(detect_payload_match(&thr, NULL, l, (const uint8_t *)in, (uint32_t)row->len),
	                 row->want);
	guard_free(&g);
	rule_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Setup errors                                                        */

struct err_row {
	const char *name;
	const char *opts; /* the last option must fail */
	uint32_t off;     /* offset inside its value */
	const char *msg;  /* a piece of the message */
};

static const struct err_row err_rows[] = {
	/* content value */
	{ "content: no quotes", "content:abc;", 0, "double quotes" },
	{ "content: no closing quote", "content:\"abc;", 3, "closing" },
	{ "content: empty", "content:\"\";", 1, "empty" },
	{ "content: ! without quotes", "content:!abc;", 1, "double quotes" },
	{ "content: odd hex digits", "content:\"a|4|b\";", 4, "incomplete hex" },
	{ "content: hex digit split by a blank", "content:\"|4 1|\";", 3, "pairs" },
	{ "content: invalid hex digit", "content:\"a|4g|\";", 4, "invalid hex" },
	{ "content: hex block not closed", "content:\"a|41\";", 2, "not closed" },
	{ "content: invalid escape", "content:\"a\\x\";", 2, "invalid escape" },
	{ "content: unescaped quote", "content:\"a\"b\";", 2, "unescaped double quote" },
	{ "content: lone backslash at the end", "content:\"a\\\";", 2, "lone backslash" },
	{ "uricontent: same checks", "uricontent:\"|zz|\";", 2, "invalid hex" },
	/* modifiers need a content */
	{ "nocase: no content", "nocase;", 0, "needs a preceding content" },
	{ "depth: no content", "depth:5;", 0, "needs a preceding content" },
	{ "offset: no content", "pcre:\"/a/\"; offset:5;", 0, "needs a preceding content" },
	{ "distance: no content", "distance:0;", 0, "needs a preceding content" },
	{ "within: no content", "within:5;", 0, "needs a preceding content" },
	{ "startswith: no content", "startswith;", 0, "needs a preceding content" },
	{ "endswith: no content", "endswith;", 0, "needs a preceding content" },
	{ "fast_pattern: no content", "fast_pattern;", 0, "needs a preceding content" },
	{ "rawbytes: no content", "rawbytes;", 0, "needs a preceding content" },
	/* duplicates */
	{ "nocase twice", "content:\"abc\"; nocase; nocase;", 0, "twice" },
	{ "depth twice", "content:\"abc\"; depth:5; depth:6;", 0, "twice" },
	{ "offset twice", "content:\"abc\"; offset:5; offset:6;", 0, "twice" },
	{ "distance twice", "content:\"abc\"; distance:5; distance:6;", 0, "twice" },
	{ "within twice", "content:\"abc\"; within:5; within:6;", 0, "twice" },
	{ "startswith twice", "content:\"abc\"; startswith; startswith;", 0, "twice" },
	{ "endswith twice", "content:\"abc\"; endswith; endswith;", 0, "twice" },
	{ "rawbytes twice", "content:\"abc\"; rawbytes; rawbytes;", 0, "twice" },
	{ "fast_pattern twice on one content", "content:\"abc\"; fast_pattern; fast_pattern;", 0, "twice" },
	/* values */
	{ "depth smaller than the pattern", "content:\"abc\"; depth:2;", 0, "smaller than the content" },
	{ "depth zero", "content:\"abc\"; depth:0;", 0, "smaller than the content" },
	{ "depth negative", "content:\"abc\"; depth:-1;", 0, "negative" },
	{ "depth too large", "content:\"abc\"; depth:70000;", 0, "0 to 65535" },
	{ "depth not a number", "content:\"abc\"; depth:5x;", 0, "expected a number" },
	{ "depth unknown variable", "content:\"abc\"; depth:nosuchvar;", 0, "byte_extract variable" },
	{ "offset negative", "content:\"abc\"; offset:-3;", 0, "negative" },
	{ "offset too large", "content:\"abc\"; offset:65536;", 0, "0 to 65535" },
	{ "distance too large", "content:\"abc\"; distance:2000000;", 0, "-1048576 to 1048576" },
	{ "distance too negative", "content:\"abc\"; distance:-1048577;", 0, "-1048576 to 1048576" },
	{ "within smaller than the pattern", "content:\"abc\"; within:2;", 0, "less than the content" },
	{ "within zero", "content:\"abc\"; within:0;", 0, "less than the content" },
	{ "within negative", "content:\"abc\"; within:-5;", 0, "less than the content" },
	{ "within too large", "content:\"abc\"; within:1048577;", 0, "-1048576 to 1048576" },
	{ "no value where one is needed", "content:\"abc\"; depth;", 0, "needs a value" },
	{ "value where none is taken", "content:\"abc\"; nocase:1;", 0, "takes no value" },
	/* absolute vs relative */
	{ "offset then distance", "content:\"abc\"; offset:1; distance:1;", 0, "relative and absolute" },
	{ "depth then within", "content:\"abc\"; depth:5; within:5;", 0, "relative and absolute" },
	{ "distance then depth", "content:\"abc\"; distance:1; depth:5;", 0, "absolute and relative" },
	{ "within then offset", "content:\"abc\"; within:5; offset:1;", 0, "absolute and relative" },
	{ "startswith then offset", "content:\"abc\"; startswith; offset:1;", 0, "startswith" },
	{ "startswith then depth", "content:\"abc\"; startswith; depth:5;", 0, "startswith" },
	{ "startswith then distance", "content:\"abc\"; startswith; distance:0;", 0, "startswith" },
	{ "offset then startswith", "content:\"abc\"; offset:2; startswith;", 0, "depth/offset" },
	{ "depth then startswith", "content:\"abc\"; depth:4; startswith;", 0, "depth/offset" },
	{ "within then startswith", "content:\"abc\"; within:4; startswith;", 0, "distance/within" },
	/* fast_pattern */
	{ "fast_pattern on two contents", "content:\"abc\"; fast_pattern; content:\"def\"; fast_pattern;", 0,
	  "only one content" },
	{ "fast_pattern:only negated", "content:!\"abc\"; fast_pattern:only;", 0, "negated" },
	{ "fast_pattern:only with depth", "content:\"abc\"; depth:5; fast_pattern:only;", 0, "depth" },
	{ "depth after fast_pattern:only", "content:\"abc\"; fast_pattern:only; depth:5;", 0, "fast_pattern:only" },
	{ "relative to fast_pattern:only", "content:\"abc\"; fast_pattern:only; content:\"d\"; distance:0;", 0,
	  "fast_pattern:only" },
	{ "fast_pattern chop too long", "content:\"abc\"; fast_pattern:2,5;", 0, "exceeds" },
	{ "fast_pattern chop zero length", "content:\"abc\"; fast_pattern:0,0;", 2, "length" },
	{ "fast_pattern chop on negated", "content:!\"abc\"; fast_pattern:0,2;", 0, "negated" },
	{ "fast_pattern bad value", "content:\"abc\"; fast_pattern:x;", 0, "expected fast_pattern" },
	{ "fast_pattern on negated relative", "content:\"a\"; content:!\"abc\"; distance:0; fast_pattern;", 0,
	  "negated" },
	{ "relative on negated fast_pattern", "content:\"a\"; content:!\"abc\"; fast_pattern; within:5;", 0,
	  "negated" },
	/* pcre */
	{ "pcre: no quotes", "pcre:/abc/;", 0, "double quotes" },
	{ "pcre: no opening slash", "pcre:\"abc\";", 1, "start with '/'" },
	{ "pcre: no closing slash", "pcre:\"/abc\";", 1, "no closing '/'" },
	{ "pcre: no closing quote", "pcre:\"/abc/;", 5, "closing double quote" },
	{ "pcre: compile error at its offset", "pcre:\"/a(b/\";", 5, "missing closing parenthesis" },
	{ "pcre: compile error inside", "pcre:\"/ab[/\";", 5, "pcre:" },
	{ "pcre: bad repeat", "pcre:\"/x**+/\";", 4, "pcre:" },
	{ "pcre: unknown modifier", "pcre:\"/a/q\";", 4, "unknown pcre modifier 'q'" },
	{ "pcre: two buffer modifiers", "pcre:\"/a/UH\";", 5, "two buffer modifiers" },
	{ "pcre: buffer modifier after a sticky buffer", "buffer:http.uri; pcre:\"/a/U\";", 4, "sticky buffer" },
	{ "pcre: negated without quotes", "pcre:!/a/;", 1, "double quotes" },
	/* byte_test */
	{ "byte_test: too few fields", "byte_test:2,=,1;", 0, "needs" },
	{ "byte_test: nbytes 9", "byte_test:9,=,1,0;", 0, "1 to 8" },
	{ "byte_test: nbytes 0", "byte_test:0,=,1,0;", 0, "1 to 8" },
	{ "byte_test: nbytes 24 string", "byte_test:24,=,1,0,string;", 0, "0 to 23" },
	{ "byte_test: bad operator", "byte_test:2,~,1,0;", 2, "operator" },
	{ "byte_test: bad negated operator", "byte_test:2,!~,1,0;", 3, "operator" },
	{ "byte_test: bad value", "byte_test:2,=,1x,0;", 4, "expected a number" },
	{ "byte_test: offset too large", "byte_test:2,=,1,70000;", 6, "-65535 to 65535" },
	{ "byte_test: dce", "byte_test:2,=,1,0,dce;", 8, "dce" },
	{ "byte_test: base without string", "byte_test:2,=,1,0,hex;", 0, "string" },
	{ "byte_test: two bases", "byte_test:2,=,1,0,string,hex,dec;", 19, "base" },
	{ "byte_test: unknown option", "byte_test:2,=,1,0,foo;", 8, "unknown option" },
	{ "byte_test: bitmask zero", "byte_test:2,=,1,0,bitmask 0;", 16, "bitmask" },
	{ "byte_test: multiplier is byte_jump's", "byte_test:2,=,1,0,multiplier 2;", 8, "unknown option" },
	/* byte_jump */
	{ "byte_jump: too few fields", "byte_jump:2;", 0, "needs" },
	{ "byte_jump: nbytes 9", "byte_jump:9,0;", 0, "0 to 8" },
	{ "byte_jump: from_beginning and from_end", "byte_jump:2,0,from_beginning,from_end;", 0, "together" },
	{ "byte_jump: multiplier 0", "byte_jump:2,0,multiplier 0;", 15, "multiplier" },
	{ "byte_jump: post_offset not a number", "byte_jump:2,0,post_offset x;", 16, "post_offset" },
	{ "byte_jump: dce", "byte_jump:2,0,relative,dce;", 13, "dce" },
	{ "byte_jump: unknown variable", "byte_jump:len,0;", 0, "byte_extract variable" },
	/* byte_extract */
	{ "byte_extract: too few fields", "byte_extract:2,0;", 0, "needs" },
	{ "byte_extract: name starts with a digit", "byte_extract:2,0,1abc;", 4, "start with a letter" },
	{ "byte_extract: bad name character", "byte_extract:2,0,a$b;", 5, "invalid character" },
	{ "byte_extract: defined twice", "byte_extract:2,0,v; byte_extract:1,0,v;", 4, "twice" },
	{ "byte_extract: nbytes 9", "byte_extract:9,0,v;", 0, "1 to 8" },
	{ "byte_extract: align 3", "byte_extract:2,0,v,align 3;", 12, "align" },
	{ "byte_extract: bitmask is not an option", "byte_extract:2,0,v,bitmask 1;", 6, "unknown option" },
	{ "byte_extract: variable of another buffer",
	  "byte_extract:1,0,v; buffer:http.uri; content:\"a\"; distance:v;", 0, "byte_extract variable" },
	/* isdataat */
	{ "isdataat: unknown variable", "isdataat:abc;", 0, "byte_extract variable" },
	{ "isdataat: unknown option", "isdataat:1,foo;", 2, "unknown isdataat option" },
	{ "isdataat: too large", "isdataat:70000;", 0, "0 to 65535" },
	{ "isdataat: negative", "isdataat:-1;", 0, "0 to 65535" },
	{ "isdataat: negated empty", "isdataat:!;", 1, "needs a position" },
	/* bsize */
	{ "bsize: no sticky buffer", "bsize:10;", 0, "sticky buffer" },
	{ "bsize: not a number", "buffer:http.uri; bsize:abc;", 0, "bsize expects" },
	{ "bsize: bad operator value", "buffer:http.uri; bsize:<x;", 1, "bsize expects" },
	{ "bsize: reversed range", "buffer:http.uri; bsize:10<>5;", 0, "below" },
	{ "bsize: can never fit the content", "buffer:http.uri; content:\"google.com\"; bsize:<5;", 0,
	  "never match" },
};

static void run_err(void **state)
{
	const struct err_row *row = *state;
	struct rule r;
	struct rule_err e;
	int sel, bad, nopts = 0;

	for (const char *p = row->opts; *p; p++)
		if (*p == ';' && p[-1] != '\\')
			nopts++;
	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	r.cur_buf = -1;
	bad = apply_opts(&r, row->opts, 0, &e, &sel);
	if (bad != nopts || !strstr(e.msg, row->msg) || e.off != row->off) {
		fprintf(stderr, "option %d of %d failed: '%s' at %u; want '%s' at %u\n", bad, nopts,
		        e.msg, e.off, row->msg, row->off);
		fail();
	}
	rule_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Fast pattern                                                        */

struct fp_row {
	const char *name;
	const char *opts;
	const char *want; /* NULL: no pattern */
	int nocase;
};

static const struct fp_row fp_rows[] = {
	{ "fast: longest content", "content:\"a\"; content:\"bcd\"; content:\"ef\";", "bcd", 0 },
	{ "fast: first of equal length", "content:\"ab\"; content:\"cd\";", "ab", 0 },
	{ "fast: fast_pattern wins", "content:\"User-Agent|3A|\"; content:\"Badness\"; distance:0; fast_pattern;",
	  "Badness", 0 },
	{ "fast: chop", "content:\"aaaaaaaaabc\"; fast_pattern:8,3;", "abc", 0 },
	{ "fast: only", "content:\"abc\"; fast_pattern:only;", "abc", 0 },
	{ "fast: nocase", "content:\"AbC\"; nocase;", "AbC", 1 },
	{ "fast: negated skipped", "content:!\"longer\"; content:\"ab\";", "ab", 0 },
	{ "fast: only negated", "content:!\"abc\";", NULL, 0 },
	{ "fast: negated fast_pattern falls back", "content:\"xy\"; content:!\"abcdef\"; fast_pattern;", "xy", 0 },
	{ "fast: pcre only", "pcre:\"/abc/\";", NULL, 0 },
	{ "fast: byte_test only", "byte_test:1,=,1,0;", NULL, 0 },
	{ "fast: hex bytes", "content:\"|00 01|x\";", "\x00\x01x", 0 },
};

static void run_fp(void **state)
{
	const struct fp_row *row = *state;
	struct rule r;
	struct rule_err e;
	int sel, nocase = -1;
	const uint8_t *pat = NULL;
	uint32_t len = 0;
	const struct sm_list *l;

	memset(&r, 0, sizeof(r));
	r.cur_buf = -1;
	assert_int_equal(apply_opts(&r, row->opts, 0, &e, &sel), 0);
	l = list_of(&r, sel);
	assert_non_null(l);
	if (!row->want) {
		assert_int_equal(detect_payload_fast_pattern(l, &pat, &len, &nocase), 0);
	} else {
		size_t wl = strlen(row->want);
		if (wl == 0)
			wl = 3; /* the hex row starts with NUL */
		assert_int_equal(detect_payload_fast_pattern(l, &pat, &len, &nocase), 1);
		assert_int_equal(len, wl);
		assert_memory_equal(pat, row->want, wl);
		assert_int_equal(nocase, row->nocase);
	}
	rule_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Single tests                                                        */

static const struct sm_list *setup_list(struct rule *r, const char *opts)
{
	struct rule_err e;
	int sel;
	memset(r, 0, sizeof(*r));
	r->cur_buf = -1;
	assert_int_equal(apply_opts(r, opts, 0, &e, &sel), 0);
	return list_of(r, sel);
}

/* A hostile regex stops at the match limit, counts it, and does not take
 * long; with O the limit is lifted for a harmless pattern. */
static void test_pcre_limit(void **state)
{
	struct rule r;
	const struct sm_list *l = setup_list(&r, "pcre:\"/(a|aa)+$/\";");
	char buf[4096];
	uint64_t before = detect_payload_pcre_limit_hits(&thr);
	struct timespec t0, t1;

	memset(buf, 'a', sizeof(buf));
	buf[sizeof(buf) - 1] = '!';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(detect_payload_match(&thr, NULL, l, (const uint8_t *)buf, sizeof(buf)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(detect_payload_pcre_limit_hits(&thr) > before);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	rule_clear(&r);

	/* a plain long scan stays far below the limit */
	l = setup_list(&r, "pcre:\"/a{4000}!/\";");
	before = detect_payload_pcre_limit_hits(&thr);
	assert_int_equal(detect_payload_match(&thr, NULL, l, (const uint8_t *)buf, sizeof(buf)), 1);
	assert_int_equal(detect_payload_pcre_limit_hits(&thr), before);
	rule_clear(&r);
	(void)state;
}

/* Without thread scratch a pcre cannot run: no match, no crash. */
static void test_pcre_no_scratch(void **state)
{
	struct rule r;
	struct det_thread none;
	const struct sm_list *l = setup_list(&r, "pcre:\"/a/\";");
	memset(&none, 0, sizeof(none));
	assert_int_equal(detect_payload_match(&none, NULL, l, (const uint8_t *)"a", 1), 0);
	assert_int_equal(detect_payload_match(NULL, NULL, l, (const uint8_t *)"a", 1), 0);
	assert_int_equal(detect_payload_pcre_limit_hits(NULL), 0);
	rule_clear(&r);
	(void)state;
}

/* Retries of nested within chains on a buffer of one repeated byte are
 * exponential; the recursion limit stops them quickly and counts. */
static void test_recursion_limit(void **state)
{
	struct rule r;
	char opts[1024];
	size_t n = 0;
	char buf[2000];
	uint64_t before = detect_payload_recursion_limit_hits(&thr);
	const struct sm_list *l;

	n += (size_t)snprintf(opts + n, sizeof(opts) - n, "content:\"a\";");
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, " content:\"a\"; distance:0; within:8;");
	snprintf(opts + n, sizeof(opts) - n, " content:\"b\"; within:1;");
	l = setup_list(&r, opts);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(detect_payload_match(&thr, NULL, l, (const uint8_t *)buf, sizeof(buf)), 0);
	assert_int_equal(detect_payload_recursion_limit_hits(&thr), before + 1);
	/* the same list matches where the first path fits */
	buf[13] = 'b';
	assert_int_equal(detect_payload_match(&thr, NULL, l, (const uint8_t *)buf, sizeof(buf)), 1);
	rule_clear(&r);
	(void)state;
}

/* NULL buffer of length 0, empty and NULL lists. */
static void test_edges(void **state)
{
	struct rule r;
	struct sm_list empty;
	const struct sm_list *l = setup_list(&r, "content:!\"a\";");
	memset(&empty, 0, sizeof(empty));
	assert_int_equal(detect_payload_match(&thr, NULL, l, NULL, 0), 1);
	assert_int_equal(detect_payload_match(&thr, NULL, &empty, (const uint8_t *)"x", 1), 1);
	assert_int_equal(detect_payload_match(&thr, NULL, NULL, (const uint8_t *)"x", 1), 1);
	rule_clear(&r);
	(void)state;
}

/* uricontent and pcre's HTTP modifiers land in the inactive buffers, not
 * in the packet payload list, and modifiers after uricontent apply to it. */
static void test_http_lists(void **state)
{
	struct rule r;
	struct rule_err e;
	int sel;
	static const struct {
		const char *opts;
		const char *buf;
		unsigned n;
	} cases[] = {
		{ "uricontent:\"/g\"; nocase;", "http.uri", 1 },
		{ "pcre:\"/a/U\";", "http.uri", 1 },
		{ "pcre:\"/a/I\";", "http.uri.raw", 1 },
		{ "pcre:\"/a/Pi\";", "http.client_body", 1 },
		{ "pcre:\"/a/Q\";", "http.response_body", 1 },
		{ "pcre:\"/a/H\";", "http.header", 1 },
		{ "pcre:\"/a/D\";", "http.header.raw", 1 },
		{ "pcre:\"/a/M\";", "http.method", 1 },
		{ "pcre:\"/a/C\";", "http.cookie", 1 },
		{ "pcre:\"/a/K\";", "http.cookie", 1 },
		{ "pcre:\"/a/S\";", "http.stat_code", 1 },
		{ "pcre:\"/a/Y\";", "http.stat_msg", 1 },
		{ "pcre:\"/a/V\";", "http.user_agent", 1 },
		{ "pcre:\"/a/W\";", "http.host", 1 },
		{ "pcre:\"/a/Z\";", "http.host.raw", 1 },
		{ "uricontent:\"/a\"; pcre:\"/b/UR\";", "http.uri", 2 },
		/* relative keywords follow the previous content into its buffer */
		{ "uricontent:\"/a\"; pcre:\"/b/R\";", "http.uri", 2 },
		{ "uricontent:\"/a\"; isdataat:1,relative;", "http.uri", 2 },
		{ "uricontent:\"/a\"; byte_test:1,=,1,0,relative;", "http.uri", 2 },
	};
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		int id = detect_buf_find(cases[i].buf, strlen(cases[i].buf));
		const struct sm_list *l;
		memset(&r, 0, sizeof(r));
		r.cur_buf = -1;
		assert_true(id >= 0);
		assert_int_equal(apply_opts(&r, cases[i].opts, 0, &e, &sel), 0);
		assert_null(list_of(&r, -1));
		l = list_of(&r, id);
		assert_non_null(l);
		assert_int_equal(l->n, cases[i].n);
		assert_true(detect_buf_flags((unsigned)id) & DBUF_F_INACTIVE);
		assert_int_equal(r.cur_buf, -1);
		rule_clear(&r);
	}
	/* the nocase after uricontent applied to the uricontent */
	memset(&r, 0, sizeof(r));
	r.cur_buf = -1;
	assert_int_equal(apply_opts(&r, "content:\"a\"; uricontent:\"/G\"; nocase;", 0, &e, &sel), 0);
	{
		const struct sm_list *u = list_of(&r, detect_buf_find("http.uri", 8));
		const struct sm_list *p = list_of(&r, -1);
		assert_true(((struct content_ctx *)u->v[0].ctx)->flags & CF_NOCASE);
		assert_false(((struct content_ctx *)p->v[0].ctx)->flags & CF_NOCASE);
	}
	rule_clear(&r);
	(void)state;
}

/*
 * Every row's list against every row's buffer and each of its prefixes
 * and suffixes (against the guard page): no crash, no over-read. The
 * answers are not checked, only that the engine stays in bounds.
 */
static void test_cross(void **state)
{
	size_t n = SW_ARRAY_SIZE(match_rows);
	struct rule *r = calloc(n, sizeof(*r));
	const struct sm_list **l = calloc(n, sizeof(*l));
	unsigned runs = 0;
	assert_non_null(r);
	assert_non_null(l);
	for (size_t i = 0; i < n; i++) {
		struct rule_err e;
		int sel;
		r[i].cur_buf = -1;
		assert_int_equal(apply_opts(&r[i], match_rows[i].opts, 0, &e, &sel), 0);
		l[i] = list_of(&r[i], sel);
	}
	for (size_t b = 0; b < n; b++) {
		const struct match_row *row = &match_rows[b];
		for (size_t cut = 0; cut <= row->len; cut += (row->len > 64 ? 37 : 1)) {
			struct guard_buf g1, g2;
			const char *pre = guard_copy(&g1, row->buf, cut);
			const char *suf = guard_copy(&g2, row->buf + cut, row->len - cut);
			for (size_t i = 0; i < n; i++) {
				detect_payload_match(&thr, NULL, l[i], (const uint8_t *)pre, (uint32_t)cut);
				detect_payload_match(&thr, NULL, l[i], (const uint8_t *)suf,
				                     (uint32_t)(row->len - cut));
				runs += 2;
			}
			guard_free(&g1);
			guard_free(&g2);
		}
	}
	for (size_t i = 0; i < n; i++)
		rule_clear(&r[i]);
	free(r);
	free(l);
	assert_true(runs > 100000);
	(void)state;
}

/*
 * Every prefix of every option value of the match rows, placed against the
 * guard page, after the options before it: the setup either accepts it or
 * fails with an offset inside the value; it never reads past the value.
 */
static void test_prefixes(void **state)
{
	unsigned tried = 0;
	for (size_t ri = 0; ri < SW_ARRAY_SIZE(match_rows); ri++) {
		const char *opts = match_rows[ri].opts;
		const char *starts[64];
		size_t nopt = 0;
		/* where each option starts */
		for (const char *p = opts; *p && nopt < 64;) {
			while (*p == ' ' || *p == ';')
				p++;
			if (!*p)
				break;
			starts[nopt++] = p;
			while (*p && !(*p == ';' && p[-1] != '\\'))
				p++;
		}
		for (size_t k = 0; k < nopt; k++) {
			const char *colon = strchr(starts[k], ':'), *end = starts[k];
			char before[1024], name[64];
			size_t nl, vn;
			int kid;
			while (*end && !(*end == ';' && end[-1] != '\\'))
				end++;
			if (!colon || colon > end)
				continue;
			nl = (size_t)(colon - starts[k]);
			if (nl >= sizeof(name) || (size_t)(starts[k] - opts) >= sizeof(before))
				continue;
			memcpy(name, starts[k], nl);
			name[nl] = '\0';
			kid = detect_kw_find(name, nl);
			if (kid < 0) /* buffer: */
				continue;
			memcpy(before, opts, (size_t)(starts[k] - opts));
			before[starts[k] - opts] = '\0';
			vn = (size_t)(end - colon - 1);
			for (size_t pl = 0; pl <= vn; pl++) {
				struct rule r;
				struct rule_err e;
				struct guard_buf g;
				int sel;
				const char *v;
				memset(&r, 0, sizeof(r));
				r.cur_buf = -1;
				assert_int_equal(apply_opts(&r, before, 0, &e, &sel), 0);
				v = guard_copy(&g, colon + 1, pl);
				memset(&e, 0, sizeof(e));
				if (detect_kw_get((unsigned)kid)->setup(&r, v, (uint32_t)pl, &e) != 0) {
					assert_true(e.off <= pl);
					assert_true(e.msg[0] != '\0');
				}
				guard_free(&g);
				rule_clear(&r);
				tried++;
			}
		}
	}
	assert_true(tried > 1000);
	(void)state;
}

/* ------------------------------------------------------------------ */
/* ET Open VoIP rules                                                  */

#define ET_DIR "../shared/corpus/suricata-verify/et-open-voip-rules"

struct et_row {
	char *name;
	char *opts;
};

static struct et_row *et_rows;
static size_t n_et;

static void et_load(void)
{
	static const char *const files[] = { "emerging-voip.rules", "emerging-scan-sip-excerpt.rules" };
	for (size_t f = 0; f < SW_ARRAY_SIZE(files); f++) {
		char path[512], *text, *line, *save = NULL;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", ET_DIR, files[f]);
		text = slurp_file(path, &len);
		if (!text)
			continue;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *open = strchr(line, '('), *close = strrchr(line, ')'), *sid;
			char name[128];
			if (line[0] == '#' || !open || !close || close < open)
				continue;
			*close = '\0';
			sid = strstr(open, "sid:");
			snprintf(name, sizeof(name), "ET %s sid %.*s", files[f], sid ? (int)strcspn(sid + 4, ";") : 1,
			         sid ? sid + 4 : "?");
			et_rows = realloc(et_rows, (n_et + 1) * sizeof(*et_rows));
			assert_non_null(et_rows);
			et_rows[n_et].name = strdup(name);
			et_rows[n_et].opts = strdup(open + 1);
			n_et++;
		}
		free(text);
	}
}

static void run_et(void **state)
{
	const struct et_row *row = *state;
	struct rule r;
	struct rule_err e;
	int sel, bad;
	unsigned total = 0;

	memset(&r, 0, sizeof(r));
	r.cur_buf = -1;
	bad = apply_opts(&r, row->opts, 1, &e, &sel);
	if (bad) {
		fprintf(stderr, "payload option %d failed: %s (at %u)\n", bad, e.msg, e.off);
		fail();
	}
	for (unsigned i = 0; i < r.n_bufs; i++)
		total += r.bufs[i].pm.n;
	assert_true(total > 0);
	rule_clear(&r);
}

static void test_et_absent(void **state)
{
	(void)state;
	skip();
}

/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	kw_init();
	return detect_payload_thread_init(&thr);
}

static int group_teardown(void **state)
{
	(void)state;
	detect_payload_thread_free(&thr);
	return 0;
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("pcre: match limit stops a hostile regex, counted", test_pcre_limit),
		NAMED("pcre: no thread scratch is no match", test_pcre_no_scratch),
		NAMED("engine: recursion limit stops exponential retries, counted", test_recursion_limit),
		NAMED("engine: NULL buffer, empty and NULL lists", test_edges),
		NAMED("uricontent and pcre HTTP modifiers go to inactive buffers", test_http_lists),
		NAMED("setup: every prefix of every value accepted or a clean error", test_prefixes),
		NAMED("engine: every list against every buffer's prefixes and suffixes", test_cross),
	};
	size_t nm = SW_ARRAY_SIZE(match_rows), ne = SW_ARRAY_SIZE(err_rows), nf = SW_ARRAY_SIZE(fp_rows);
	size_t n, k = 0;
	struct CMUnitTest *t;
	int rc;

	et_load();
	n = nm + ne + nf + SW_ARRAY_SIZE(extra) + (n_et ? n_et : 1);
	t = calloc(n, sizeof(*t));
	assert_non_null(t);
	for (size_t i = 0; i < nm; i++, k++) {
		t[k].name = match_rows[i].name;
		t[k].test_func = run_match;
		t[k].initial_state = (void *)&match_rows[i];
	}
	for (size_t i = 0; i < ne; i++, k++) {
		t[k].name = err_rows[i].name;
		t[k].test_func = run_err;
		t[k].initial_state = (void *)&err_rows[i];
	}
	for (size_t i = 0; i < nf; i++, k++) {
		t[k].name = fp_rows[i].name;
		t[k].test_func = run_fp;
		t[k].initial_state = (void *)&fp_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	if (n_et) {
		for (size_t i = 0; i < n_et; i++, k++) {
			t[k].name = et_rows[i].name;
			t[k].test_func = run_et;
			t[k].initial_state = &et_rows[i];
		}
	} else {
		t[k].name = "ET Open VoIP rules (corpus absent)";
		t[k].test_func = test_et_absent;
		k++;
	}
	rc = _cmocka_run_group_tests("detect_payload", t, k, group_setup, group_teardown);
	for (size_t i = 0; i < n_et; i++) {
		free(et_rows[i].name);
		free(et_rows[i].opts);
	}
	free(et_rows);
	free(t);
	return rc;
}
