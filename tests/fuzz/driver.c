/*
 * driver.c - standalone main() for sipwire's fuzz targets when they are not
 * built with libFuzzer (gcc, `make test`, SAN=1).
 *
 *   fuzz_x [-n ITER] [-s SEED] [-t SECONDS] [-m MAXLEN] DIR|FILE...
 *
 * Runs LLVMFuzzerTestOneInput() once on every corpus file (directories are
 * read one level deep, in name order), then on ITER deterministic random
 * mutations of them (bit flips, byte sets, inserts, deletes, chunk
 * duplication, splicing of two inputs, truncation), stopping early after
 * SECONDS. The same SEED gives the same sequence of inputs, so a run that
 * stopped after K mutations is replayed exactly with -n K -s SEED.
 *
 * Every input is copied into a malloc'd buffer of exactly its size, so
 * under AddressSanitizer a one-byte over-read is caught. When the process
 * dies (signal, or a sanitizer report), the input being run is written to
 * $FUZZ_ARTIFACT_DIR/crash-<target>-<n> (default: the current directory)
 * and printed in hex on stderr if it is short.
 *
 * Output is TAP-friendly: '#' comment lines and one final line
 *   ok - <target>: N corpus inputs, M mutations in S s (seed X)
 * (or "not ok - ..." if the corpus could not be read). Exit status 0 on
 * success; a crash ends the process with the signal or the sanitizer's code.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Present only when linked with a sanitizer runtime. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

struct input {
	uint8_t *data;
	size_t len;
	char *name;
};

static struct input *corpus;
static size_t n_corpus, cap_corpus;

/* What is running now, for the crash handler. */
static const uint8_t *cur_data;
static size_t cur_len;
static char cur_desc[512];
static const char *target = "fuzz";
static volatile sig_atomic_t dumping;

