/*
 * capture.h - the offline capture backend (libpcap): pcap and pcapng files,
 * or a directory of them read in name order.
 */
#ifndef SW_CAPTURE_H
#define SW_CAPTURE_H

#include <stddef.h>

#include "packet.h"

struct capture;

/* Called per packet; a non-zero return stops the run. */
typedef int (*capture_pkt_cb)(void *ud, packet *p);

struct capture_stats {
	uint64_t files, packets, bytes, truncated_files, skipped_files;
};

/*
 * Opens a capture file, or a directory (every regular file in it, sorted by
 * name; files that are not captures are skipped with a warning). Returns
 * NULL with a message in err ("FILE: No such file or directory", "FILE: not
 * a pcap or pcapng file: ...").
 */
struct capture *capture_pcap_open(const char *path, char *err, size_t cap);
/*
 * Reads every packet, calling cb with ts (usec), pcap_cnt (1-based,
 * continuing across files), data, caplen, wirelen and linktype filled.
 * Returns 0 when every file was read to its end, -1 when one was truncated
 * or corrupt: packets before the damage were delivered, the other files are
 * still read, and err says "FILE: truncated or corrupt after N packets: ...".
 */
int capture_pcap_run(struct capture *c, capture_pkt_cb cb, void *ud, char *err, size_t cap);
/* Name of the file being read (valid during the callback). */
const char *capture_pcap_current_file(const struct capture *c);
const struct capture_stats *capture_pcap_stats(const struct capture *c);
void capture_pcap_close(struct capture *c);

#endif
