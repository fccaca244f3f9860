/*
 * fuzz_engine - the whole pipeline (decode, defrag, flows, TCP reassembly,
 * SIP framing and parsing, SDP, call state, EVE writing) on a sequence of
 * raw IP packets taken from the input:
 *
 *   repeated { u8 dt (packet time step, 10 ms units); u16 len (big endian); len bytes }
 *
 * Small caps make every table evict often. EVE goes to /dev/null but is
 * fully formatted. Each packet is copied into an exactly-sized buffer so
 * that ASan sees any over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_config cfg;
static int cfg_ready;

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
	e = engine_create(&cfg, "/dev", err, sizeof(err));
	if (!e)
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
