/*
 * inline.c - inline mode (see inline.h).
 *
 * Threads: one worker per queue receives a batch, runs each packet through
 * the engine and answers the batch. By default the queues share one engine:
 * each queue's worker owns its flows, reassembly and counters, and the call
 * state (sharded by Call-ID, a lock per shard; what spans calls under its
 * own), the rules' memory and the blocks are shared under their own locks
 * (engine.c), so SIP and its RTP may arrive on different queues
 * (--queue-balance) and meet the same call, while workers judge side by
 * side. With nfq.engine-per-queue each queue has an engine of its own and
 * shares nothing. The main thread handles signals, runs the workers' timers
 * once a second when traffic is idle, writes the stats, and compiles
 * reloaded rules without holding a lock (packets keep flowing; only the
 * swap is locked).
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "capture_nfq.h"
#include "config.h"
#include "conntrack.h"
#include "flow.h"
#include "detect_engine.h"
#include "engine.h"
#include "inject.h"
#include "inline.h"
#include "log.h"

struct inline_ctx;

/* An engine (one, or one per queue). */
struct shard {
	struct engine *eng;
};

struct worker {
	struct inline_ctx *ic;
	struct nfq_queue *q;
	struct shard *sh;          /* the engine this worker judges with ... */
	struct engine_worker *ew;  /* ... and its part of it that is this queue's */
	struct engine_defer *defer; /* this worker's: records written after the lock */
	pthread_t th;
	int started;
	struct nfq_stats reported; /* counters already added to the engine's stats */
	uint64_t k_qdrop, k_udrop;  /* the kernel's counters, as last read (a bind starts them at 0) */
	uint64_t k_qd_new, k_ud_new; /* ... as just read by read_kernel_counts() */
	int k_ok;                    /* ... which found the queue */
	char err[256];
	int failed;
};

struct inline_ctx {
	const struct inline_opts *o;
	struct shard *sh;
	unsigned n_sh;
	struct injector *inj;
	struct ct_handle *ct;      /* offloaded flows' connections (engine timers) ... */
	pthread_mutex_t ct_lock;   /* ... one request at a time, whichever engine asks */
	struct worker *w;
	unsigned n_w;
	int stop;                  /* set by the main thread (atomic), read by the workers */
};

/* The kernel's description of the packet the calling worker is judging
 * (for the reject injector: which bridge port, which MAC). */
static __thread const struct nfq_meta *cur_meta;

static sw_time now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (sw_time)ts.tv_sec * SW_USEC_PER_SEC + (sw_time)(ts.tv_nsec / 1000);
}

/*
 * engine_io.inject. Toward the sender: out of the bridge port the packet
 * came in on, to the MAC it came from, from the MAC last seen with the
 * address the reply impersonates (the PBX's own, so that it looks like the
 * PBX's answer) or the port's own MAC if never seen. Toward the
 * destination: out of the port the packet was going to leave by, to the
 * MAC last seen with the destination address (none known: not sent), from
 * the sender's.
 */
static int do_inject(void *ud, const packet *orig, int to_sender, const uint8_t *l3, size_t len)
{
	struct inline_ctx *ic = ud;
	const struct nfq_meta *m = cur_meta;
	uint8_t src_mac[6], dst_mac[6];
	int ifindex;

	if (!ic->inj || !m)
		return -1;
	if (to_sender) {
		if (m->hwaddr_len != 6)
			return -1;
		ifindex = (int)(m->physindev ? m->physindev : m->indev);
		if (!ifindex)
			return -1;
		if (inject_lookup(ic->inj, &orig->dst, src_mac) == 1)
			return inject_send_vlan(ic->inj, ifindex, m->hwaddr, src_mac, m->vlan, l3, len);
		return inject_send_vlan(ic->inj, ifindex, m->hwaddr, NULL, m->vlan, l3, len);
	}
	ifindex = (int)m->physoutdev;
	if (!ifindex || inject_lookup(ic->inj, &orig->dst, dst_mac) != 1)
		return -1;
	if (m->hwaddr_len == 6)
		return inject_send_vlan(ic->inj, ifindex, dst_mac, m->hwaddr, m->vlan, l3, len);
	return inject_send_vlan(ic->inj, ifindex, dst_mac, NULL, m->vlan, l3, len);
}

static void ct_tuple_of(struct ct_tuple *t, const struct flow_key *k)
{
	t->src = k->src;
	t->dst = k->dst;
	t->sport = k->sport;
	t->dport = k->dport;
	t->proto = k->proto;
}

