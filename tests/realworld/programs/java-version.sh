# SPDX-License-Identifier: MIT
# The JVM starting up and printing its version: dozens of threads, each with its first
# allocation inside glibc's pthread_getattr_np (issue 9: the recorder deadlocked on it).
rw_cmd=(java -XX:-UsePerfData -version)
rw_stderr=compare # the version text goes to stderr
rw_valgrind=no    # memcheck cannot run a JVM in reasonable time
