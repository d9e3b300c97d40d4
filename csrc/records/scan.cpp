#include "scan.h"

#include <algorithm>
#include <initializer_list>

#include "crc32c.h"
#include "wire.h"

namespace flowboard::records {
namespace {

using wire::Reader;

// TensorFlow DataType values used by scalar tensors.
constexpr uint64_t kDtFloat = 1, kDtDouble = 2, kDtInt32 = 3, kDtInt64 = 9;

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

bool header_ok(const uint8_t* p) { return masked_crc32c(p, 8) == load_u32(p + 8); }

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). protobuf rejects
// a proto3 string field holding anything else, so such records must take the protobuf path.
bool utf8_valid(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    const uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) extra = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) extra = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) extra = 3, cp = c & 0x07;
    else return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

// Reads a length-delimited string field, checking it is UTF-8.
bool read_string(Reader& r, std::string_view& out) {
  Reader s;
  if (!r.bytes(s) || !utf8_valid(s.p, s.end)) return false;
  out = std::string_view(reinterpret_cast<const char*>(s.p), s.end - s.p);
  return true;
}

// Walks a message whose listed field numbers are strings, checking their UTF-8.
bool strings_valid(Reader r, std::initializer_list<uint32_t> string_fields) {
  uint32_t field, type;
  std::string_view ignored;
  while (!r.done()) {
    if (!r.key(field, type)) return false;
    bool is_string = false;
    for (uint32_t f : string_fields) is_string |= (f == field);
    if (is_string && type == wire::kLength) {
      if (!read_string(r, ignored)) return false;
    } else if (!r.skip(type)) {
      return false;
    }
  }
  return true;
}

struct ValueView {
  std::string_view tag;
  std::string_view plugin;  // from this value's metadata, empty if none
  bool has_metadata = false;
  bool has_simple = false;
  bool has_tensor = false;
  bool has_other_kind = false;  // image, histo, audio, old-style histogram
  float simple = 0.f;
  Reader tensor{nullptr, nullptr};
};

// SummaryMetadata: plugin_data{plugin_name = 1 (string), content = 2}, display_name = 2,
// summary_description = 3, data_class = 4.
bool parse_metadata(Reader metadata, std::string_view& plugin) {
  uint32_t field, type;
  std::string_view ignored;
  while (!metadata.done()) {
    if (!metadata.key(field, type)) return false;
    if (field == 1 && type == wire::kLength) {
      Reader plugin_data;
      if (!metadata.bytes(plugin_data)) return false;
      while (!plugin_data.done()) {
        uint32_t f2, t2;
        if (!plugin_data.key(f2, t2)) return false;
        if (f2 == 1 && t2 == wire::kLength) {
          if (!read_string(plugin_data, plugin)) return false;
        } else if (!plugin_data.skip(t2)) {
          return false;
        }
      }
    } else if ((field == 2 || field == 3) && type == wire::kLength) {
      if (!read_string(metadata, ignored)) return false;
    } else if (!metadata.skip(type)) {
      return false;
    }
  }
  return true;
}

bool parse_value(Reader r, ValueView& v) {
  uint32_t field, type;
  while (!r.done()) {
    if (!r.key(field, type)) return false;
    if (field == 1 && type == wire::kLength) {
      if (!read_string(r, v.tag)) return false;
    } else if (field == 7 && type == wire::kLength) {
      std::string_view node_name;
      if (!read_string(r, node_name)) return false;
    } else if (field == 2 && type == wire::kFixed32) {
      uint32_t bits;
      if (!r.fixed32(bits)) return false;
      v.simple = wire::as_float(bits);
      v.has_simple = true;
    } else if (field == 8 && type == wire::kLength) {
      if (!r.bytes(v.tensor)) return false;
      v.has_tensor = true;
    } else if (field == 9 && type == wire::kLength) {
      Reader m;
      if (!r.bytes(m) || !parse_metadata(m, v.plugin)) return false;
      v.has_metadata = true;
    } else if (field >= 3 && field <= 6) {
      v.has_other_kind = true;
      if (!r.skip(type)) return false;
    } else if (!r.skip(type)) {
      return false;
    }
  }
  return true;
}

