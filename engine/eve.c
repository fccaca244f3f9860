#include "eve.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

static const char *const eve_type_names[EVE_T__COUNT] = {
	[EVE_T_SIP] = "sip",         [EVE_T_CALL] = "call",   [EVE_T_FLOW] = "flow",
	[EVE_T_ANOMALY] = "anomaly", [EVE_T_STATS] = "stats", [EVE_T_ALERT] = "alert",
	[EVE_T_DROP] = "drop",
	[EVE_T_BLOCK] = "block",
};

const char *eve_type_name(enum eve_type t)
{
	return (unsigned)t < EVE_T__COUNT ? eve_type_names[t] : "unknown";
}

int eve_type_by_name(const char *name)
{
	for (int i = 0; i < EVE_T__COUNT; i++)
		if (strcmp(eve_type_names[i], name) == 0)
			return i;
	return -1;
}

const char *eve_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "IPv6-ICMP";
	case IPPROTO_SCTP:
		return "SCTP";
	default:
		return NULL;
	}
}

/*
 * Writing: records are collected in our own buffer and leave it only as
 * whole lines (the stream itself is unbuffered), so a file being read
 * while it grows, or left by a process killed with SIGKILL, never ends in
 * half a record. (stdio's full buffering flushed every 4 KiB, mid-record.)
 */
#define EVE_WBUF (1u << 16)

/* Each thread's record under construction. */
static __thread struct json_buf tl_jb;

static void count_error(struct eve *e)
{
	__atomic_fetch_add(&e->write_errors, 1, __ATOMIC_RELAXED);
}

/* Under e->mu. */
static void wbuf_flush(struct eve *e)
{
	if (e->wlen && e->out && fwrite(e->wbuf, 1, e->wlen, e->out) != e->wlen)
		count_error(e);
	e->wlen = 0;
}

static void lock(struct eve *e)
{
	if (e->mu_init)
		pthread_mutex_lock(&e->mu);
}

static void unlock(struct eve *e)
{
	if (e->mu_init)
		pthread_mutex_unlock(&e->mu);
}

/*
 * Appending to a file whose last line is unfinished (a writer that died in
 * the middle of a write): start on a new line, so that the first record
 * written now is not glued to the broken one.
 */
static void end_broken_line(FILE *f)
{
	long end;
	int c;
	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) <= 0)
		return;
	if (fseek(f, end - 1, SEEK_SET) != 0)
		return;
	c = fgetc(f);
	fseek(f, 0, SEEK_END);
	if (c != '\n' && c != EOF)
		fputc('\n', f);
}

static FILE *open_out(const char *path, int truncate)
{
	FILE *f = fopen(path, truncate ? "w" : "a+");
	if (!f)
		return NULL;
	setvbuf(f, NULL, _IONBF, 0);
	if (!truncate)
		end_broken_line(f);
	return f;
}

int eve_open(struct eve *e, const char *path, int truncate)
{
	FILE *f;
	if (!e->mu_init) {
		if (pthread_mutex_init(&e->mu, NULL) != 0)
			return -1;
		e->mu_init = 1;
	}
	if (!e->wbuf && !(e->wbuf = malloc(EVE_WBUF)))
		return -1;
	f = open_out(path, truncate);
	if (!f)
		return -1;
	free(e->path);
	e->path = strdup(path);
	if (!e->path) {
		fclose(f);
		return -1;
	}
	e->out = f;
	e->wlen = 0;
	return 0;
}

int eve_reopen(struct eve *e)
{
	FILE *f;
	int rc = -1;
	lock(e);
	if (e->path && (f = open_out(e->path, 0))) {
		wbuf_flush(e);
		if (e->out)
			fclose(e->out);
		__atomic_store_n(&e->out, f, __ATOMIC_RELAXED);
		rc = 0;
	}
	unlock(e);
	return rc;
}

void eve_close(struct eve *e)
{
	lock(e);
	if (e->out) {
		wbuf_flush(e);
		if (fclose(e->out) != 0)
			count_error(e);
	}
	__atomic_store_n(&e->out, NULL, __ATOMIC_RELAXED);
	free(e->path);
	e->path = NULL;
	free(e->wbuf);
	e->wbuf = NULL;
	unlock(e);
	if (e->mu_init) {
		pthread_mutex_destroy(&e->mu);
		e->mu_init = 0;
	}
	eve_thread_done();
}

