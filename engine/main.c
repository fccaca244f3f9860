/*
 * main.c - command line. Flag names follow Suricata where they overlap:
 *   -r PATH   read a pcap/pcapng file or a directory of them
 *   -q N      inline: judge packets of NFQUEUE queue N (repeatable, A:B ranges)
 *   -l DIR    log directory (EVE JSON is written there)
 *   -c FILE   YAML configuration
 *   -S FILE   load rules from FILE only (repeatable; replaces detect.rule-files)
 *   -s FILE   load rules from FILE in addition to the configured ones
 *   -T        test the configuration and rules and exit (0 good, 1 bad)
 *   -v        more verbose (repeatable)
 *   --set k=v override one configuration key
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "detect.h"
#include "detect_engine.h"
#include "engine.h"
#include "capture_nfq.h"
#include "inline.h"
#include "log.h"

#define SIPWIRE_VERSION "0.1.0"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: sipwire [options] -r PATH      (offline)\n"
	        "       sipwire [options] -q QUEUE     (inline)\n"
	        "\n"
	        "sipwire is a SIP/VoIP intrusion prevention engine. Inline, it judges the\n"
	        "packets a bridge's iptables rules send to NFQUEUE (see tools/sipwire-bridge.sh);\n"
	        "offline, it replays captures through the same pipeline and writes the same\n"
	        "EVE JSON.\n"
	        "\n"
	        "  -r PATH           read packets from a pcap/pcapng file or a directory of them\n"
	        "  -q QUEUE          inline: bind NFQUEUE queue QUEUE, one worker thread each;\n"
	        "                    repeatable, and A:B binds A to B (for --queue-balance A:B)\n"
	        "  -l DIR            write logs (eve.json) into DIR (default: current directory)\n"
	        "  -c FILE           load YAML configuration FILE (built-in defaults otherwise)\n"
	        "  -S FILE           load rules from FILE only (repeatable; replaces the\n"
	        "                    configured detect.rule-files)\n"
	        "  -s FILE           load rules from FILE as well as the configured ones\n"
	        "  -T                test the configuration and rules and exit: 0 if good, 1 if not\n"
	        "  --list-keywords   list the rule keywords and exit\n"
	        "  -v                verbose: -v info, -vv debug\n"
	        "  --set KEY=VALUE   override a configuration key, e.g. --set flow.max-flows=1000\n"
	        "  --dump-config     print the effective configuration as YAML and exit\n"
	        "  -V, --version     print the version and exit\n"
	        "  -h, --help        this help\n"
	        "\n"
	        "Signals: SIGHUP reloads the rules (a bad rule file keeps the running ones)\n"
	        "and, inline, reopens the EVE file; SIGINT/SIGTERM stop.\n"
	        "\n"
	        "Exit status: 0 on success; 1 on a usage, configuration or capture error\n"
	        "(including a truncated or corrupt capture, processed up to the damage).\n");
}

static void list_keywords(void)
{
	detect_kw_setup();
	for (unsigned i = 0; i < detect_kw_count(); i++) {
		const struct det_kw *k = detect_kw_get(i);
		printf("%-28s %s\n", k->name, k->help ? k->help : "");
	}
}

/*
 * The rule files to load: -S files only, or the configured rule-files
 * (relative names under default-rule-path), then -s files. Returns the
 * count; names are stored in out (pointers into argv/cfg or buf).
 */
static unsigned rule_paths(const struct sw_config *cfg, const char *const *excl, int n_excl,
                           const char *const *add, int n_add, const char **out, char (*buf)[4096])
{
	unsigned n = 0;
	if (n_excl) {
		for (int i = 0; i < n_excl; i++)
			out[n++] = excl[i];
	} else {
		for (unsigned i = 0; i < cfg->detect.n_rule_files; i++) {
			const char *f = cfg->detect.rule_files[i];
			if (f[0] == '/' || !cfg->detect.default_rule_path ||
			    !cfg->detect.default_rule_path[0]) {
				out[n++] = f;
			} else {
				snprintf(buf[n], sizeof(buf[n]), "%s/%s", cfg->detect.default_rule_path, f);
				out[n] = buf[n];
				n++;
			}
		}
	}
	for (int i = 0; i < n_add; i++)
		out[n++] = add[i];
	return n;
}