// Reads a rank-0 float/double/int32/int64 tensor. Returns false for anything else.
bool tensor_scalar(Reader r, double& out) {
  uint64_t dtype = 0;
  int count = 0;
  uint32_t list_field = 0;  // which typed list held the value
  double value = 0;
  Reader content{nullptr, nullptr};
  bool has_content = false;
  uint32_t field, type;
  while (!r.done()) {
    if (!r.key(field, type)) return false;
    if (field == 1 && type == wire::kVarint) {
      if (!r.varint(dtype)) return false;
    } else if (field == 2 && type == wire::kLength) {
      Reader shape;
      if (!r.bytes(shape)) return false;
      while (!shape.done()) {  // any dim or unknown_rank=true means "not a scalar"
        uint32_t f2, t2;
        uint64_t flag;
        if (!shape.key(f2, t2)) return false;
        if (f2 == 2) return false;
        if (f2 == 3 && t2 == wire::kVarint) {
          if (!shape.varint(flag)) return false;
          if (flag) return false;
        } else if (!shape.skip(t2)) {
          return false;
        }
      }
    } else if (field == 4 && type == wire::kLength) {
      if (!r.bytes(content)) return false;
      has_content = true;
    } else if (field == 5 || field == 6) {  // float_val / double_val, packed or not
      const size_t width = field == 5 ? 4 : 8;
      Reader list;
      if (type == wire::kLength) {
        if (!r.bytes(list)) return false;
      } else if ((field == 5 && type == wire::kFixed32) || (field == 6 && type == wire::kFixed64)) {
        if (r.end - r.p < static_cast<ptrdiff_t>(width)) return false;
        list = Reader{r.p, r.p + width};
        r.p += width;
      } else {
        return false;
      }
      for (const uint8_t* q = list.p; q + width <= list.end; q += width) {
        value = width == 4 ? wire::as_float(load_u32(q)) : wire::as_double(load_u64(q));
        ++count;
        list_field = field;
      }
      if ((list.end - list.p) % width) return false;
    } else if (field == 7 || field == 10) {  // int_val / int64_val, packed or not
      Reader list;
      if (type == wire::kLength) {
        if (!r.bytes(list)) return false;
      } else if (type == wire::kVarint) {
        list = r;
        uint64_t tmp;
        if (!r.varint(tmp)) return false;
        list.end = r.p;
      } else {
        return false;
      }
      while (!list.done()) {
        uint64_t raw;
        if (!list.varint(raw)) return false;
        value = field == 7 ? static_cast<double>(static_cast<int32_t>(raw))
                           : static_cast<double>(static_cast<int64_t>(raw));
        ++count;
        list_field = field;
      }
    } else if (field == 3 && type == wire::kVarint) {
      uint64_t ignored;
      if (!r.varint(ignored)) return false;
    } else {
      return false;  // strings, complex, half, resources...: not a numeric scalar we decode
    }
  }
  if (has_content) {
    const size_t n = content.end - content.p;
    if (dtype == kDtFloat && n == 4) value = wire::as_float(load_u32(content.p));
    else if (dtype == kDtDouble && n == 8) value = wire::as_double(load_u64(content.p));
    else if (dtype == kDtInt32 && n == 4) value = static_cast<int32_t>(load_u32(content.p));
    else if (dtype == kDtInt64 && n == 8) value = static_cast<double>(static_cast<int64_t>(load_u64(content.p)));
    else return false;
    count = count ? 2 : 1;  // both content and a list: ambiguous, refuse below
  }
  if (count != 1) return false;
  // The value must sit in the list protobuf readers use for the dtype.
  const uint32_t expected_list = dtype == kDtFloat    ? 5
                                 : dtype == kDtDouble ? 6
                                 : dtype == kDtInt32  ? 7
                                 : dtype == kDtInt64  ? 10
                                                      : 0;
  if (expected_list == 0) return false;
  if (!has_content && list_field != expected_list) return false;
  out = value;
  return true;
}

struct ScalarValue {
  std::string_view tag;
  double value;
};

class EventScanner {
 public:
  explicit EventScanner(ScanResult& out) : out_(out) {
    for (size_t i = 0; i < out_.tags.size(); ++i) index_.emplace(out_.tags[i], static_cast<int>(i));
  }

  // Classifies and consumes one intact record payload.
  void consume(const uint8_t* data, size_t size, int64_t record_offset, int64_t data_pos) {
    if (!consume_event(Reader{data, data + size}, record_offset)) {
      out_.other_offsets.push_back(record_offset);
      out_.other_data_pos.push_back(data_pos);
      out_.other_data_len.push_back(static_cast<int64_t>(size));
    }
  }

