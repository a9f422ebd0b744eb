// Records for sync_bench: ~1 KB contacts (ids, worker, timestamps, location text, ~600
// characters of notes drawn from a field-note vocabulary, 8 indicators, a disclosure flag),
// and a filler that pushes many records straight through the protocol.
#pragma once

#include <string>

#include "core/model/record_state.h"

namespace outreach::bench {

model::Json BenchContact(const std::string& user, long n);
// The mean size of BenchContact's JSON (compact), for wire ratios.
double AverageContactJsonBytes();
// Enrols a protocol-level device with `code` and pushes `count` contacts in batches of 5,000.
void FillServer(const std::string& url, const std::string& ca_file, const std::string& code,
                long count);

}  // namespace outreach::bench
