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

/*
 * Builds an engine from cfg (which must outlive it), writing EVE into
 * logdir/<outputs.eve.filename>. Returns NULL and a message in err on
 * failure (allocation, unwritable log directory).
 */
struct engine *engine_create(const struct sw_config *cfg, const char *logdir, char *err,
                             size_t cap);
/* Processes one captured packet. Never fails: problems become anomalies. */
/* Processes one captured packet. Returns 1 if rules say it is to be dropped
 * (inline: not forwarded), 0 to accept it. */
int engine_packet(struct engine *e, packet *p);
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
unsigned engine_rule_count(const struct engine *e);
void engine_set_pcap_filename(struct engine *e, const char *name);
/* Ends every flow, transaction and dialog (reason "shutdown") and writes final stats. */
void engine_finish(struct engine *e);
/* Frees everything. NULL is a no-op. */
void engine_destroy(struct engine *e);
/* Number of EVE write errors so far (disk full...). */
unsigned long long engine_write_errors(const struct engine *e);

#endif