 private:
  // Returns false when the record must be handed to the protobuf path.
  bool consume_event(Reader r, int64_t record_offset) {
    double wall_time = 0;
    int64_t step = 0;
    Reader summary{nullptr, nullptr}, session_log{nullptr, nullptr};
    std::string_view file_version;
    int what = 0, what_count = 0;
    uint32_t field, type;
    while (!r.done()) {
      if (!r.key(field, type)) return false;
      if (field == 1 && type == wire::kFixed64) {
        uint64_t bits;
        if (!r.fixed64(bits)) return false;
        wall_time = wire::as_double(bits);
      } else if (field == 2 && type == wire::kVarint) {
        uint64_t raw;
        if (!r.varint(raw)) return false;
        step = static_cast<int64_t>(raw);
      } else if (field == 3 && type == wire::kLength) {
        if (!read_string(r, file_version)) return false;
        what = 3, ++what_count;
      } else if (field == 10 && type == wire::kLength) {
        Reader source;  // SourceMetadata{writer = 1 (string)}
        if (!r.bytes(source) || !strings_valid(source, {1})) return false;
      } else if (field == 5 && type == wire::kLength) {
        if (!r.bytes(summary)) return false;
        what = 5, ++what_count;
      } else if (field == 7 && type == wire::kLength) {
        if (!r.bytes(session_log)) return false;
        what = 7, ++what_count;
      } else if (field >= 3 && field <= 9) {
        return false;  // graph, run metadata, log message, meta graph
      } else if (!r.skip(type)) {
        return false;
      }
    }
    if (what_count > 1) return false;  // repeated oneof members: let protobuf merge them
    if (what == 3) {
      out_.file_version.assign(file_version.data(), file_version.size());
      return true;
    }
    if (what == 7) return consume_session_log(session_log, step, wall_time, record_offset);
    if (what == 5) return consume_summary(summary, step, wall_time);
    return true;  // an event with no payload carries nothing to show
  }

  bool consume_session_log(Reader r, int64_t step, double wall_time, int64_t record_offset) {
    uint64_t status = 0;
    uint32_t field, type;
    while (!r.done()) {
      if (!r.key(field, type)) return false;
      if (field == 1 && type == wire::kVarint) {
        if (!r.varint(status)) return false;
      } else if ((field == 2 || field == 3) && type == wire::kLength) {
        std::string_view text;  // checkpoint_path, msg
        if (!read_string(r, text)) return false;
      } else if (!r.skip(type)) {
        return false;
      }
    }
    if (status != 1) return false;  // STOP / CHECKPOINT: rare, decoded by protobuf
    // TensorBoard's rule: a restart discards everything already logged at or after its step.
    for (auto& col : out_.columns) purge_from(col, step);
    out_.restarts.push_back(Restart{step, wall_time, record_offset});
    return true;
  }

  static void purge_from(ScalarColumns& col, int64_t step) {
    size_t keep = 0;
    for (size_t i = 0; i < col.step.size(); ++i) {
      if (col.step[i] < step) {
        col.step[keep] = col.step[i];
        col.wall_time[keep] = col.wall_time[i];
        col.value[keep] = col.value[i];
        ++keep;
      }
    }
    col.step.resize(keep);
    col.wall_time.resize(keep);
    col.value.resize(keep);
  }

  bool consume_summary(Reader r, int64_t step, double wall_time) {
    pending_.clear();
    bool all_scalar = true;
    uint32_t field, type;
    while (!r.done()) {
      if (!r.key(field, type)) return false;
      if (field != 1 || type != wire::kLength) {
        if (!r.skip(type)) return false;
        continue;
      }
      Reader value_bytes;
      if (!r.bytes(value_bytes)) return false;
      ValueView v;
      if (!parse_value(value_bytes, v)) return false;
      if (v.has_metadata && !v.plugin.empty()) remember_plugin(v.tag, v.plugin);
      double x;
      if (all_scalar && scalar_of(v, x)) {
        pending_.push_back(ScalarValue{v.tag, x});
      } else {
        all_scalar = false;
      }
    }
    if (!all_scalar) return false;
    for (const auto& s : pending_) {
      ScalarColumns& col = column(s.tag);
      col.step.push_back(step);
      col.wall_time.push_back(wall_time);
      col.value.push_back(s.value);
    }
    return true;
  }

