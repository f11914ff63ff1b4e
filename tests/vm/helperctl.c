/* Test client for the VM suite: asks the real gpu_sriov_helper, through the exporter's own client
 * code (exporter/helper_client.c), for one SET_NUMVFS or BIND_VFIO and prints the answer as
 * "<errno name or OK> <VFs present afterwards>". Usage:
 *   helperctl SOCKET set PF_BDF     (the count is the one the helper's allowlist gives)
 *   helperctl SOCKET set PF_BDF N   (any count: the helper must refuse what it does not allow)
 *   helperctl SOCKET vfio VF_BDF */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../exporter/helper_client.h"

static const char *
ename(int e)
{
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENODEV: return "ENODEV";
	case ENOTSUP: return "ENOTSUP";
	case ERANGE: return "ERANGE";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EIO: return "EIO";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

int
main(int argc, char **argv)
{
	struct helper_client *h;
	uint32_t idx, count = 0;
	unsigned allowed;
	int r;

	if (argc < 4)
		return 2;
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = helper_client_connect(root, argv[1], &h);
	if (r < 0) {
		printf("CONNECT %s\n", ename(-r));
		return 1;
	}
	if (strcmp(argv[2], "set") == 0) {
		r = helper_client_pf(h, argv[3], &allowed, &idx);
		if (r < 0) {
			printf("NOTLISTED %s\n", ename(-r));
			return 1;
		}
		r = helper_client_set_numvfs(h, idx, argc > 4 ? (uint32_t)atoi(argv[4]) : allowed, &count);
	} else {
		r = helper_client_vf(h, argv[3], &idx);
		if (r < 0) {
			printf("NOTLISTED %s\n", ename(-r));
			return 1;
		}
		r = helper_client_bind_vfio(h, idx);
	}
	printf("%s %u\n", ename(-r), count);
	helper_client_close(h);
	return r < 0;
}
