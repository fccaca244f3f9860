/*
 * engine.h - the packet pipeline: decode -> defrag -> flow -> stream ->
 * SIP/SDP parse -> call state -> EVE output.
 *
 * One engine processes packets in order from one capture source. Time is
 * packet time only: timers (flow/transaction/dialog expiry, periodic stats)
 * advance with the packets' timestamps, so replaying a capture twice gives
 * byte-identical output.
 */
#ifndef SW_ENGINE_H
#define SW_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "packet.h"

struct sw_config;
struct engine;
struct flow_key;

/*
 * Builds an engine from cfg (which must outlive it), writing EVE into
 * logdir/<outputs.eve.filename>. Returns NULL and a message in err on
 * failure (allocation, unwritable log directory).
 */
#define ENGINE_EVE_APPEND 1 /* append to an existing EVE file (inline) instead of truncating */
struct engine *engine_create(const struct sw_config *cfg, const char *logdir, unsigned flags,
                             unsigned n_workers, char *err, size_t cap);

/*
 * Workers. An engine has n_workers (engine_create()): each owns the state
 * that one queue's packets alone touch (flows, fragments, TCP streams, SIP
 * framing: a flow's packets all come to one queue) and is judged by one
 * thread at a time; the call state and the rules' memory are shared
 * between them under locks of their own (engine.c). Offline there is one.
 */
struct engine_worker;
unsigned engine_n_workers(const struct engine *e);
struct engine_worker *engine_worker(struct engine *e, unsigned i);
/* The worker's mutex: its thread holds it while judging a packet; another
 * thread holds it to run the worker's timers or count for it. */
void engine_worker_lock(struct engine_worker *w);
void engine_worker_unlock(struct engine_worker *w);
/* Writes buffered EVE records out (inline: once a second). */
void engine_flush(struct engine *e);
/* Reopens the EVE file (after log rotation). 0, or -1 (the old one stays). */
int engine_reopen_logs(struct engine *e);
/* What engine_packet() decides for a packet (0: accept it). */
#define ENGINE_DROP 1   /* not to be forwarded: rules, a block, or fail-closed overload */
#define ENGINE_BYPASS 2 /* accept, and its flow need not be queued any more (media offload) */

/*
 * Processes one captured packet (with worker 0: offline). Never fails:
 * problems become anomalies. Returns 0, ENGINE_DROP or ENGINE_BYPASS.
 */
int engine_packet(struct engine *e, packet *p);

/* engine_packet() on worker w, which the caller holds (inline: its
 * queue's thread, engine_worker_lock()). */
int engine_worker_packet(struct engine_worker *w, packet *p);

/*
 * Records written after the worker is released (inline). A transaction's
 * `sip` record and a call's `call` record hold copies of everything they
 * show, so a thread judging with worker w can have them copied into its
 * own d (engine_defer_start(), until engine_defer_stop()) and format and
 * write them once it has let w (and the call-state shard they came from)
 * go (engine_defer_write(), which touches nothing but d and the EVE
 * writer): the JSON work of the records holds no lock another worker may
 * want. Other records are written at once. Offline nothing is deferred
 * (the order of lines stays the order of events); inline, a deferred
 * record follows the other records of the packet that ended its
 * transaction or call.
 */
struct engine_defer;
struct engine_defer *engine_defer_new(void);
void engine_defer_free(struct engine_defer *d);
void engine_defer_start(struct engine_worker *w, struct engine_defer *d);
void engine_defer_stop(struct engine_worker *w);
void engine_defer_write(struct engine *e, struct engine_defer *d);
/* A thread that wrote records is ending: its record buffer goes. */
void engine_thread_done(void);

/* Inline mode: what the engine may do on the wire besides verdicts. */
struct engine_io {
	/*
	 * Sends the IP datagram l3[0..len) in answer to packet orig (a reject
	 * rule's SIP response, ICMP unreachable or TCP RST), toward orig's
	 * sender (to_sender 1) or on toward its destination (0: rejectdst,
	 * rejectboth). 0 when sent.
	 */
	int (*inject)(void *ud, const packet *orig, int to_sender, const uint8_t *l3, size_t len);
	/*
	 * Offloaded flows, which the engine no longer sees: is the kernel still
	 * forwarding flow key k (1 yes, with the packets and bytes it counted
	 * when *counted is set; 0 no; -1 cannot tell), and forget k (its call
	 * ended: a new flow on the same addresses and ports must come to the
	 * queue again). NULL: offloaded flows simply time out.
	 */
	int (*flow_alive)(void *ud, const struct flow_key *k, uint64_t *pkts, uint64_t *bytes,
	                  int *counted);
	void (*flow_forget)(void *ud, const struct flow_key *k);
	void *ud;
};
/*
 * Switches the engine to inline mode: reject rules answer through io (NULL:
 * they only drop), flows may be offloaded (ips.media-offload), and overload
 * follows nfq.fail-open.
 */
void engine_set_inline(struct engine *e, const struct engine_io *io);
/* Advances worker w's clock without a packet (inline, when idle; the
 * caller holds w): runs its timers (expiries) and the shared ones
 * (transactions, dialogs, unblocks). */
void engine_worker_tick(struct engine_worker *w, sw_time now);
/* Inline: writes the periodic stats record when due, the workers' counters
 * added up (the caller holds no worker). */
void engine_stats_tick(struct engine *e, sw_time now);
/* Capture-level counters to add to the engine's stats (inline). missed are
 * packets the kernel passed (fail-open) or dropped without showing them to us. */
struct engine_capture_counts {
	uint64_t packets, missed, enobufs, verdict_errors, gso, truncated;
	/* The kernel's own counts (/proc/net/netfilter/nfnetlink_queue): packets
	 * dropped with the queue full, and with our socket full (fail-closed). */
	uint64_t kernel_queue_dropped, kernel_user_dropped;
};
/* Adds capture counters to worker w's stats (the caller holds w). */
void engine_capture_counts(struct engine_worker *w, const struct engine_capture_counts *add);
/* nfq.engine-per-queue: the engine serves that queue only (its stats
 * record says which, as sipwire.queue). */
void engine_set_queue(struct engine *e, unsigned queue);
/*
 * Loads rule files paths[0..n) and swaps them in for the running rules.
 * On any error (printed to errs with FILE:LINE:COL) the running rules stay
 * and -1 is returned; *n_errors gets the count.
 */
int engine_load_rules(struct engine *e, const char *const *paths, unsigned n, FILE *errs,
                      unsigned *n_errors);
/* Tells the engine which capture file packets come from (EVE pcap_filename). */
/* Uses rule set de (taking a reference; the previous set is released). */
struct detect_engine;
int engine_set_rules(struct engine *e, struct detect_engine *de);
/* Rules in the running set. */
unsigned engine_rule_count(struct engine *e);
void engine_set_pcap_filename(struct engine *e, const char *name);
/* Ends every flow, transaction and dialog (reason "shutdown") and writes
 * final stats. No worker may be running. */
void engine_finish(struct engine *e);
/* Frees everything. NULL is a no-op. */
void engine_destroy(struct engine *e);
/* Number of EVE write errors so far (disk full...). */
unsigned long long engine_write_errors(const struct engine *e);

#endif
