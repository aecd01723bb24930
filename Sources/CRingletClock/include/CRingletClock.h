// The caller's clock for OpenSSL's DTLS timer (docs/dtls.md, "Time").
//
// OpenSSL 3 reads the time for its DTLS retransmission timer with gettimeofday() and nothing else. This target
// defines gettimeofday() itself: while a thread has an override set, it returns the override on that thread;
// otherwise (every other thread, and this one outside RingletDTLS's calls into OpenSSL) it returns the system's
// real time from clock_gettime(CLOCK_REALTIME), which is what glibc's gettimeofday() returns.
//
// The definition lands in the program that links RingletDTLS. Because libssl (a shared library the program
// links) refers to gettimeofday, the linker exports the program's definition, and the dynamic linker binds
// libssl's reference to it before libc's (the program comes first in the lookup order). RingletDTLS checks
// that it did (DTLSTransport.followsCallerClock).
#ifndef C_RINGLET_CLOCK_H
#define C_RINGLET_CLOCK_H

#include <stdint.h>

/// One thread's override of gettimeofday(): off when `active` is 0.
typedef struct {
    int64_t seconds;
    int32_t microseconds;
    int32_t active;
} ringlet_clock_override;

/// Sets the calling thread's override to `next` and returns the one it replaces (restore it afterwards).
ringlet_clock_override ringlet_clock_exchange(ringlet_clock_override next);

#endif
