/* A hostile "probe" for the fault tests: instead of observing, it plants in /out everything the
 * fetch must refuse - a link to a host file, a FIFO, an oversized file, thousands of files, a
 * name with odd bytes, a setuid file, an unreadable directory, a link to / - and prints no
 * probe lines. Never part of the collection. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void touch(const char *path, mode_t mode, size_t bytes)
{
	char block[1024];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return;
	memset(block, 'A', sizeof block);
	for (size_t done = 0; done < bytes; done += sizeof block)
		if (write(fd, block, sizeof block) < 0)
			break;
	close(fd);
}

int main(void)
{
	char name[64];

	if (getuid() != 0) {
		if (symlink("/etc/passwd", "/out/ok") != 0)
			perror("symlink");
		mkfifo("/out/fifo", 0600);
		touch("/out/odd\377\n\001name", 0600, 0);
		for (int i = 0; i < 3000; i++) {
			snprintf(name, sizeof name, "/out/f%04d", i);
			touch(name, 0600, 0);
		}
	} else {
		touch("/out/ok", 0644, 10 * 1024);
		touch("/out/suid", 0755, 1);
		chmod("/out/suid", 04755);
		mkdir("/out/locked", 0700);
		touch("/out/locked/inner", 0600, 1);
		chmod("/out/locked", 0);
		symlink("/", "/out/root-link");
	}
	puts("{\"probe\":\"META\",\"format\":1,\"note\":\"hostile\"}");
	return 0;
}
