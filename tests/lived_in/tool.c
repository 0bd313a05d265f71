/* The lived-in host fixture's workload: one static multi-call binary, because no registry is
 * reachable and a FROM-scratch image has no shell or coreutils. It sends nothing anywhere.
 *
 *   tool sleep        sleep until SIGTERM or SIGINT (a long-running service), then exit 0
 *   tool exit N       exit with code N at once (a crash loop under a restart policy)
 *   tool healthy      exit 0 (a health check that passes)
 *   tool unhealthy    exit 1 (a health check that fails)
 *   sh -c "tool MODE [ARG]"
 *                     the image also holds this binary as /bin/sh: `docker run --health-cmd`
 *                     always runs its command through /bin/sh -c, and the image has no shell.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static int run(int argc, char **argv) {
    if (argc >= 1 && strcmp(argv[0], "sleep") == 0) {
        signal(SIGTERM, stop);
        signal(SIGINT, stop);
        for (;;) pause();
    }
    if (argc >= 2 && strcmp(argv[0], "exit") == 0) return atoi(argv[1]) & 0xff;
    if (argc >= 1 && strcmp(argv[0], "healthy") == 0) return 0;
    if (argc >= 1 && strcmp(argv[0], "unhealthy") == 0) return 1;
    return 64; /* usage */
}

/* "sh -c 'CMD'": split CMD on spaces, drop the program path, run its mode. */
static int shell(char *command) {
    char *words[8];
    int count = 0;
    for (char *word = strtok(command, " \t"); word && count < 8; word = strtok(NULL, " \t"))
        words[count++] = word;
    if (count == 0) return 64;
    return run(count - 1, words + 1);
}

int main(int argc, char **argv) {
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    if (strcmp(name, "sh") == 0) {
        if (argc >= 3 && strcmp(argv[1], "-c") == 0) return shell(argv[2]);
        return 64;
    }
    return run(argc - 1, argv + 1);
}