static void write_str(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Async-signal-safe: only write(), open() and fixed buffers. */
static void dump_current(void)
{
	static const char hex[] = "0123456789abcdef";
	char path[1024], line[160];
	const char *dir = getenv("FUZZ_ARTIFACT_DIR");
	int fd;

	if (dumping || !cur_data)
		return;
	dumping = 1;
	snprintf(path, sizeof(path), "%s/crash-%s-%d", dir && *dir ? dir : ".", target, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		size_t off = 0;
		while (off < cur_len) {
			ssize_t w = write(fd, cur_data + off, cur_len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(fd);
	}
	write_str(2, "\n# fuzz driver: crash while running ");
	write_str(2, cur_desc);
	write_str(2, "\n# input written to ");
	write_str(2, fd >= 0 ? path : "(could not write)");
	write_str(2, "\n");
	if (cur_len <= 4096) {
		write_str(2, "# hex: ");
		for (size_t i = 0; i < cur_len; i += 64) {
			size_t k = 0;
			for (size_t j = i; j < cur_len && j < i + 64; j++) {
				line[k++] = hex[cur_data[j] >> 4];
				line[k++] = hex[cur_data[j] & 15];
			}
			line[k] = '\0';
			write_str(2, line);
		}
		write_str(2, "\n");
	}
}

static void on_signal(int sig)
{
	dump_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_input(const uint8_t *d, size_t len, const char *name)
{
	if (n_corpus == cap_corpus) {
		size_t nc = cap_corpus ? cap_corpus * 2 : 64;
		struct input *n = realloc(corpus, nc * sizeof(*n));
		if (!n) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		corpus = n;
		cap_corpus = nc;
	}
	corpus[n_corpus].data = malloc(len ? len : 1);
	corpus[n_corpus].name = strdup(name);
	if (!corpus[n_corpus].data || !corpus[n_corpus].name) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (len)
		memcpy(corpus[n_corpus].data, d, len);
	corpus[n_corpus].len = len;
	n_corpus++;
}

static int load_file(const char *path, size_t maxlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(maxlen + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, maxlen, f);
	fclose(f);
	add_input(buf, n, path);
	free(buf);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(const char *path, size_t maxlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(path, maxlen);

	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
		}
		size_t l = strlen(path) + strlen(de->d_name) + 2;
		names[n] = malloc(l);
		if (!names[n]) {
			rc = -1;
			break;
		}
		snprintf(names[n], l, "%s/%s", path, de->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = load_file(names[i], maxlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* Bytes and tokens that matter to SIP, SDP and packet headers. */
static const char *const tokens[] = {
	"\r\n", "\r\n\r\n", "\n", " ", "\t", ":", ";", ",", "=", "\"", "<", ">", "@", "[", "]",
	"\r\n ", "SIP/2.0", "Content-Length: ", "l: ", "0", "4294967296", "65535", "-1",
	"sip:", "sips:", ";branch=z9hG4bK", ";tag=", "v=0\r\n", "m=audio ", "c=IN IP4 ",
	"a=crypto:", "a=candidate:", "\\", "%", "\x00", "\xff",
};

static const uint8_t magic8[] = { 0, 1, 0x7f, 0x80, 0xff, 0x40, 0x45, 0x60, 0x06, 0x11, 0x2c, 0x3a };

/* Applies one mutation in place; *len may change, never beyond maxlen. */
static void mutate_once(uint8_t *b, size_t *len, size_t maxlen)
{
	size_t n = *len, pos, k;
	switch (rnd_below(10)) {
	case 0: /* bit flip */
		if (n)
			b[rnd_below(n)] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case 1: /* interesting byte */
		if (n)
			b[rnd_below(n)] = magic8[rnd_below(sizeof(magic8))];
		break;
	case 2: /* random byte */
		if (n)
			b[rnd_below(n)] = (uint8_t)rnd();
		break;
	case 3: /* insert random bytes */
		k = 1 + rnd_below(8);
		if (n + k > maxlen)
			break;
		pos = rnd_below(n + 1);
		memmove(b + pos + k, b + pos, n - pos);
		for (size_t i = 0; i < k; i++)
			b[pos + i] = (uint8_t)rnd();
		*len = n + k;
		break;
	case 4: /* insert a token */
	{
		const char *t = tokens[rnd_below(sizeof(tokens) / sizeof(tokens[0]))];
		k = strlen(t);
		if (k == 0)
			k = 1; /* "\x00" */
		if (n + k > maxlen)
			break;
		pos = rnd_below(n + 1);
		memmove(b + pos + k, b + pos, n - pos);
		memcpy(b + pos, t, k);
		*len = n + k;
		break;
	}
	case 5: /* delete a run */
		if (!n)
			break;
		pos = rnd_below(n);
		k = 1 + rnd_below(n - pos < 16 ? n - pos : 16);
		memmove(b + pos, b + pos + k, n - pos - k);
		*len = n - k;
		break;
	case 6: /* duplicate a chunk */
	{
		if (!n || n >= maxlen)
			break;
		size_t from = rnd_below(n);
		k = 1 + rnd_below(n - from < 64 ? n - from : 64);
		if (n + k > maxlen)
			break;
		pos = rnd_below(n + 1);
		memmove(b + pos + k, b + pos, n - pos);
		/* the source may have moved if it was at or after pos */
		memmove(b + pos, b + (from >= pos ? from + k : from), k);
		*len = n + k;
		break;
	}
	case 7: /* splice: our head, another input's tail */
	{
		const struct input *o;
		size_t cut, ocut;
		if (!n_corpus)
			break;
		o = &corpus[rnd_below(n_corpus)];
		cut = rnd_below(n + 1);
		ocut = rnd_below(o->len + 1);
		k = o->len - ocut;
		if (cut + k > maxlen)
			k = maxlen - cut;
		memcpy(b + cut, o->data + ocut, k);
		*len = cut + k;
		break;
	}
	case 8: /* truncate */
		if (n)
			*len = rnd_below(n);
		break;
	default: /* overwrite a 16/32-bit field with an edge value */
	{
		static const uint32_t edge[] = { 0, 1, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000u,
			                         0xffffffffu, 20, 40, 60, 1500 };
		uint32_t v = edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
		size_t w = rnd_below(2) ? 2 : 4;
		if (n < w)
			break;
		pos = rnd_below(n - w + 1);
		for (size_t i = 0; i < w; i++)
			b[pos + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
		break;
	}
	}
}

static void run_one(const uint8_t *d, size_t len)
{
	/* Exactly len bytes: ASan sees any read past the end. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (len)
		memcpy(copy, d, len);
	cur_data = copy;
	cur_len = len;
	LLVMFuzzerTestOneInput(copy, len);
	cur_data = NULL;
	free(copy);
}

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n ITER] [-s SEED] [-t SECONDS] [-m MAXLEN] DIR|FILE...\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long iters = 10000, seed = 1, done = 0;
	double seconds = 0, t0, el;
	size_t maxlen = 16384, n_files;
	uint8_t *work;
	int opt, bad = 0;
	const char *slash = strrchr(argv[0], '/');

	target = slash ? slash + 1 : argv[0];
	while ((opt = getopt(argc, argv, "n:s:t:m:h")) != -1) {
		switch (opt) {
		case 'n':
			iters = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'm':
			maxlen = (size_t)strtoull(optarg, NULL, 10);
			if (maxlen < 16)
				maxlen = 16;
			break;
		default:
			usage(argv[0]);
		}
	}
	for (int i = optind; i < argc; i++)
		if (load_path(argv[i], maxlen) != 0)
			bad = 1;

	/* Under a sanitizer its own handlers report better; hook its death. */
	if (__sanitizer_set_death_callback) {
		__sanitizer_set_death_callback(dump_current);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
		signal(SIGILL, on_signal);
		signal(SIGABRT, on_signal);
	}

	n_files = n_corpus;
	t0 = now_sec();
	for (size_t i = 0; i < n_corpus; i++) {
		snprintf(cur_desc, sizeof(cur_desc), "corpus file %s", corpus[i].name);
		run_one(corpus[i].data, corpus[i].len);
	}
	if (n_corpus == 0)
		add_input((const uint8_t *)"", 0, "(empty)");

	work = malloc(maxlen);
	if (!work)
		return 2;
	rng_state = seed;
	for (done = 0; done < iters; done++) {
		const struct input *base = &corpus[rnd_below(n_corpus)];
		size_t len = base->len < maxlen ? base->len : maxlen;
		unsigned nmut = 1 + (unsigned)rnd_below(4);
		if ((done & 63) == 0 && seconds > 0 && now_sec() - t0 >= seconds)
			break;
		memcpy(work, base->data, len);
		for (unsigned m = 0; m < nmut; m++)
			mutate_once(work, &len, maxlen);
		snprintf(cur_desc, sizeof(cur_desc), "mutation %llu of %s (seed %llu; replay: -n %llu -s %llu)",
		         done + 1, base->name, seed, done + 1, seed);
		run_one(work, len);
	}
	el = now_sec() - t0;
	free(work);
	printf("# %s: replay with: %s -n %llu -s %llu <corpus>\n", target, target, done, seed);
	printf("%s - %s: %zu corpus inputs, %llu mutations in %.1f s (seed %llu)\n",
	       bad ? "not ok" : "ok", target, n_files, done, el, seed);
	for (size_t i = 0; i < n_corpus; i++) {
		free(corpus[i].data);
		free(corpus[i].name);
	}
	free(corpus);
	return bad ? 1 : 0;
}