/* engine_io.flow_alive: the kernel still forwards an offloaded flow while
 * its connection is in the conntrack table (it expires some time after
 * the last packet: net.netfilter.nf_conntrack_udp_timeout_stream). */
static int ct_alive(void *ud, const struct flow_key *k, uint64_t *pkts, uint64_t *bytes,
                    int *counted)
{
	struct inline_ctx *ic = ud;
	struct ct_tuple t;
	struct ct_info info;
	int r;
	if (!ic->ct)
		return -1;
	ct_tuple_of(&t, k);
	pthread_mutex_lock(&ic->ct_lock);
	r = ct_get(ic->ct, &t, &info);
	pthread_mutex_unlock(&ic->ct_lock);
	if (r == 1 && info.have_counters) {
		*pkts = info.pkts;
		*bytes = info.bytes;
		*counted = 1;
	}
	return r;
}

/* engine_io.flow_forget: the call ended; the connection (and its bypass
 * mark) goes, so a new flow on the same ports is queued again. */
static void ct_forget(void *ud, const struct flow_key *k)
{
	struct inline_ctx *ic = ud;
	struct ct_tuple t;
	if (!ic->ct)
		return;
	ct_tuple_of(&t, k);
	pthread_mutex_lock(&ic->ct_lock);
	(void)ct_delete(ic->ct, &t);
	pthread_mutex_unlock(&ic->ct_lock);
}