  // The scalar rule shared with summaries.normalize: a simple_value, or a rank-0 numeric tensor
  // whose plugin (from this value's metadata, else from an earlier value of the same tag) is
  // "scalars" or unknown.
  bool scalar_of(const ValueView& v, double& x) {
    if (v.has_other_kind || v.has_simple == v.has_tensor) return false;
    if (v.has_simple) {
      x = v.simple;
      return true;
    }
    std::string_view plugin = v.plugin;
    if (!v.has_metadata) {  // TF2 writes a tag's metadata only once per file
      auto it = out_.plugins.find(std::string(v.tag));
      if (it != out_.plugins.end()) plugin = it->second;
    }
    if (!plugin.empty() && plugin != "scalars") return false;
    return tensor_scalar(v.tensor, x);
  }

  void remember_plugin(std::string_view tag, std::string_view plugin) {
    auto it = out_.plugins.find(std::string(tag));
    if (it == out_.plugins.end()) out_.plugins.emplace(std::string(tag), std::string(plugin));
    else if (it->second != plugin) it->second.assign(plugin.data(), plugin.size());
  }

  ScalarColumns& column(std::string_view tag) {
    // Writers usually log the same tags in the same order every step: try the tag after the
    // previous one before hashing.
    if (last_ >= 0) {
      const int next = last_ + 1 == static_cast<int>(out_.tags.size()) ? 0 : last_ + 1;
      if (out_.tags[next] == tag) return out_.columns[last_ = next];
      if (out_.tags[last_] == tag) return out_.columns[last_];
    }
    auto it = index_.find(tag);
    if (it == index_.end()) {
      out_.tags.emplace_back(tag);
      out_.columns.emplace_back();
      it = index_.emplace(out_.tags.back(), static_cast<int>(out_.tags.size() - 1)).first;
    }
    last_ = it->second;
    return out_.columns[last_];
  }

  ScanResult& out_;
  std::unordered_map<std::string_view, int> index_;
  std::vector<ScalarValue> pending_;
  int last_ = -1;
};

}  // namespace

size_t next_header(const uint8_t* buf, size_t size, size_t start) {
  size_t pos = start;
  while (pos <= size && size - pos >= kHeaderSize && !header_ok(buf + pos)) ++pos;
  return pos;
}

void scan_events(const uint8_t* buf, size_t size, int64_t base_offset, ScanResult& out) {
  EventScanner scanner(out);
  size_t pos = 0;
  while (size - pos >= kHeaderSize) {
    const uint8_t* header = buf + pos;
    const bool valid = header_ok(header);
    const uint64_t length = load_u64(header);
    if (!valid || length > kMaxRecordBytes) {
      // A damaged header (or an absurd length) leaves the record's end unknown: find the next
      // position whose 12 bytes form a valid header and continue there.
      ++out.crc_errors;
      if (valid && out.oversized++ == 0) {
        out.first_oversized_offset = base_offset + static_cast<int64_t>(pos);
        out.first_oversized_length = length;
      }
      pos = next_header(buf, size, pos + 1);
      continue;
    }
    const size_t available = size - pos - kHeaderSize;
    if (length > available || available - length < kFooterSize) break;  // partial record
    const uint8_t* data = header + kHeaderSize;
    const size_t n = static_cast<size_t>(length);
    if (masked_crc32c(data, n) != load_u32(data + n)) {
      ++out.crc_errors;
    } else {
      ++out.records;
      scanner.consume(data, n, base_offset + static_cast<int64_t>(pos),
                      static_cast<int64_t>(pos + kHeaderSize));
    }
    pos += kHeaderSize + n + kFooterSize;
  }
  out.end_offset = base_offset + static_cast<int64_t>(pos);
}

void append_record(std::string& out, const uint8_t* data, size_t size) {
  uint8_t header[kHeaderSize];
  const uint64_t length = size;
  std::memcpy(header, &length, 8);
  const uint32_t length_crc = masked_crc32c(header, 8);
  std::memcpy(header + 8, &length_crc, 4);
  out.append(reinterpret_cast<const char*>(header), kHeaderSize);
  out.append(reinterpret_cast<const char*>(data), size);
  wire::put_fixed32(out, masked_crc32c(data, size));
}

}  // namespace flowboard::records
