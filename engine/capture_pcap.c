/*
 * capture_pcap.c - offline packets from pcap/pcapng via libpcap.
 * pcap_next_ex (not pcap_loop) so that a damaged file is told apart from
 * a clean end; timestamps are read at microsecond precision (nanosecond
 * pcapng is converted by libpcap).
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

struct capture {
	char **files;
	size_t n_files;
	pcap_t *first;  /* a single capture, opened once (a FIFO cannot be reopened) */
	const char *current;
	struct capture_stats st;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static pcap_t *open_one(const char *path, char *err, size_t cap)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	ebuf[0] = '\0';
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!pc) {
		struct stat st;
		if (stat(path, &st) != 0)
			snprintf(err, cap, "%s: %s", path, strerror(errno));
		else
			snprintf(err, cap, "%s: not a readable pcap or pcapng file: %s", path, ebuf);
	}
	return pc;
}

struct capture *capture_pcap_open(const char *path, char *err, size_t cap)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct stat st;

	if (!c) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	if (stat(path, &st) != 0) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		size_t capn = 0;
		if (!d) {
			snprintf(err, cap, "%s: %s", path, strerror(errno));
			goto fail;
		}
		while ((de = readdir(d)) != NULL) {
			char full[4096];
			struct stat fst;
			if (de->d_name[0] == '.')
				continue;
			snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
			if (stat(full, &fst) != 0 || !S_ISREG(fst.st_mode))
				continue;
			if (c->n_files == capn) {
				size_t nc = capn ? capn * 2 : 16;
				char **nf = realloc(c->files, nc * sizeof(*nf));
				if (!nf) {
					closedir(d);
					snprintf(err, cap, "out of memory");
					goto fail;
				}
				c->files = nf;
				capn = nc;
			}
			c->files[c->n_files] = strdup(full);
			if (!c->files[c->n_files]) {
				closedir(d);
				snprintf(err, cap, "out of memory");
				goto fail;
			}
			c->n_files++;
		}
		closedir(d);
		if (c->n_files == 0) {
			snprintf(err, cap, "%s: directory holds no files", path);
			goto fail;
		}
		qsort(c->files, c->n_files, sizeof(*c->files), cmp_str);
	} else {
		/* Opened once and kept: checks it is a capture now, and a FIFO
		 * or /dev/stdin could not be read from the start a second time. */
		c->first = open_one(path, err, cap);
		if (!c->first)
			goto fail;
		c->files = calloc(1, sizeof(*c->files));
		if (!c->files || !(c->files[0] = strdup(path))) {
			snprintf(err, cap, "out of memory");
			goto fail;
		}
		c->n_files = 1;
	}
	return c;
fail:
	capture_pcap_close(c);
	return NULL;
}

int capture_pcap_run(struct capture *c, capture_pkt_cb cb, void *ud, char *err, size_t cap)
{
	int rc = 0, readable = 0;
	err[0] = '\0';
	for (size_t i = 0; i < c->n_files; i++) {
		char ebuf[512];
		struct pcap_pkthdr *h;
		const u_char *data;
		uint64_t in_file = 0;
		int r;
		pcap_t *pc = i == 0 && c->first ? c->first : open_one(c->files[i], ebuf, sizeof(ebuf));
		if (i == 0)
			c->first = NULL; /* closed below like any other */

		if (!pc) {
			if (c->n_files > 1) {
				log_warnx("skipping %s", ebuf);
				c->st.skipped_files++;
				continue;
			}
			snprintf(err, cap, "%s", ebuf);
			return -1;
		}
		readable++;
		c->st.files++;
		c->current = c->files[i];
		int linktype = pcap_datalink(pc);
		while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
			packet p;
			memset(&p, 0, sizeof(p));
			p.ts = (sw_time)h->ts.tv_sec * SW_USEC_PER_SEC + (sw_time)h->ts.tv_usec;
			p.pcap_cnt = ++c->st.packets;
			p.data = data;
			p.caplen = h->caplen;
			p.wirelen = h->len;
			p.linktype = linktype;
			c->st.bytes += h->caplen;
			in_file++;
			if (cb(ud, &p) != 0) {
				pcap_close(pc);
				return rc;
			}
		}
		if (r == -1) {
			c->st.truncated_files++;
			if (rc == 0)
				snprintf(err, cap, "%s: truncated or corrupt capture after %llu packets: %s",
				         c->files[i], (unsigned long long)in_file, pcap_geterr(pc));
			rc = -1;
		}
		pcap_close(pc);
	}
	if (readable == 0) {
		snprintf(err, cap, "no readable capture among %zu files", c->n_files);
		return -1;
	}
	return rc;
}

const char *capture_pcap_current_file(const struct capture *c)
{
	return c->current;
}

const struct capture_stats *capture_pcap_stats(const struct capture *c)
{
	return &c->st;
}

void capture_pcap_close(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	if (c->first)
		pcap_close(c->first);
	free(c);
}