static void on_packet(void *ud, packet *p, const struct nfq_meta *m, struct nfq_verdict *v)
{
	struct worker *w = ud;
	struct inline_ctx *ic = w->ic;
	int r;

	cur_meta = m;
	engine_worker_lock(w->ew);
	engine_defer_start(w->ew, w->defer);
	r = engine_worker_packet(w->ew, p);
	engine_defer_stop(w->ew);
	engine_worker_unlock(w->ew);
	engine_defer_write(w->sh->eng, w->defer);
	cur_meta = NULL;
	if (ic->inj && m->hwaddr_len == 6 && p->ip_v)
		inject_learn(ic->inj, &p->src, m->hwaddr);
	if (r & ENGINE_DROP) {
		v->action = NFQ_DROP;
	} else if (r & ENGINE_BYPASS) {
		v->action = NFQ_BYPASS;
		v->mark = ic->o->cfg->nfq.bypass_mark;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!__atomic_load_n(&w->ic->stop, __ATOMIC_RELAXED)) {
		if (nfq_queue_poll(w->q, 200, on_packet, w, w->err, sizeof(w->err)) < 0) {
			__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	engine_thread_done();
	return NULL;
}

/*
 * The kernel's counters of queue q: /proc/net/netfilter/nfnetlink_queue
 * (this network namespace) has "queue portid waiting copy_mode copy_range
 * queue_dropped user_dropped id_sequence 1" per bound queue. 0 if found.
 */
static int kernel_queue_counts(uint16_t q, uint64_t *qdrop, uint64_t *udrop)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	char line[256];
	int found = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[9];
		if (sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		           &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) >= 7 &&
		    v[0] == q) {
			*qdrop = v[5];
			*udrop = v[6];
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Reads the kernel's counters of shard sh's queues (main thread, before
 * taking any worker: reading /proc takes a while). */
static void read_kernel_counts(struct inline_ctx *ic, struct shard *sh)
{
	for (unsigned i = 0; i < ic->n_w; i++) {
		struct worker *w = &ic->w[i];
		if (w->sh == sh)
			w->k_ok = kernel_queue_counts(nfq_queue_num(w->q), &w->k_qd_new, &w->k_ud_new) == 0;
	}
}

/* Adds what worker w's queue counted since the last call to its stats
 * (the caller holds w->ew, after read_kernel_counts()). */
static void report_capture(struct worker *w)
{
	{
		uint64_t qd, ud;
		uint64_t dq = 0, du = 0;
		if (w->k_ok) {
			qd = w->k_qd_new;
			ud = w->k_ud_new;
			dq = qd >= w->k_qdrop ? qd - w->k_qdrop : 0;
			du = ud >= w->k_udrop ? ud - w->k_udrop : 0;
			w->k_qdrop = qd;
			w->k_udrop = ud;
			w->k_ok = 0;
		}
		struct nfq_stats snap, *s = &snap;
		struct nfq_stats *r = &w->reported;
		nfq_queue_stats(w->q, &snap);
		struct engine_capture_counts c = {
			.packets = s->packets - r->packets,
			.missed = s->missed - r->missed,
			.enobufs = s->enobufs - r->enobufs,
			.verdict_errors = s->verdict_errors - r->verdict_errors,
			.gso = s->gso - r->gso,
			.truncated = s->truncated - r->truncated,
			.kernel_queue_dropped = dq,
			.kernel_user_dropped = du,
		};
		*r = *s;
		engine_capture_counts(w->ew, &c);
	}
}

/* The main thread's round over shard sh once a second: each worker's
 * capture counters and idle timers (records the timers complete go
 * through the main thread's d), then the stats when due, then the file. */
static void tick_shard(struct inline_ctx *ic, struct shard *sh, struct engine_defer *d, sw_time now)
{
	for (unsigned i = 0; i < ic->n_w; i++) {
		struct worker *w = &ic->w[i];
		if (w->sh != sh)
			continue;
		engine_worker_lock(w->ew);
		report_capture(w);
		engine_defer_start(w->ew, d);
		engine_worker_tick(w->ew, now);
		engine_defer_stop(w->ew);
		engine_worker_unlock(w->ew);
		engine_defer_write(sh->eng, d);
	}
	engine_stats_tick(sh->eng, now);
	engine_flush(sh->eng);
}

/*
 * Reloads the rules: compiled without holding anything (traffic keeps
 * flowing on the old rules meanwhile), swapped in under the rules' lock.
 */
static void reload(struct inline_ctx *ic)
{
	struct detect_load_opts lo = { .cfg = ic->o->cfg, .errs = stderr };
	struct detect_engine **de = calloc(ic->n_sh, sizeof(*de));
	unsigned nerr = 0, n = 0;

	/* Each engine has rule counters of its own, in its compiled set:
	 * every set is compiled first, and swapped in only if all are. */
	for (; de && n < ic->n_sh; n++) {
		de[n] = detect_engine_load(ic->o->rules, ic->o->n_rules, &lo, &nerr);
		if (!de[n])
			break;
		lo.errs = NULL; /* the same files: their messages once */
	}
	if (!de || n < ic->n_sh) {
		fprintf(stderr, "sipwire: rule reload failed (%u error%s): keeping the %u rules running\n",
		        nerr, nerr == 1 ? "" : "s", engine_rule_count(ic->sh[0].eng));
	} else {
		for (unsigned i = 0; i < ic->n_sh; i++)
			(void)engine_set_rules(ic->sh[i].eng, de[i]);
		fprintf(stderr, "sipwire: rules reloaded: %u rules\n", engine_rule_count(ic->sh[0].eng));
	}
	for (unsigned i = 0; de && i < n && i < ic->n_sh; i++)
		detect_engine_free(de[i]);
	free(de);
}

/*
 * run-as: switch to an unprivileged user and group, keeping only
 * CAP_NET_ADMIN (every netlink verdict is checked against it) and
 * CAP_NET_RAW (reject replies go out of an AF_PACKET socket; opened
 * already, kept in case of a later reopen).
 */
static int drop_privileges(const struct sw_config *cfg, const char *logdir)
{
	const char *user = cfg->run_as.user, *group = cfg->run_as.group;
	struct passwd *pw;
	gid_t gid;
	cap_t caps;
	cap_value_t keep[] = { CAP_NET_ADMIN, CAP_NET_RAW };

	if (!user || strcmp(user, "root") == 0)
		return 0;
	pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "sipwire: run-as.user: no user \"%s\"\n", user);
		return -1;
	}
	gid = pw->pw_gid;
	if (group && strcmp(group, "auto") != 0) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			fprintf(stderr, "sipwire: run-as.group: no group \"%s\"\n", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/* The EVE file was opened as root: hand it over so that SIGHUP can
	 * reopen it after rotation. */
	if (cfg->outputs.eve.enabled) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", logdir, cfg->outputs.eve.filename);
		if (chown(path, pw->pw_uid, gid) != 0)
			log_warn("%s: cannot hand the EVE file to %s", path, user);
	}
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 || setgroups(1, &gid) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		fprintf(stderr, "sipwire: run-as %s: %s\n", user, strerror(errno));
		return -1;
	}
	caps = cap_init();
	if (!caps || cap_set_flag(caps, CAP_PERMITTED, 2, keep, CAP_SET) != 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 2, keep, CAP_SET) != 0 || cap_set_proc(caps) != 0) {
		fprintf(stderr, "sipwire: run-as %s: keeping CAP_NET_ADMIN: %s\n", user,
		        strerror(errno));
		if (caps)
			cap_free(caps);
		return -1;
	}
	cap_free(caps);
	(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	log_info("running as %s (uid %u, gid %u) with CAP_NET_ADMIN, CAP_NET_RAW", user,
	         (unsigned)pw->pw_uid, (unsigned)gid);
	return 0;
}

