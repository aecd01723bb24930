#ifdef __linux__
#define _GNU_SOURCE
#include <stddef.h>
#include <pthread.h>
#include <sys/socket.h>
#include "CRingletSockets.h"

_Static_assert(sizeof(ringlet_mmsghdr) == sizeof(struct mmsghdr), "ringlet_mmsghdr differs from struct mmsghdr");
_Static_assert(offsetof(ringlet_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
               "ringlet_mmsghdr.msg_len is misplaced");

int ringlet_recvmmsg(int fd, ringlet_mmsghdr *vector, unsigned int count) {
    return recvmmsg(fd, (struct mmsghdr *)vector, count, MSG_DONTWAIT, NULL);
}

int ringlet_sendmmsg(int fd, ringlet_mmsghdr *vector, unsigned int count) {
    return sendmmsg(fd, (struct mmsghdr *)vector, count, MSG_DONTWAIT);
}

int ringlet_name_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
#endif
