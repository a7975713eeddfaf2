# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# The JVM starting up and printing its version (on stderr): dozens of threads, each with its
# first allocation inside glibc's pthread_getattr_np (issue 9: the recorder deadlocked on it).
rw_cmd=(java -XX:-UsePerfData -version)
rw_valgrind=no # memcheck cannot run a JVM in reasonable time
