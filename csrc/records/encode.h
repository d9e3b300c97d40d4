// Direct wire encoding of the writer's hot path: scalar events, framed as TFRecords.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace flowboard::records {

// Appends the framed bytes of
//   Event{wall_time, step, summary: Summary{value: [Value{tag, simple_value: float(value)}]}}
// exactly as the protobuf library serializes it (fields in number order, proto3 zero
// values omitted: wall_time when its bits are all zero, step when 0).
void append_scalar_event(std::string& out, std::string_view tag, float value, int64_t step,
                         double wall_time);

}  // namespace flowboard::records
