/*
 * fuzz_engine - the whole pipeline (decode, defrag, flows, TCP reassembly,
 * SIP framing and parsing, SDP, call state, EVE writing) on a sequence of
 * raw IP packets taken from the input:
 *
 *   repeated { u8 dt (packet time step, 10 ms units); u16 len (big endian); len bytes }
 *
 * Small caps make every table evict often. EVE goes to /dev/null but is
 * fully formatted. Detection runs too: the shipped rules (when run from the
 * source tree) plus rules below that use every buffer and keyword family,
 * compiled once per process (so threshold and counter state carries over
 * between inputs, as it does between packets). Each packet is copied into an exactly-sized buffer so
 * that ASan sees any over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "detect_engine.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_config cfg;
static int cfg_ready;
static struct detect_engine *rules;

static const char fuzz_rules[] =
	"alert sip any any -> any any (sip.method; content:\"INVITE\"; sip.uri; pcre:\"/^sip:[0-9]{3,}/\"; sid:1;)\n"
	"alert sip any any -> any any (sip.from; content:\"tag=\"; distance:0; within:40; isdataat:1,relative; sid:2;)\n"
	"alert sip any any -> any any (sip.via; byte_test:1,>,0x30,0; sip.call_id; bsize:>4; sid:3;)\n"
	"alert sip any any -> any any (sdp.media.media; content:\"audio\"; sdp.origin; content:\"IN\"; sid:4;)\n"
	"alert sip any any -> any any (frame:request.headers; strip_whitespace; content:\"Via:\"; startswith; sid:5;)\n"
	"alert sip any any -> any any (frame:response.body; content:\"v=0\"; sip.stat_code; content:\"200\"; sid:6;)\n"
	"alert sip any any -> any any (sip.header:X-Test; to_lowercase; content:\"x\"; sid:7;)\n"
	"alert sip any any -> any any (sip.dialog:unknown,terminated; sip.sender:not_party; sid:8;)\n"
	"alert sip any any -> any any (sip.auth:failed; sip.rate:track by_dst,count 2,seconds 5; block:by_dst,2; sid:9;)\n"
	"alert sip any any -> any any (sip.distinct:to_user,track by_src,count 2,seconds 5; "
	"threshold:type both,track by_src,count 2,seconds 5; sid:10;)\n"
	"alert sip any any -> any any (flowbits:set,a; xbits:set,b,track ip_pair,expire 2; noalert; sid:11;)\n"
	"drop sip any any -> any any (flowbits:isset,a; xbits:isset,b,track ip_pair; "
	"sip.registration:rebound; sid:12;)\n"
	"alert udp any any -> any any (content:\"SIP\"; byte_jump:1,0,relative; byte_extract:1,0,n,relative; "
	"content:\"A\"; within:n; dsize:<600; sid:13;)\n"
	"alert tcp any any -> any any (flow:established,to_server; content:\"REGISTER\"; depth:8; "
	"detection_filter:track by_src,count 2,seconds 10; sid:14;)\n"
	"alert ip any any -> any any (anomaly:decoder.ipv4.trunc_pkt; sid:15;)\n"
	"alert sip any any -> any any (app-layer-event:sip.bad_via; sip.transaction:retransmission,stray_response; sid:16;)\n"
	"reject sip any any -> any any (sip_method:bye; sip_stat_code:4; sip_header; content:\"a\"; sid:17;)\n";

static void setup(void)
{
	static const char *const sets[] = {
		"flow.max-flows=16",         "defrag.max-trackers=4",   "defrag.max-frags=8",
		"sip.max-transactions=8",    "sip.max-dialogs=4",       "sip.max-registrations=4",
		"sip.max-media=8",           "sip.dialog-linger=1",     "sip.transaction-timeout=2",
		"outputs.stats.interval=1",  "outputs.eve.filename=null",
	};
	char err[256];
	config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (config_set(&cfg, sets[i], err, sizeof(err)) != 0)
			abort();
	{
		char path[] = "/tmp/sipwire-fuzz-rules.XXXXXX";
		const char *paths[3] = { path, "rules/sipwire.rules", "rules/anomaly.rules" };
		unsigned n = access("rules/sipwire.rules", R_OK) == 0 ? 3 : 1, nerr;
		int fd = mkstemp(path);
		struct detect_load_opts o = { .cfg = &cfg, .errs = stderr };
		if (fd < 0 || write(fd, fuzz_rules, sizeof(fuzz_rules) - 1) != (ssize_t)sizeof(fuzz_rules) - 1)
			abort();
		close(fd);
		rules = detect_engine_load(paths, n, &o, &nerr);
		unlink(path);
		if (!rules)
			abort();
	}
	cfg_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct engine *e;
	uint64_t ts = 1700000000000000ULL, cnt = 0;
	size_t off = 0;

	if (!cfg_ready)
		setup();
	e = engine_create(&cfg, "/dev", 0, 1, err, sizeof(err));
	if (!e || engine_set_rules(e, rules) != 0)
		abort();
	while (off + 3 <= size) {
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		ts += (uint64_t)data[off] * 10000;
		off += 3;
		if (len > size - off)
			len = size - off;
		uint8_t *buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, data + off, len);
		packet p;
		memset(&p, 0, sizeof(p));
		p.ts = ts;
		p.pcap_cnt = ++cnt;
		p.data = buf;
		p.caplen = p.wirelen = (uint32_t)len;
		p.linktype = SW_DLT_RAW;
		engine_packet(e, &p);
		free(buf);
		off += len;
	}
	engine_finish(e);
	engine_destroy(e);
	return 0;
}
