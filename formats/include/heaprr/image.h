/* SPDX-License-Identifier: MIT */
/* Whether a program about to be exec'd can be recorded by an LD_PRELOAD library: statically
 * linked, run in the loader's secure mode, or built for another machine. Safe inside exec and
 * posix_spawn hooks, in a vfork child too: no allocation, no stdio, no lock, errno kept. */
#ifndef HEAPRR_IMAGE_H
#define HEAPRR_IMAGE_H

#include <heaprr/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sets *flags to the HR_IMG_* bits (format.h) that apply to the program at path: HR_IMG_STATIC
 * (an ELF file without PT_INTERP, static-pie included), HR_IMG_SECURE (exec would change the
 * effective user or group id, set-user-ID or set-group-ID on a file system that honours them, or
 * grant file capabilities to a caller whose real uid is not 0: the loader then ignores
 * LD_PRELOAD), HR_IMG_FOREIGN (an ELF file of another class, byte order or machine than this
 * code's). For a "#!" script the interpreter it names is judged instead (one level). A file that
 * is neither ELF nor a script gets no flags. Returns 0, or HR_ERR_IO (with *flags 0) when path
 * cannot be opened for reading. errno is preserved. */
int hr_image_check(const char *path, unsigned *flags);

/* Resolves file as execvp would: a name with a slash is used as it is; otherwise the first entry
 * of path_env (colon-separated, an empty entry meaning the current directory; "/bin:/usr/bin"
 * when path_env is NULL) holding an executable file of that name. Writes the path (NUL
 * terminated) into out. Returns 0, HR_ERR_IO when nothing matches (exec would fail), HR_ERR_LIMIT
 * when the path does not fit in cap, HR_ERR_ARG for an empty name. errno is preserved. */
int hr_image_find(const char *file, const char *path_env, char *out, size_t cap);

/* When path is a "#!" script: writes the interpreter it names into out and returns 1; returns 0
 * when it is not a script (or the name does not fit in cap), HR_ERR_IO when it cannot be opened.
 * errno is preserved. */
int hr_image_interpreter(const char *path, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
