/* Build identity, filled in by the Makefile from git at build time. */
#ifndef EXPORTER_VERSION_H
#define EXPORTER_VERSION_H

#define PROGRAM_NAME "gpu_sriov_exporter"

extern const char version_number[];
extern const char version_revision[];
extern const char version_branch[];
extern const char version_build_date[];
extern const char version_compiler[];
extern const char version_platform[]; /* "linux/amd64" */

#endif
