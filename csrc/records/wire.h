// Minimal protobuf wire-format reading and writing: just what the scalar fast paths need.
// Layout reminder: a key is varint(field_number << 3 | wire_type); wire types are
// 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3/4, groups, are treated as malformed).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace flowboard::records::wire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

struct Reader {
  const uint8_t* p;
  const uint8_t* end;

  bool done() const { return p >= end; }

  bool varint(uint64_t& out) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      const uint8_t byte = *p++;
      result |= static_cast<uint64_t>(byte & 0x7Fu) << shift;
      if (!(byte & 0x80u)) {
        out = result;
        return true;
      }
    }
    return false;
  }

  bool key(uint32_t& field, uint32_t& type) {
    uint64_t k;
    if (!varint(k)) return false;
    field = static_cast<uint32_t>(k >> 3);
    type = static_cast<uint32_t>(k & 7u);
    return field != 0;
  }

  bool fixed64(uint64_t& out) {
    if (end - p < 8) return false;
    std::memcpy(&out, p, 8);  // little-endian hosts only
    p += 8;
    return true;
  }

  bool fixed32(uint32_t& out) {
    if (end - p < 4) return false;
    std::memcpy(&out, p, 4);
    p += 4;
    return true;
  }

  bool bytes(Reader& sub) {
    uint64_t n;
    if (!varint(n) || n > static_cast<uint64_t>(end - p)) return false;
    sub = Reader{p, p + n};
    p += n;
    return true;
  }

  bool skip(uint32_t type) {
    uint64_t v;
    Reader sub;
    switch (type) {
      case kVarint: return varint(v);
      case kFixed64: return fixed64(v);
      case kLength: return bytes(sub);
      case kFixed32: {
        uint32_t w;
        return fixed32(w);
      }
      default: return false;
    }
  }
};

inline double as_double(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

inline float as_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80u) {
    out.push_back(static_cast<char>((v & 0x7Fu) | 0x80u));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80u) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void put_fixed64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

inline void put_fixed32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

}  // namespace flowboard::records::wire
