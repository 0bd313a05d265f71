/* A decoy workload for the integration tests: it sleeps until it is stopped, like a production
 * service would run. Built by the test fixture; never part of the collection. */
#include <signal.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

int main(void) {
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    for (;;) pause();
}
