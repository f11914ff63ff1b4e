/* Build identity. Only this file sees the -D values, so a new commit rebuilds one object. */
#include "version.h"

#ifndef VERSION
#define VERSION "unknown"
#endif
#ifndef REVISION
#define REVISION "unknown"
#endif
#ifndef BRANCH
#define BRANCH "unknown"
#endif
#ifndef BUILD_DATE
#define BUILD_DATE "unknown"
#endif

const char version_number[] = VERSION;
const char version_revision[] = REVISION;
const char version_branch[] = BRANCH;
const char version_build_date[] = BUILD_DATE;
const char version_compiler[] = "gcc-compatible " __VERSION__;

#if defined(__x86_64__)
const char version_platform[] = "linux/amd64";
#elif defined(__aarch64__)
const char version_platform[] = "linux/arm64";
#else
const char version_platform[] = "linux/other";
#endif
