# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154 # sourced by run-one.sh, which sets rw_data and reads rw_*
# A small Java program through the single-file source launcher: the JVM compiles Hello.java in
# memory with javac's classes, then runs it (collections, strings, a thread pool).
rw_cmd=(java -XX:-UsePerfData Hello.java)
rw_setup() { cp "$rw_data/Hello.java" .; }
rw_valgrind=no # memcheck cannot run a JVM in reasonable time
