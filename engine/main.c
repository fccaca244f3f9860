/*
 * main.c - command line. Flag names follow Suricata where they overlap:
 *   -r PATH   read a pcap/pcapng file or a directory of them
 *   -l DIR    log directory (EVE JSON is written there)
 *   -c FILE   YAML configuration
 *   -T        test the configuration and exit (0 good, 1 bad)
 *   -v        more verbose (repeatable)
 *   --set k=v override one configuration key
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "config.h"
#include "engine.h"
#include "log.h"

#define SIPWIRE_VERSION "0.1.0"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: sipwire [options] -r PATH\n"
	        "\n"
	        "sipwire is a SIP/VoIP intrusion prevention engine. Offline, it replays\n"
	        "captures through the same pipeline as inline mode and writes EVE JSON.\n"
	        "\n"
	        "  -r PATH           read packets from a pcap/pcapng file or a directory of them\n"
	        "  -l DIR            write logs (eve.json) into DIR (default: current directory)\n"
	        "  -c FILE           load YAML configuration FILE (built-in defaults otherwise)\n"
	        "  -T                test the configuration and exit: 0 if good, 1 if not\n"
	        "  -v                verbose: -v info, -vv debug\n"
	        "  --set KEY=VALUE   override a configuration key, e.g. --set flow.max-flows=1000\n"
	        "  --dump-config     print the effective configuration as YAML and exit\n"
	        "  -V, --version     print the version and exit\n"
	        "  -h, --help        this help\n"
	        "\n"
	        "Exit status: 0 on success; 1 on a usage, configuration or capture error\n"
	        "(including a truncated or corrupt capture, processed up to the damage).\n");
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
};

static int on_packet(void *ud, packet *p)
{
	struct run_ctx *rc = ud;
	const char *f = capture_pcap_current_file(rc->cap);
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
		{ "set", required_argument, NULL, 's' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sw_config cfg;
	const char *rpath = NULL, *logdir = ".", *cfgpath = NULL;
	const char *sets[64];
	int nsets = 0, test_only = 0, dump = 0, verbose = 0, ch, rc = 0;
	char err[1024];

	while ((ch = getopt_long(argc, argv, "r:l:c:TvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rpath = optarg;
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
		case 's':
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
	if (test_only) {
		fprintf(stderr, "sipwire: configuration %s is valid\n",
		        cfgpath ? cfgpath : "(built-in defaults)");
		config_free(&cfg);
		return 0;
	}
	if (!rpath) {
		fprintf(stderr, "sipwire: nothing to do: give a capture with -r PATH\n");
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
	struct engine *eng = engine_create(&cfg, logdir, err, sizeof(err));
	if (!eng) {
		fprintf(stderr, "sipwire: %s\n", err);
		capture_pcap_close(cap);
		config_free(&cfg);
		return 1;
	}
	struct run_ctx run = { eng, cap, NULL };
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