void eve_thread_done(void)
{
	json_free(&tl_jb);
}

void eve_flush(struct eve *e)
{
	lock(e);
	if (e->out)
		wbuf_flush(e);
	unlock(e);
}

void eve_counts(const struct eve *e, uint64_t records[EVE_T__COUNT], uint64_t *write_errors)
{
	for (int t = 0; t < EVE_T__COUNT; t++)
		records[t] = __atomic_load_n(&e->records[t], __ATOMIC_RELAXED);
	*write_errors = __atomic_load_n(&e->write_errors, __ATOMIC_RELAXED);
}

struct json_buf *eve_begin(struct eve *e, enum eve_type t, const struct eve_hdr *h)
{
	char ts[64], a[SW_ADDR_STRLEN];
	struct json_buf *j = &tl_jb;
	const char *pn;

	/* e->out is only read to skip formatting when there is no file (it
	 * changes only by reopen, to another open file). */
	if ((unsigned)t >= EVE_T__COUNT || !e->enabled[t] || !__atomic_load_n(&e->out, __ATOMIC_RELAXED))
		return NULL;
	json_reset(j);
	json_open_object(j, NULL);
	json_ts_format(ts, sizeof(ts), h->ts);
	json_set_str(j, "timestamp", ts);
	if (h->flow_id)
		json_set_uint(j, "flow_id", h->flow_id);
	if (h->in_iface)
		json_set_str(j, "in_iface", h->in_iface);
	if (h->pcap_cnt)
		json_set_uint(j, "pcap_cnt", h->pcap_cnt);
	json_set_str(j, "event_type", eve_type_names[t]);
	if (e->pcap_filename && h->pcap_cnt)
		json_set_str(j, "pcap_filename", e->pcap_filename);
	if (h->src && h->src->family) {
		json_set_str(j, "src_ip", sw_addr_str(h->src, a, sizeof(a)));
		if (h->proto == IPPROTO_UDP || h->proto == IPPROTO_TCP)
			json_set_uint(j, "src_port", h->sport);
	}
	if (h->dst && h->dst->family) {
		json_set_str(j, "dest_ip", sw_addr_str(h->dst, a, sizeof(a)));
		if (h->proto == IPPROTO_UDP || h->proto == IPPROTO_TCP)
			json_set_uint(j, "dest_port", h->dport);
	}
	if (h->ip_v)
		json_set_uint(j, "ip_v", h->ip_v);
	if (h->proto) {
		pn = eve_proto_name(h->proto);
		if (pn) {
			json_set_str(j, "proto", pn);
		} else {
			char num[8];
			snprintf(num, sizeof(num), "%u", h->proto);
			json_set_str(j, "proto", num);
		}
	}
	if (h->pkt_src)
		json_set_str(j, "pkt_src", h->pkt_src);
	if (h->tx_id >= 0)
		json_set_uint(j, "tx_id", (uint64_t)h->tx_id);
	if (h->app_proto)
		json_set_str(j, "app_proto", h->app_proto);
	if (h->direction)
		json_set_str(j, "direction", h->direction);
	__atomic_fetch_add(&e->records[t], 1, __ATOMIC_RELAXED);
	return j;
}

void eve_end(struct eve *e)
{
	struct json_buf *j = &tl_jb;
	json_close_object(j);
	if (j->err) {
		count_error(e);
		return;
	}
	lock(e);
	if (!e->out) {
		unlock(e);
		return;
	}
	if (e->wlen + j->len + 1 > EVE_WBUF)
		wbuf_flush(e);
	if (j->len + 1 > EVE_WBUF) {
		/* Larger than the buffer: the line goes out on its own. */
		j->buf[j->len] = '\n';
		if (fwrite(j->buf, 1, j->len + 1, e->out) != j->len + 1)
			count_error(e);
		j->buf[j->len] = '\0';
	} else {
		memcpy(e->wbuf + e->wlen, j->buf, j->len);
		e->wbuf[e->wlen + j->len] = '\n';
		e->wlen += j->len + 1;
	}
	unlock(e);
}
