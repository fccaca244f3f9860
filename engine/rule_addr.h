/*
 * rule_addr.h - the address and port fields of a rule header, Suricata's
 * syntax and meaning, compiled into sorted range sets (detect_types.h).
 *
 * Addresses: `any`, 1.2.3.4, 2001:db8::1, CIDR (1.2.3.0/24, 1.2.3.0/255.255.255.0,
 * 2001:db8::/32), ranges (1.2.3.4-1.2.3.10, 2001:db8::1-2001:db8::9), lists
 * `[a,b,...]` nested to any depth up to RULE_ADDR_MAX_DEPTH, negation `!x`,
 * `![a,b]`, `[10.0.0.0/8,!10.1.0.0/16]`, variables `$HOME_NET`, `!$HOME_NET`.
 * Ports: `any`, 80, 1024:, :1023, 1:1024, lists, negation, `$SIP_PORTS`.
 *
 * Meaning (Suricata's detect-engine-address.c / detect-engine-port.c):
 * a list collects positive and negated elements; a nested list or a
 * variable without `!` is flattened into its parent; a negated list or
 * variable is resolved on its own first and its result is negated as a
 * whole. Resolution, per family: when there are negated elements of a
 * family but no positive ones, the positives are the whole family; the
 * result is positives minus negated. So `!1.2.3.4` is every IPv4 address
 * but 1.2.3.4 and no IPv6 address (as in Suricata), and `!$HOME_NET` with
 * an IPv4-only HOME_NET matches no IPv6 traffic. Negating the whole IPv4
 * space (`!any`) and a result with no address left are errors.
 */
#ifndef SW_RULE_ADDR_H
#define SW_RULE_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "detect_types.h"

/* Hard limits against hostile specs and variable definitions. */
#define RULE_ADDR_MAX_DEPTH 64      /* nested lists + variable expansions */
#define RULE_ADDR_MAX_ITEMS 100000  /* elements visited, variables expanded */

/*
 * Parses the address spec s[0..len) (not NUL-terminated) against the
 * address variables vars[0..nvars) (names without '$'). Returns 0 and
 * fills *out (owned by the caller, release with addr_set_free), or -1 with
 * *out zeroed and e set: e->off is the byte offset in s of the problem (the
 * '$' of the variable whose value is wrong, the message then names it).
 */
int addr_set_parse(const char *s, uint32_t len, const struct cfg_var *vars, unsigned nvars,
                   struct addr_set *out, struct rule_err *e);
/* 1 if a is in s, 0 if not (binary search; family 0 matches only `any`). */
int addr_set_match(const struct addr_set *s, const sw_addr *a);
/* Releases s's ranges and zeroes it. NULL-safe. */
void addr_set_free(struct addr_set *s);
/*
 * Writes s as text: "any", or comma-separated elements "1.2.3.4",
 * "10.0.0.0/8" (exact prefixes) or "1.2.3.4-1.2.3.10", IPv4 first, sorted.
 * Returns the length it needed (snprintf style; truncated when >= cap).
 */
size_t addr_set_str(const struct addr_set *s, char *out, size_t cap);

/* The same for ports: vars are the port variables. */
int port_set_parse(const char *s, uint32_t len, const struct cfg_var *vars, unsigned nvars,
                   struct port_set *out, struct rule_err *e);
int port_set_match(const struct port_set *s, uint16_t port);
void port_set_free(struct port_set *s);
/* "any", or "80", "1024:65535" elements, comma-separated, sorted. */
size_t port_set_str(const struct port_set *s, char *out, size_t cap);

/*
 * Checks the variable definitions of a configuration: names are
 * [A-Za-z0-9_]+, and every value resolves (known variables, no loops, a
 * non-empty set) in its group: address variables a[0..na), port
 * variables p[0..np). Returns 0, or -1 with a message naming the variable
 * in err (cap bytes, NUL-terminated).
 */
int rule_vars_check(const struct cfg_var *a, unsigned na, const struct cfg_var *p, unsigned np,
                    char *err, size_t cap);

#endif
