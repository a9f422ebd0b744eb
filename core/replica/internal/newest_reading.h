// The highest clock reading anywhere in a record's state: a device's clock moves past every
// reading it stores from elsewhere, and re-stamping stays above them.
#pragma once

#include "core/model/hlc.h"
#include "core/model/record_state.h"

namespace outreach::replica::detail {

model::Hlc NewestReading(const model::RecordState& state);

}  // namespace outreach::replica::detail
