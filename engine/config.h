/*
 * config.h - sipwire's configuration: built-in defaults, a YAML file
 * (libyaml), and --set overrides, all driven by one key table in config.c
 * (name, type, range, default, help). Unknown keys, wrong types, values out
 * of range and duplicate keys are errors naming FILE:LINE:COLUMN.
 */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_LIST 16
#define CFG_MAX_VARS 32

struct cfg_var {
	char *name;
	char *value;
};

struct sw_config {
	struct {
		char *checksum_validation; /* "auto", "yes", "no" */
	} decoder;
	struct {
		uint32_t max_flows;
		uint32_t hash_size;
		struct {
			uint32_t udp, tcp, tcp_closed, other;
		} timeouts;
	} flow;
	struct {
		uint32_t max_trackers;
		uint64_t memcap;
		uint32_t timeout;
		uint32_t max_frags;
	} defrag;
	struct {
		uint64_t memcap;
		uint64_t max_ooo_bytes;
		uint32_t max_ooo_segments;
	} stream;
	struct {
		uint32_t max_message_size;
		uint32_t max_headers;
		uint64_t max_buffered_per_flow;
		uint32_t transaction_timeout;
		uint32_t max_transactions;
		uint32_t max_dialogs;
		uint32_t max_registrations;
		uint32_t max_media;
		uint32_t shards;
		uint32_t dialog_early_timeout;
		uint32_t dialog_idle_timeout;
		uint32_t dialog_linger;
		uint32_t registration_max_expires;
	} sip;
	struct {
		char *default_rule_path;
		char *rule_files[CFG_MAX_LIST];
		unsigned n_rule_files;
		char *classification_file;
		char *signatures_path;
		uint32_t max_rules;
		uint32_t max_thresholds;
		uint32_t max_counters;
		uint32_t max_blocks;
		uint32_t max_xbits;
	} detect;
	struct {
		struct {
			int enabled;
			char *filename;
			char *types[CFG_MAX_LIST];
			unsigned n_types;
		} eve;
		struct {
			uint32_t interval;
		} stats;
	} outputs;
	struct {
		struct cfg_var address_groups[CFG_MAX_VARS];
		unsigned n_address_groups;
		struct cfg_var port_groups[CFG_MAX_VARS];
		unsigned n_port_groups;
	} vars;
	struct {
		uint32_t verbosity;
	} logging;
	struct {
		uint32_t queue_maxlen;
		uint64_t buffer_size;
		uint32_t batchcount;
		int fail_open;
		int engine_per_queue;
		uint32_t vlan_mark;
		int gso;
		uint32_t bypass_mark;
	} nfq;
	struct {
		int media_offload;
		uint32_t media_offload_after;
		uint32_t reject_sip_code;
		char *reject_sip_reason;
		uint32_t reject_max_per_second;
	} ips;
	struct {
		char *user;
		char *group;
	} run_as;
};

/* Sets every key to its built-in default (allocates strings; config_free). */
void config_defaults(struct sw_config *c);
/*
 * Loads the YAML file at path over the current values. 0, or -1 with
 * "FILE:LINE:COLUMN: reason" in err.
 */
int config_load(struct sw_config *c, const char *path, char *err, size_t cap);
/* Applies one "a.b.c=value" override. 0, or -1 with "--set a.b.c: reason". */
int config_set(struct sw_config *c, const char *assignment, char *err, size_t cap);
/* Writes the effective configuration as YAML, each key with its help as a comment. */
void config_dump(const struct sw_config *c, FILE *out);
/* Frees what the configuration allocated. */
void config_free(struct sw_config *c);

/* Parses "64mb"/"16kb"/"1gb"/"123" into bytes. 0 / -1. (exported for tests) */
int config_parse_size(const char *s, uint64_t *out);
/* Parses "30s"/"5m"/"2h"/"1d"/"45" into seconds. 0 / -1. */
int config_parse_duration(const char *s, uint64_t *out);

#endif
