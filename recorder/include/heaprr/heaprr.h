/* SPDX-License-Identifier: MIT */
/* The API a program may call while it runs under libheaprr.so. Declared weak, so a program built
 * with it runs unchanged without the recorder: check the function pointer before calling.
 *
 *     #include <heaprr/heaprr.h>
 *     if (heaprr_mark) heaprr_mark("request 42 done");
 */
#ifndef HEAPRR_HEAPRR_H
#define HEAPRR_HEAPRR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Adds a MARK record with text at this point of the global order. Returns 0, or -1 when the
 * process is not recording. */
__attribute__((weak)) int heaprr_mark(const char *text);

/* A leak check at this point, for later: adds a MARK record named label. 'heaprr leaks --at
 * LABEL' then lists the blocks live here, and 'heaprr leaks --since A --until B' those allocated
 * after the check named A and still live at the one named B (the leak that grows with every
 * request, say). Returns 0, or -1 when the process is not recording. */
__attribute__((weak)) int heaprr_leak_check(const char *label);

/* Drains everything recorded so far into the trace file (a trailer is still written at exit).
 * Returns 0, or -1 when the process is not recording. */
__attribute__((weak)) int heaprr_flush(void);

#ifdef __cplusplus
}
#endif
#endif
