/*
 * eve.h - the EVE JSON writer: one Suricata-style JSON object per line.
 *
 * Every record starts with the common fields (timestamp, flow_id, in_iface,
 * event_type, addresses, proto, ip_v, pcap_cnt, ...) written by
 * eve_begin(); the caller adds its event object through the json builder
 * it returns (the calling thread's own), and eve_end() writes the line.
 * Each event type can be switched off in the configuration; eve_begin()
 * returns NULL then, and the caller skips the record. Timestamps are
 * packet time.
 */
#ifndef SW_EVE_H
#define SW_EVE_H

#include <pthread.h>
#include <stdio.h>

#include "common.h"
#include "json.h"

enum eve_type {
	EVE_T_SIP = 0,
	EVE_T_CALL,
	EVE_T_FLOW,
	EVE_T_ANOMALY,
	EVE_T_STATS,
	EVE_T_ALERT,
	EVE_T_DROP,
	EVE_T_BLOCK,
	EVE_T__COUNT
};

/* What a record is about; every pointer may be NULL / zero when unknown. */
struct eve_hdr {
	sw_time ts;
	uint64_t flow_id;      /* 0: no flow */
	const sw_addr *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;         /* IPPROTO_*, 0 = none */
	uint8_t ip_v;
	uint64_t pcap_cnt;     /* 0: not written */
	const char *in_iface;
	const char *app_proto; /* NULL: not written */
	const char *direction; /* "to_server" / "to_client", NULL: not written */
	int64_t tx_id;         /* < 0: not written */
	const char *pkt_src;   /* "wire/pcap", "stream (flow timeout)", ... */
};

/*
 * Threads: any thread may write records at the same time. Each builds its
 * record in a buffer of its own (eve_begin() returns it); eve_end() adds
 * the finished line to the shared output buffer under mu, so lines never
 * mix. The counters are relaxed atomics (read them with eve_counts()).
 * enabled[] and pcap_filename are set before records are written.
 */
struct eve {
	FILE *out;          /* unbuffered: whole lines leave wbuf */
	char *wbuf;
	size_t wlen;
	char *path;
	pthread_mutex_t mu; /* out, wbuf, wlen, path */
	uint8_t mu_init;
	uint8_t enabled[EVE_T__COUNT];
	uint64_t records[EVE_T__COUNT];
	uint64_t write_errors;
	const char *pcap_filename; /* offline: current capture file */
};

/* Opens path for appending (truncate = 1 to start afresh). -1 on error (errno). */
int eve_open(struct eve *e, const char *path, int truncate);
/* Reopens the file (log rotation, SIGHUP). 0 or -1. */
int eve_reopen(struct eve *e);
void eve_close(struct eve *e);
/* Name of an event type as written in event_type. */
const char *eve_type_name(enum eve_type t);
/* enum eve_type for a name, or -1. */
int eve_type_by_name(const char *name);

/*
 * Starts a record of type t with the common fields of h. Returns the json
 * builder positioned inside the top-level object, or NULL if t is disabled
 * (then do not call eve_end).
 */
struct json_buf *eve_begin(struct eve *e, enum eve_type t, const struct eve_hdr *h);
/* Closes the record and writes it as one line. */
void eve_end(struct eve *e);
/* The calling thread's record buffer is freed (a worker thread ending). */
void eve_thread_done(void);
/* records[] and write_errors, read whole while other threads write. */
void eve_counts(const struct eve *e, uint64_t records[EVE_T__COUNT], uint64_t *write_errors);
/* Flushes buffered output. */
void eve_flush(struct eve *e);

/* Protocol name as Suricata writes it ("UDP", "TCP", "ICMP", "IPv6-ICMP"). */
const char *eve_proto_name(uint8_t proto);

#endif
