// See include/CRingletClock.h.
#include <stddef.h>
#include <sys/time.h>
#include <time.h>
#include "CRingletClock.h"

static _Thread_local ringlet_clock_override current;

ringlet_clock_override ringlet_clock_exchange(ringlet_clock_override next) {
    ringlet_clock_override previous = current;
    current = next;
    return previous;
}

// Replaces libc's gettimeofday() for the whole program; identical to it unless the calling thread has an
// override. The time zone argument is obsolete (POSIX leaves it unspecified); it is filled with zeros as glibc does.
__attribute__((visibility("default")))
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    if (tz != NULL) {
        struct timezone *zone = tz;
        zone->tz_minuteswest = 0;
        zone->tz_dsttime = 0;
    }
    if (tv == NULL) return 0;
    if (current.active) {
        tv->tv_sec = (time_t)current.seconds;
        tv->tv_usec = (suseconds_t)current.microseconds;
        return 0;
    }
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) return -1;
    tv->tv_sec = now.tv_sec;
    tv->tv_usec = (suseconds_t)(now.tv_nsec / 1000);
    return 0;
}
