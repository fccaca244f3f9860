/*
 * bench_readloop - the baseline for replay throughput: a plain libpcap read
 * loop over a capture that touches every byte (sums them) and does nothing
 * else. Prints "packets seconds packets/s".
 *
 *   bench_readloop capture.pcap
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const unsigned char *d;
	unsigned long long n = 0, sum = 0;
	struct timespec a, b;
	pcap_t *p;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_readloop capture.pcap\n");
		return 1;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "bench_readloop: %s\n", errbuf);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		for (unsigned i = 0; i < h->caplen; i += 64)
			sum += d[i];
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	pcap_close(p);
	double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%llu %.6f %.0f\n", n, el, (double)n / el);
	return sum == 1 ? 2 : 0;
}
