/*
 * sip_reg.c - registrations (RFC 3261 §10): address of record -> contacts,
 * each with the network source that registered it and its expiry.
 *
 * Bindings are learned from the registrar's 2xx to a REGISTER, which lists
 * the bindings it holds with their granted expiry (§10.3 step 8), not
 * from the request (which may be refused). The binding's source is the
 * REGISTER's sender address and port. Contact expiry: the contact's
 * expires parameter, else the Expires header, else 3600 s (§10.2.1.1),
 * capped by registration-max-expires. A 2xx to "Contact: *" with no
 * contact left removes the whole AOR; expires=0 removes one binding.
 *
 * res->reg_changed_source is set when a 2xx binds or refreshes an AOR
 * that already had a binding from another IP address: what detection
 * looks at for registration hijacking.
 *
 * The table holds at most max_regs AORs (least recently refreshed evicted,
 * anomaly) and REG_MAX_BINDINGS bindings each (the one expiring first
 * is replaced). Expiry is swept every few seconds of packet time.
 */
#include <stdio.h>

#include "anomaly.h"
#include "sip_state_int.h"

#define REG_DEFAULT_EXPIRES 3600

static uint64_t rkey(const char *aor)
{
	return sw_hash_mix(sw_hash_bytes(0, aor, strlen(aor)));
}

static struct reg *lookup(struct sip_state *s, const char *aor, uint64_t h)
{
	for (struct reg *r = s->c->reg_h[h & s->c->reg_mask]; r; r = r->hnext)
		if (r->hash == h && strcmp(r->aor, aor) == 0)
			return r;
	return NULL;
}

static void reg_free(struct sip_state *s, struct reg *r)
{
	for (unsigned i = 0; i < r->n_b; i++)
		cmap_add(&s->c->regsrc, ss_key_addr('r', &r->b[i].src), -1);
	struct reg **pp = &s->c->reg_h[r->hash & s->c->reg_mask];
	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = r->hnext;
	dl_del(&s->c->reg_lru, &r->lru);
	s->c->st.regs_active--;
	free(r);
}

static struct reg *create(struct sip_state *s, const char *aor, uint64_t h,
                          const struct sip_msg_ctx *ctx)
{
	size_t n = strlen(aor);
	struct reg *r;
	if (s->c->st.regs_active >= s->cfg.max_regs) {
		struct dl_node *x = dl_first(&s->c->reg_lru);
		if (x) {
			s->c->st.reg_evicted++;
			ss_anomaly(s, ctx, ANOM_STATE_REG_EVICTED);
			reg_free(s, dl_entry(x, struct reg, lru));
		}
	}
	r = calloc(1, sizeof(*r) + n + 1);
	if (!r)
		return NULL;
	memcpy(r->aor, aor, n + 1);
	r->hash = h;
	r->hnext = s->c->reg_h[h & s->c->reg_mask];
	s->c->reg_h[h & s->c->reg_mask] = r;
	dl_push(&s->c->reg_lru, &r->lru);
	s->c->st.regs_active++;
	return r;
}

/* Next element of a comma-separated header value (outside quotes and <>). */
static int next_item(sw_str v, uint32_t *pos, sw_str *item)
{
	uint32_t i = *pos, start;
	int angle = 0, quote = 0;
	while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ',' || v.p[i] == '\r' ||
	                     v.p[i] == '\n'))
		i++;
	if (i >= v.len)
		return 0;
	start = i;
	for (; i < v.len; i++) {
		char c = v.p[i];
		if (quote) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quote = 0;
		} else if (c == '"') {
			quote = 1;
		} else if (c == '<') {
			angle = 1;
		} else if (c == '>') {
			angle = 0;
		} else if (c == ',' && !angle) {
			break;
		}
	}
	*item = sw_str_trim(sw_str_make(v.p + start, SW_MIN(i, v.len) - start));
	*pos = i;
	return 1;
}

static int64_t contact_expires(const struct sip_nameaddr *na, const struct sip_msg *m,
                               uint32_t cap)
{
	uint64_t v;
	if (na->expires.len && sw_str_to_u64(na->expires, 0xffffffffu, &v) == 0)
		return (int64_t)SW_MIN(v, cap);
	if (m->expires >= 0)
		return SW_MIN(m->expires, (int64_t)cap);
	return SW_MIN(REG_DEFAULT_EXPIRES, cap);
}

static struct reg_binding *find_binding(struct reg *r, const char *contact)
{
	for (unsigned i = 0; i < r->n_b; i++)
		if (strcmp(r->b[i].contact, contact) == 0)
			return &r->b[i];
	return NULL;
}

static void drop_binding(struct sip_state *s, struct reg *r, struct reg_binding *b)
{
	unsigned i = (unsigned)(b - r->b);
	cmap_add(&s->c->regsrc, ss_key_addr('r', &b->src), -1);
	memmove(&r->b[i], &r->b[i + 1], (r->n_b - i - 1) * sizeof(r->b[0]));
	r->n_b--;
}

