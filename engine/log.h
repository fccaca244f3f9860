/*
 * log.h - diagnostics on stderr (OpenBSD relayd style).
 * log_warn appends strerror(errno). fatal/fatalx exit(1) and belong to
 * start-up and configuration only; the packet path never exits.
 */
#ifndef SW_LOG_H
#define SW_LOG_H

void log_init(int verbosity); /* 0 = warnings only, 1 = info, 2+ = debug */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
