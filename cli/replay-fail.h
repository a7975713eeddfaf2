/* SPDX-License-Identifier: MIT */
/* heaprr replay --fail RULES: the calls the replay made fail, and where, in the report. */
#ifndef HEAPRR_CLI_REPLAY_FAIL_H
#define HEAPRR_CLI_REPLAY_FAIL_H

#include "cli.h"

#include <heaprr/replay.h>

/* The failed calls grouped by stack, most first: text (the top ones) and JSON ("injected"). */
void cli_replay_fail_text(hr_reader *r, const hr_replay_result *res, const hr_injected_call *calls, size_t n);
void cli_replay_fail_json(json *j, hr_reader *r, const hr_replay_result *res, const hr_injected_call *calls, size_t n);

#endif
