#include "encode.h"

#include <cstring>

#include "crc32c.h"
#include "scan.h"
#include "wire.h"

namespace flowboard::records {

void append_scalar_event(std::string& out, std::string_view tag, float value, int64_t step,
                         double wall_time) {
  // Value    = [0x0a len(tag) tag] 0x15 float32
  // Summary  = 0x0a len(Value) Value
  // Event    = [0x09 double] [0x10 varint step] 0x2a len(Summary) Summary
  // proto3 omits an empty tag; simple_value is a oneof member, so even 0.0 is written.
  const size_t tag_len = tag.empty() ? 0 : 1 + wire::varint_size(tag.size()) + tag.size();
  const size_t value_len = tag_len + 5;
  const size_t summary_len = 1 + wire::varint_size(value_len) + value_len;
  uint64_t wall_bits;
  std::memcpy(&wall_bits, &wall_time, 8);

  // Frame in place: reserve the 12-byte header, write the event, then fill in the header.
  const size_t header_at = out.size();
  out.append(kHeaderSize, '\0');
  std::string& event = out;
  if (wall_bits != 0) {
    event.push_back(0x09);
    wire::put_fixed64(event, wall_bits);
  }
  if (step != 0) {
    event.push_back(0x10);
    wire::put_varint(event, static_cast<uint64_t>(step));
  }
  event.push_back(0x2a);
  wire::put_varint(event, summary_len);
  event.push_back(0x0a);
  wire::put_varint(event, value_len);
  if (!tag.empty()) {
    event.push_back(0x0a);
    wire::put_varint(event, tag.size());
    event.append(tag.data(), tag.size());
  }
  event.push_back(0x15);
  uint32_t value_bits;
  std::memcpy(&value_bits, &value, 4);
  wire::put_fixed32(event, value_bits);
  const uint64_t length = out.size() - header_at - kHeaderSize;
  uint8_t* header = reinterpret_cast<uint8_t*>(&out[header_at]);
  std::memcpy(header, &length, 8);
  const uint32_t length_crc = masked_crc32c(header, 8);
  std::memcpy(header + 8, &length_crc, 4);
  wire::put_fixed32(out, masked_crc32c(header + kHeaderSize, length));
}

}  // namespace flowboard::records