/*
 * Relative data paths (rules/, signatures/, the classification file) are
 * looked up in the working directory, then next to the executable, so that
 * ./sipwire works from the source tree and from anywhere else.
 */
static void resolve_data_path(char **path)
{
	char exe[4096], cand[8192], *slash;
	ssize_t n;
	if (!*path || !(*path)[0] || (*path)[0] == '/' || access(*path, F_OK) == 0)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return;
	*slash = '\0';
	snprintf(cand, sizeof(cand), "%s/%s", exe, *path);
	if (access(cand, F_OK) == 0) {
		char *dup = strdup(cand);
		if (dup) {
			free(*path);
			*path = dup;
		}
	}
}

static int ensure_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_warnx("%s: not a directory", dir);
			return -1;
		}
		return 0;
	}
	if (mkdir(dir, 0755) != 0) {
		log_warn("%s: cannot create log directory", dir);
		return -1;
	}
	return 0;
}

struct run_ctx {
	struct engine *eng;
	struct capture *cap;
	const char *last_file;
	const char *const *rules;
	unsigned n_rules;
};

/* SIGHUP: reload the rules between two packets. */
static volatile sig_atomic_t reload_requested;

static void on_sighup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

/*
 * Loads the rule files again; the new set replaces the running one only if
 * every file read and every rule compiled. Either way it says so on stderr
 * (the running rules stay on failure).
 */
static void reload_rules(struct run_ctx *rc)
{
	unsigned nerr = 0;
	reload_requested = 0;
	if (engine_load_rules(rc->eng, rc->rules, rc->n_rules, stderr, &nerr) == 0)
		fprintf(stderr, "sipwire: rules reloaded: %u rules\n", engine_rule_count(rc->eng));
	else
		fprintf(stderr,
		        "sipwire: rule reload failed (%u error%s): keeping the %u rules running\n",
		        nerr, nerr == 1 ? "" : "s", engine_rule_count(rc->eng));
}