void reg_response(struct sip_state *s, const struct sip_msg *m, const struct sip_msg_ctx *ctx,
                  struct txn *t, struct sip_msg_result *res)
{
	const char *aor = t->resp ? t->resp + t->r_aor : "";
	const struct sip_header *hv = NULL;
	struct reg *r;
	uint64_t h;
	int bound = 0, refreshed = 0, unbound = 0, n_contacts = 0;

	if (m->status == 401 || m->status == 407) {
		t->reg_action = "challenged";
		return;
	}
	if (m->status >= 300) {
		t->reg_action = "failed";
		return;
	}
	if (!aor[0])
		return;
	h = rkey(aor);
	r = lookup(s, aor, h);
	while ((hv = sip_find_header(m, SIP_H_CONTACT, hv))) {
		uint32_t pos = 0;
		sw_str item;
		while (next_item(hv->value, &pos, &item)) {
			struct sip_nameaddr na;
			char contact[REG_CONTACT_MAX];
			struct reg_binding *b;
			int64_t exp;
			if (sip_parse_nameaddr(item, &na) != 0 || na.star)
				continue;
			n_contacts++;
			sw_str_copy(contact, sizeof(contact), na.uri.raw);
			exp = contact_expires(&na, m, s->cfg.reg_max_expires);
			if (t->reg_expires < 0)
				t->reg_expires = exp;
			b = r ? find_binding(r, contact) : NULL;
			if (exp == 0) {
				if (b) {
					drop_binding(s, r, b);
					unbound++;
				}
				continue;
			}
			if (!r) {
				r = create(s, aor, h, ctx);
				if (!r)
					return;
			}
			for (unsigned i = 0; i < r->n_b; i++)
				if (!sw_addr_eq(&r->b[i].src, &t->src))
					res->reg_changed_source = 1;
			if (b) {
				refreshed++;
			} else {
				if (r->n_b < REG_MAX_BINDINGS) {
					b = &r->b[r->n_b++];
				} else {
					/* Full: replace the binding closest to expiry. */
					b = &r->b[0];
					for (unsigned i = 1; i < r->n_b; i++)
						if (r->b[i].expires_at < b->expires_at)
							b = &r->b[i];
					cmap_add(&s->c->regsrc, ss_key_addr('r', &b->src), -1);
				}
				memset(b, 0, sizeof(*b));
				memcpy(b->contact, contact, sizeof(contact));
				b->src = t->src;
				cmap_add(&s->c->regsrc, ss_key_addr('r', &b->src), 1);
				b->first_seen = ctx->ts;
				bound++;
			}
			if (!sw_addr_eq(&b->src, &t->src)) { /* refreshed from a new address */
				cmap_add(&s->c->regsrc, ss_key_addr('r', &b->src), -1);
				b->src = t->src;
				cmap_add(&s->c->regsrc, ss_key_addr('r', &b->src), 1);
			}
			b->sport = t->sport;
			b->expires_at = ctx->ts + (sw_time)exp * SW_USEC_PER_SEC;
		}
	}
	if (n_contacts == 0 && t->contact_star && r) {
		/* "Contact: *" with Expires: 0 answered with no binding left. */
		reg_free(s, r);
		r = NULL;
		t->reg_action = "unbind_all";
		s->c->st.reg_unbinds++;
		return;
	}
	if (r) {
		dl_del(&s->c->reg_lru, &r->lru);
		dl_push(&s->c->reg_lru, &r->lru);
		t->reg_contacts = r->n_b;
		if (r->n_b == 0)
			reg_free(s, r);
	}
	if (bound) {
		t->reg_action = "bind";
		s->c->st.reg_binds++;
	} else if (refreshed) {
		t->reg_action = "refresh";
		s->c->st.reg_refreshes++;
	} else if (unbound) {
		t->reg_action = "unbind";
		s->c->st.reg_unbinds++;
	} else {
		t->reg_action = "query";
	}
}

void reg_tick(struct sip_state *s, sw_time now)
{
	struct dl_node *n = dl_first(&s->c->reg_lru), *next;
	for (; n; n = next) {
		struct reg *r = dl_entry(n, struct reg, lru);
		next = n->next == &s->c->reg_lru.head ? NULL : n->next;
		for (unsigned i = 0; i < r->n_b;) {
			if (r->b[i].expires_at <= now) {
				drop_binding(s, r, &r->b[i]);
				s->c->st.reg_expired++;
			} else {
				i++;
			}
		}
		if (r->n_b == 0)
			reg_free(s, r);
	}
}

void reg_free_all(struct sip_state *s)
{
	struct dl_node *n;
	while ((n = dl_first(&s->c->reg_lru)))
		reg_free(s, dl_entry(n, struct reg, lru));
}
