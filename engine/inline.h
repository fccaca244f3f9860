/*
 * inline.h - inline mode: NFQUEUE queues, one worker thread each, one
 * engine shared by them, verdicts, reject replies, privilege drop, signals.
 */
#ifndef SW_INLINE_H
#define SW_INLINE_H

#include <stdint.h>

struct sw_config;

struct inline_opts {
	const struct sw_config *cfg;
	const char *logdir;
	const uint16_t *queues;
	unsigned n_queues;
	const char *const *rules;   /* rule files (loaded at start, reloaded on SIGHUP) */
	unsigned n_rules;
};

/*
 * Runs until SIGINT or SIGTERM: binds every queue, loads the rules, drops
 * privileges (run-as), and judges packets. SIGHUP reloads the rules (a bad
 * rule file keeps the running ones). Returns the process exit status: 0 on
 * a clean stop, 1 when it could not start (message on stderr) or a queue
 * failed.
 */
int inline_run(const struct inline_opts *o);

#endif
