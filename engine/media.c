/*
 * media.c - media expectations (RFC 3264 offer/answer, RFC 3605 a=rtcp).
 *
 * Each m= line of an SDP seen in a dialog announces where its sender wants
 * to receive RTP (c= address, m= port) and RTCP (a=rtcp, else port + 1,
 * none with a=rtcp-mux). Every such endpoint becomes an expectation owned
 * by the dialog, hashed by (address, port, transport) so that the engine can
 * tie a UDP flow to its call by either endpoint. A new SDP from the same
 * side (re-INVITE, UPDATE, answer after early media) replaces that side's
 * expectations for the same m= line; port 0 removes them (stream
 * declined). An endpoint announced by a newer dialog moves to it.
 * Expectations live as long as their dialog; the table is capped by
 * max_media and the oldest expectation is evicted (anomaly) when full.
 */
#include <netinet/in.h>

#include "anomaly.h"
#include "sip_state_int.h"

static uint64_t mkey(const sw_addr *a, uint16_t port, uint8_t proto)
{
	return sw_hash_mix(sw_hash_bytes(sw_hash_bytes(0, a, sizeof(*a)), &port, sizeof(port)) ^
	                   proto);
}

static void unlink_exp(struct sip_state *s, struct media_exp *x)
{
	uint64_t h = mkey(&x->addr, x->port, x->proto);
	struct media_exp **pp = &s->c->media_h[h & s->c->media_mask];
	while (*pp && *pp != x)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = x->hnext;
	pp = &x->dlg->media;
	while (*pp && *pp != x)
		pp = &(*pp)->dnext;
	if (*pp)
		*pp = x->dnext;
	dl_del(&s->c->media_lru, &x->lru);
	s->c->st.media_active--;
	free(x);
}

struct media_exp *media_find(struct sip_state *s, const sw_addr *a, uint16_t port, uint8_t proto)
{
	for (struct media_exp *x = s->c->media_h[mkey(a, port, proto) & s->c->media_mask]; x;
	     x = x->hnext)
		if (x->port == port && x->proto == proto && sw_addr_eq(&x->addr, a))
			return x;
	return NULL;
}

