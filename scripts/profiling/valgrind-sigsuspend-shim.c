#define _GNU_SOURCE
#include <signal.h>
#include <dlfcn.h>
/* valgrind 3.19 writes into sigsuspend's mask; libdispatch passes a read-only one. */
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    static int (*real)(const sigset_t *);
    if (!real) real = (int (*)(const sigset_t *))dlsym(RTLD_NEXT, "sigsuspend");
    return real(&copy);
}
