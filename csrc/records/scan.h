// Scanning TFRecord-framed event files and decoding scalar events into columns.
//
// Record framing (all integers little-endian):
//   uint64 length | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace flowboard::records {

constexpr size_t kHeaderSize = 12;  // length + its crc
constexpr size_t kFooterSize = 4;   // crc of data
// A valid header declaring more than this is damage (summaries.records.MAX_RECORD_BYTES).
constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 30;

struct ScalarColumns {
  std::vector<int64_t> step;
  std::vector<double> wall_time;
  std::vector<double> value;
};

struct Restart {
  int64_t step;
  double wall_time;
  int64_t offset;  // absolute file offset of the SessionLog.START record
};

struct ScanResult {
  int64_t end_offset = 0;  // absolute offset just after the last intact (or skipped) record
  int64_t crc_errors = 0;  // damaged records: a CRC mismatch or an oversized length
  int64_t oversized = 0;   // headers (CRC valid) declaring more than kMaxRecordBytes
  int64_t first_oversized_offset = -1;
  uint64_t first_oversized_length = 0;
  int64_t records = 0;  // intact records seen
  std::deque<std::string> tags;  // deque: stable addresses for the string_view index
  std::vector<ScalarColumns> columns;  // parallel to tags
  // Records that are neither scalar summaries, file_version nor SessionLog.START.
  std::vector<int64_t> other_offsets;   // absolute file offset of each record's header
  std::vector<int64_t> other_data_pos;  // position of the payload inside the scanned buffer
  std::vector<int64_t> other_data_len;
  std::vector<Restart> restarts;
  std::string file_version;  // last file_version seen ("" if none)
  // tag -> plugin_name, seeded by the caller and updated from every value carrying metadata.
  std::unordered_map<std::string, std::string> plugins;
};

// Scans buf (the bytes of a file starting at absolute offset base_offset). Stops quietly at a
// partial trailing record; skips (and counts) records whose data CRC fails; after a header
// whose CRC fails, or one declaring more than kMaxRecordBytes, resynchronises on the next
// position holding a valid header.
void scan_events(const uint8_t* buf, size_t size, int64_t base_offset, ScanResult& out);

// First position at or after start whose 12 bytes form a valid header (CRC of the length
// matches); if none, the first position where more bytes could still complete one.
size_t next_header(const uint8_t* buf, size_t size, size_t start);

// Frames one payload as a TFRecord, appending to out.
void append_record(std::string& out, const uint8_t* data, size_t size);

}  // namespace flowboard::records