static void add(struct sip_state *s, struct dialog *d, int party, unsigned index, int rtcp,
                const sw_addr *a, uint16_t port)
{
	struct media_exp *x = media_find(s, a, port, IPPROTO_UDP);
	uint64_t h;
	if (x)
		unlink_exp(s, x);
	if (s->c->st.media_active >= s->cfg.max_media) {
		struct dl_node *n = dl_first(&s->c->media_lru);
		if (n) {
			s->c->st.media_evicted++;
			ss_anomaly(s, NULL, ANOM_STATE_MEDIA_EVICTED);
			unlink_exp(s, dl_entry(n, struct media_exp, lru));
		}
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return;
	x->dlg = d;
	x->addr = *a;
	x->port = port;
	x->proto = IPPROTO_UDP;
	x->party = (uint8_t)party;
	x->is_rtcp = (uint8_t)rtcp;
	x->index = (uint8_t)index;
	h = mkey(a, port, IPPROTO_UDP);
	x->hnext = s->c->media_h[h & s->c->media_mask];
	s->c->media_h[h & s->c->media_mask] = x;
	x->dnext = d->media;
	d->media = x;
	dl_push(&s->c->media_lru, &x->lru);
	s->c->st.media_active++;
	s->c->st.media_added++;
	__atomic_store_n(&s->c->media_epoch, s->c->media_epoch + 1, __ATOMIC_RELAXED);
}

/* Removes d's expectations announced by party for m= line index. */
static void drop_index(struct sip_state *s, struct dialog *d, int party, unsigned index)
{
	struct media_exp *x = d->media, *next;
	for (; x; x = next) {
		next = x->dnext;
		if (x->party == party && x->index == index)
			unlink_exp(s, x);
	}
}

static struct sip_dialog_media *slot(struct dialog *d, unsigned index, sw_str media)
{
	for (unsigned i = 0; i < d->n_m; i++)
		if (d->m[i].index == index)
			return &d->m[i];
	if (d->n_m >= SIP_DIALOG_MAX_MEDIA)
		return NULL;
	struct sip_dialog_media *m = &d->m[d->n_m++];
	memset(m, 0, sizeof(*m));
	m->index = (uint8_t)index;
	sw_str_copy(m->media, sizeof(m->media), media);
	return m;
}

static int from_sdp(struct sip_state *s, struct dialog *d, int party,
                    const struct sdp_session *sdp)
{
	static const uint8_t zero[16];
	int moved = 0;
	party = party ? 1 : 0;
	for (unsigned i = 0; i < sdp->n_media && i < SDP_MAX_MEDIA; i++) {
		const struct sdp_media *md = &sdp->media[i];
		const struct sdp_conn *c = sdp_media_conn(sdp, i);
		struct sip_dialog_media *sm = slot(d, i, md->media);

		drop_index(s, d, party, i);
		if (sm) {
			/* A new address for a stream that had one, and not the party's
			 * own signalling address: the media moves elsewhere. */
			if (c && c->present && c->addr.family && sm->addr[party].family &&
			    memcmp(sm->addr[party].a, zero, 16) != 0 && memcmp(c->addr.a, zero, 16) != 0 &&
			    !sw_addr_eq(&sm->addr[party], &c->addr) && !sw_addr_eq(&d->addr[party], &c->addr))
				moved = 1;
			sm->port[party] = md->port;
			if (c && c->present)
				sm->addr[party] = c->addr;
		}
		/* Declined stream, hold with 0.0.0.0 (RFC 2543 style) or an FQDN. */
		if (md->port == 0 || !c || !c->present || c->addr.family == 0)
			continue;
		if (memcmp(c->addr.a, zero, 16) == 0)
			continue;
		add(s, d, party, i, 0, &c->addr, md->port);
		if (!md->rtcp_mux) {
			uint16_t rp = md->rtcp_port ? md->rtcp_port : (uint16_t)(md->port + 1);
			const sw_addr *ra = md->rtcp_conn.present && md->rtcp_conn.addr.family
			                            ? &md->rtcp_conn.addr
			                            : &c->addr;
			if (rp != 0 && !(rp == md->port && sw_addr_eq(ra, &c->addr)))
				add(s, d, party, i, 1, ra, rp);
		}
	}
	return moved;
}

/* The expectations, and every dialog's list of its own, are the common
 * part's: changed under c->mu (an endpoint may move from a dialog of
 * another shard to this one). */
int media_from_sdp(struct sip_state *s, struct dialog *d, int party,
                   const struct sdp_session *sdp)
{
	int moved;
	pthread_mutex_lock(&s->c->mu);
	moved = from_sdp(s, d, party, sdp);
	pthread_mutex_unlock(&s->c->mu);
	return moved;
}

void media_free_dialog(struct sip_state *s, struct dialog *d)
{
	pthread_mutex_lock(&s->c->mu);
	while (d->media)
		unlink_exp(s, d->media);
	pthread_mutex_unlock(&s->c->mu);
}

void media_free_all(struct sip_state *s)
{
	struct dl_node *n;
	pthread_mutex_lock(&s->c->mu);
	while ((n = dl_first(&s->c->media_lru)))
		unlink_exp(s, dl_entry(n, struct media_exp, lru));
	pthread_mutex_unlock(&s->c->mu);
}

int sip_state_media_source_ok(struct sip_state *s, uint64_t dialog_id, int party,
                              const sw_addr *src)
{
	struct dialog *d = dialog_by_id(s, dialog_id);
	int found = 0;
	if (!d || party < 0 || party > 1)
		return -1;
	pthread_mutex_lock(&s->c->mu);
	for (const struct media_exp *x = d->media; x && !found; x = x->dnext)
		found = x->party == party && sw_addr_eq(&x->addr, src);
	pthread_mutex_unlock(&s->c->mu);
	return found || sw_addr_eq(&d->addr[party], src);
}