static int on_packet(void *ud, packet *p)
{
	struct run_ctx *rc = ud;
	const char *f = capture_pcap_current_file(rc->cap);
	if (reload_requested)
		reload_rules(rc);
	if (f != rc->last_file) {
		engine_set_pcap_filename(rc->eng, f);
		rc->last_file = f;
	}
	engine_packet(rc->eng, p);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "set", required_argument, NULL, 'E' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "list-keywords", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sw_config cfg;
	const char *rpath = NULL, *logdir = ".", *cfgpath = NULL;
	const char *sets[64];
	const char *rules_excl[64], *rules_add[64];
	int n_excl = 0, n_add = 0;
	uint16_t queues[256];
	unsigned n_queues = 0;
	int nsets = 0, test_only = 0, dump = 0, verbose = 0, ch, rc = 0;
	char err[1024];

	while ((ch = getopt_long(argc, argv, "r:l:c:S:s:q:TvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S':
		case 's':
			if ((ch == 'S' ? n_excl : n_add) == 64) {
				fprintf(stderr, "sipwire: too many -%c options (max 64)\n", ch);
				return 1;
			}
			if (ch == 'S')
				rules_excl[n_excl++] = optarg;
			else
				rules_add[n_add++] = optarg;
			break;
		case 'K':
			list_keywords();
			return 0;
		case 'r':
			rpath = optarg;
			break;
		case 'q':
			if (nfq_parse_queues(optarg, queues, &n_queues, SW_ARRAY_SIZE(queues), err,
			                     sizeof(err)) != 0) {
				fprintf(stderr, "sipwire: -q: %s\n", err);
				return 1;
			}
			break;
		case 'l':
			logdir = optarg;
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 'T':
			test_only = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'E':
			if (nsets == (int)SW_ARRAY_SIZE(sets)) {
				fprintf(stderr, "sipwire: too many --set options (max %zu)\n",
				        SW_ARRAY_SIZE(sets));
				return 1;
			}
			sets[nsets++] = optarg;
			break;
		case 'D':
			dump = 1;
			break;
		case 'V':
			printf("sipwire %s\n", SIPWIRE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sipwire: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}

	config_defaults(&cfg);
	if (cfgpath && config_load(&cfg, cfgpath, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipwire: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	for (int i = 0; i < nsets; i++) {
		if (config_set(&cfg, sets[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "sipwire: %s\n", err);
			config_free(&cfg);
			return 1;
		}
	}
	log_init(verbose ? verbose : (int)cfg.logging.verbosity);
	if (dump) {
		config_dump(&cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	resolve_data_path(&cfg.detect.default_rule_path);
	resolve_data_path(&cfg.detect.signatures_path);
	resolve_data_path(&cfg.detect.classification_file);
	static char pathbuf[CFG_MAX_LIST + 64][4096];
	const char *rpaths[CFG_MAX_LIST + 128];
	unsigned n_rules = rule_paths(&cfg, rules_excl, n_excl, rules_add, n_add, rpaths, pathbuf);
	if (test_only) {
		struct detect_load_opts o = { .cfg = &cfg, .errs = stderr };
		unsigned nerr = 0;
		struct detect_engine *de = n_rules ? detect_engine_load(rpaths, n_rules, &o, &nerr) : NULL;
		if (n_rules && !de) {
			fprintf(stderr, "sipwire: %u error%s in the rules: nothing loaded\n", nerr,
			        nerr == 1 ? "" : "s");
			config_free(&cfg);
			return 1;
		}
		if (de)
			fprintf(stderr, "sipwire: %u rules loaded (%u inactive: protocols not inspected)\n",
			        detect_engine_rule_count(de), detect_engine_inactive_count(de));
		fprintf(stderr, "sipwire: configuration %s is valid\n",
		        cfgpath ? cfgpath : "(built-in defaults)");
		detect_engine_free(de);
		config_free(&cfg);
		return 0;
	}
	if (rpath && n_queues) {
		fprintf(stderr, "sipwire: -r (offline) and -q (inline) exclude each other\n");
		config_free(&cfg);
		return 1;
	}
	if (n_queues) {
		struct inline_opts io = { &cfg, logdir, queues, n_queues, rpaths, n_rules };
		if (ensure_dir(logdir) != 0) {
			config_free(&cfg);
			return 1;
		}
		rc = inline_run(&io);
		config_free(&cfg);
		return rc;
	}
	if (!rpath) {
		fprintf(stderr, "sipwire: nothing to do: give a capture with -r PATH or a queue with -q N\n");
		usage(stderr);
		config_free(&cfg);
		return 1;
	}
	if (ensure_dir(logdir) != 0) {
		config_free(&cfg);
		return 1;
	}

	struct capture *cap = capture_pcap_open(rpath, err, sizeof(err));
	if (!cap) {
		fprintf(stderr, "sipwire: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	struct engine *eng = engine_create(&cfg, logdir, 0, 1, err, sizeof(err));
	if (!eng) {
		fprintf(stderr, "sipwire: %s\n", err);
		capture_pcap_close(cap);
		config_free(&cfg);
		return 1;
	}
	if (n_rules) {
		unsigned nerr = 0;
		if (engine_load_rules(eng, rpaths, n_rules, stderr, &nerr) != 0) {
			fprintf(stderr, "sipwire: %u error%s in the rules\n", nerr, nerr == 1 ? "" : "s");
			engine_destroy(eng);
			capture_pcap_close(cap);
			config_free(&cfg);
			return 1;
		}
	}
	struct run_ctx run = { eng, cap, NULL, rpaths, n_rules };
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sighup;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(SIGHUP, &sa, NULL);
	}
	if (capture_pcap_run(cap, on_packet, &run, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipwire: %s\n", err);
		rc = 1;
	}
	engine_finish(eng);
	if (engine_write_errors(eng)) {
		fprintf(stderr, "sipwire: %llu EVE write errors (disk full?)\n",
		        engine_write_errors(eng));
		rc = 1;
	}
	engine_destroy(eng);
	capture_pcap_close(cap);
	config_free(&cfg);
	return rc;
}
