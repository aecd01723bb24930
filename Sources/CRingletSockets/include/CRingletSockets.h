// Linux socket calls that Swift's Glibc module does not show: epoll, eventfd, and recvmmsg/sendmmsg with
// struct mmsghdr (declared only under _GNU_SOURCE). Used by RingletNIO's TURN data path (docs/turn-server.md).
#ifndef C_RINGLET_SOCKETS_H
#define C_RINGLET_SOCKETS_H

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

/// The layout of struct mmsghdr (checked against it in shim.c).
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} ringlet_mmsghdr;

/// recvmmsg(fd, vector, count, MSG_DONTWAIT, NULL): datagrams received, or -1 with errno.
int ringlet_recvmmsg(int fd, ringlet_mmsghdr *vector, unsigned int count);

/// sendmmsg(fd, vector, count, MSG_DONTWAIT): datagrams sent, or -1 with errno.
int ringlet_sendmmsg(int fd, ringlet_mmsghdr *vector, unsigned int count);

/// Names the calling thread (at most 15 bytes shown), for top and debuggers.
int ringlet_name_thread(const char *name);
#endif

#endif