static void print_summary(struct inline_ctx *ic)
{
	uint64_t pk = 0, acc = 0, drop = 0, byp = 0, miss = 0, nob = 0;
	for (unsigned i = 0; i < ic->n_w; i++) {
		struct nfq_stats snap, *s = &snap;
		nfq_queue_stats(ic->w[i].q, &snap);
		pk += s->packets;
		acc += s->accepted;
		drop += s->dropped;
		byp += s->bypassed;
		miss += s->missed;
		nob += s->enobufs;
	}
	fprintf(stderr,
	        "sipwire: %llu packets: %llu accepted, %llu dropped, %llu offloaded; %llu missed "
	        "(queue full or lost), %llu socket overflows\n",
	        (unsigned long long)pk, (unsigned long long)acc, (unsigned long long)drop,
	        (unsigned long long)byp, (unsigned long long)miss, (unsigned long long)nob);
}

int inline_run(const struct inline_opts *o)
{
	struct inline_ctx ic;
	struct nfq_opts qo = {
		.queue_maxlen = o->cfg->nfq.queue_maxlen,
		.buffer_size = o->cfg->nfq.buffer_size,
		.batch = o->cfg->nfq.batchcount,
		.fail_open = o->cfg->nfq.fail_open,
		.gso = o->cfg->nfq.gso,
		.vlan_mark = o->cfg->nfq.vlan_mark,
	};
	struct engine_io io;
	struct engine_defer *tick_defer = NULL; /* the main thread's (engine timers) */
	sigset_t sigs;
	char err[512];
	int rc = 0;

	memset(&ic, 0, sizeof(ic));
	ic.o = o;
	pthread_mutex_init(&ic.ct_lock, NULL);

	/* Signals are taken by the main thread only (sigtimedwait). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* One engine, or one per queue; each appends whole lines to the same
	 * EVE file (O_APPEND: lines from different engines never mix). */
	ic.n_sh = o->cfg->nfq.engine_per_queue ? o->n_queues : 1;
	ic.sh = calloc(ic.n_sh, sizeof(*ic.sh));
	if (!ic.sh) {
		fprintf(stderr, "sipwire: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < ic.n_sh; i++) {
		struct shard *sh = &ic.sh[i];
		sh->eng = engine_create(o->cfg, o->logdir, ENGINE_EVE_APPEND,
		                        ic.n_sh > 1 ? 1 : o->n_queues, err, sizeof(err));
		if (!sh->eng) {
			fprintf(stderr, "sipwire: %s\n", err);
			for (unsigned k = 0; k < i; k++)
				engine_destroy(ic.sh[k].eng);
			free(ic.sh);
			pthread_mutex_destroy(&ic.ct_lock);
			return 1;
		}
		if (ic.n_sh > 1)
			engine_set_queue(sh->eng, o->queues[i]);
		if (o->n_rules) {
			unsigned nerr = 0;
			if (engine_load_rules(sh->eng, o->rules, o->n_rules, i ? NULL : stderr, &nerr) != 0) {
				fprintf(stderr, "sipwire: %u error%s in the rules\n", nerr,
				        nerr == 1 ? "" : "s");
				for (unsigned k = 0; k <= i; k++)
					engine_destroy(ic.sh[k].eng);
				free(ic.sh);
				pthread_mutex_destroy(&ic.ct_lock);
				return 1;
			}
		}
	}
	ic.inj = inject_open(err, sizeof(err));
	if (!ic.inj)
		log_warnx("reject replies disabled: %s", err);
	if (o->cfg->ips.media_offload && o->cfg->nfq.bypass_mark) {
		ic.ct = ct_open(err, sizeof(err));
		if (!ic.ct)
			log_warnx("offloaded flows will simply time out: %s", err);
	}
	ic.w = calloc(o->n_queues, sizeof(*ic.w));
	tick_defer = engine_defer_new();
	if (!ic.w || !tick_defer) {
		fprintf(stderr, "sipwire: out of memory\n");
		rc = 1;
		goto out;
	}
	for (unsigned i = 0; i < o->n_queues; i++) {
		ic.w[i].ic = &ic;
		ic.w[i].sh = &ic.sh[ic.n_sh > 1 ? i : 0];
		ic.w[i].ew = engine_worker(ic.w[i].sh->eng, ic.n_sh > 1 ? 0 : i);
		ic.w[i].defer = engine_defer_new();
		if (!ic.w[i].defer) {
			fprintf(stderr, "sipwire: out of memory\n");
			rc = 1;
			goto out;
		}
		ic.w[i].q = nfq_queue_open(o->queues[i], &qo, err, sizeof(err));
		if (!ic.w[i].q) {
			fprintf(stderr, "sipwire: %s\n", err);
			rc = 1;
			goto out;
		}
		ic.n_w++;
	}
	if (drop_privileges(o->cfg, o->logdir) != 0) {
		rc = 1;
		goto out;
	}
	memset(&io, 0, sizeof(io));
	io.inject = do_inject;
	io.flow_alive = ct_alive;
	io.flow_forget = ct_forget;
	io.ud = &ic;
	for (unsigned i = 0; i < ic.n_sh; i++)
		engine_set_inline(ic.sh[i].eng, &io);

	for (unsigned i = 0; i < ic.n_w; i++) {
		if (pthread_create(&ic.w[i].th, NULL, worker_main, &ic.w[i]) != 0) {
			fprintf(stderr, "sipwire: cannot start a worker thread\n");
			__atomic_store_n(&ic.stop, 1, __ATOMIC_RELAXED);
			rc = 1;
			goto join;
		}
		ic.w[i].started = 1;
	}
	fprintf(stderr, "sipwire: inline on %u queue%s, %u rules%s\n", ic.n_w, ic.n_w == 1 ? "" : "s",
	        engine_rule_count(ic.sh[0].eng), ic.n_sh > 1 ? ", an engine per queue" : "");

	while (!__atomic_load_n(&ic.stop, __ATOMIC_RELAXED)) {
		struct timespec one = { 1, 0 };
		int sig = sigtimedwait(&sigs, NULL, &one);
		if (sig == SIGINT || sig == SIGTERM) {
			__atomic_store_n(&ic.stop, 1, __ATOMIC_RELAXED);
			break;
		}
		if (sig == SIGHUP)
			reload(&ic);
		for (unsigned i = 0; i < ic.n_sh; i++) {
			struct shard *sh = &ic.sh[i];
			read_kernel_counts(&ic, sh);
			if (sig == SIGHUP && engine_reopen_logs(sh->eng) != 0)
				log_warn("cannot reopen the EVE log");
			tick_shard(&ic, sh, tick_defer, now_usec());
		}
		for (unsigned i = 0; i < ic.n_w; i++)
			if (__atomic_load_n(&ic.w[i].failed, __ATOMIC_RELAXED)) {
				__atomic_store_n(&ic.stop, 1, __ATOMIC_RELAXED);
				rc = 1;
			}
	}
join:
	for (unsigned i = 0; i < ic.n_w; i++) {
		if (ic.w[i].started)
			pthread_join(ic.w[i].th, NULL);
		if (ic.w[i].failed)
			fprintf(stderr, "sipwire: %s\n", ic.w[i].err);
	}
	for (unsigned i = 0; i < ic.n_sh; i++)
		read_kernel_counts(&ic, &ic.sh[i]);
	for (unsigned i = 0; i < ic.n_w; i++) {
		engine_worker_lock(ic.w[i].ew);
		report_capture(&ic.w[i]);
		engine_worker_unlock(ic.w[i].ew);
	}
	print_summary(&ic);
out:
	/* Unbind first: from here the kernel passes packets (--queue-bypass). */
	for (unsigned i = 0; i < o->n_queues && ic.w; i++) {
		nfq_queue_close(ic.w[i].q);
		engine_defer_free(ic.w[i].defer);
	}
	for (unsigned i = 0; i < ic.n_sh; i++) {
		struct shard *sh = &ic.sh[i];
		if (!sh->eng)
			continue;
		engine_finish(sh->eng);
		if (engine_write_errors(sh->eng)) {
			fprintf(stderr, "sipwire: %llu EVE write errors (disk full?)\n",
			        engine_write_errors(sh->eng));
			rc = 1;
		}
		engine_destroy(sh->eng);
	}
	free(ic.sh);
	engine_defer_free(tick_defer);
	inject_close(ic.inj);
	ct_close(ic.ct);
	free(ic.w);
	pthread_mutex_destroy(&ic.ct_lock);
	return rc;
}
