/*
 * eve_alert.h - writers of EVE `alert` and `drop` records (eve_alert.c).
 */
#ifndef SW_EVE_ALERT_H
#define SW_EVE_ALERT_H

#include "detect_engine.h"
#include "eve.h"

/* One `alert` record for alert a raised on message/packet m. */
void eve_write_alert(struct eve *e, const struct det_msg *m, const struct det_alert *a);
/* One `drop` record for the packet of m; reason as Suricata names them
 * ("rules", "flow drop", ...). */
void eve_write_drop(struct eve *e, const struct det_msg *m, const char *reason);
/* A `block` record: action "block" (rule r blocked addr for seconds) or
 * "unblock" (the block expired after dropping `dropped` packets). */
void eve_write_block(struct eve *e, sw_time ts, const sw_addr *addr, const char *action,
                     uint32_t seconds, const struct rule *r, uint64_t dropped);

#endif
