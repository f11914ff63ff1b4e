/* Bounds and periods of the fdinfo collector (fdinfo.c) that its behaviour can be seen by: the
 * unit tests step over them. */
#ifndef COLLECTORS_FDINFO_H
#define COLLECTORS_FDINFO_H

/* Series kept per (device, comm, class); past this, new process names share comm="[other]", so
 * a desktop running many GPU programs cannot grow the output without bound. */
#define FDINFO_COMMS_MAX 256
#define FDINFO_OTHER_COMM "[other]"
/* How long a process found without DRM fds is not rescanned at most; see QUIET_STEP_NS in
 * fdinfo.c for the spread below it. */
#define FDINFO_QUIET_NS (30LL * 1000000000LL)

#endif
