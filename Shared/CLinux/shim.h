// Linux interfaces that Swift's Glibc module does not export: epoll, eventfd, and naming a thread.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/// Names the calling thread (prctl is variadic, which Swift cannot call).
static inline int switchboard_name_thread(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
