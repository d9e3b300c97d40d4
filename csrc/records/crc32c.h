// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masked form.
#pragma once
#include <cstddef>
#include <cstdint>

namespace flowboard::records {

// CRC32C of data, continuing from a previous crc (0 to start). Uses the SSE4.2 crc32
// instruction when the CPU has it (checked once at run time), slice-by-8 tables otherwise.
uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

// TFRecord masks stored CRCs so that a CRC of data that itself contains CRCs stays strong:
// rotate right by 15 bits, then add a constant.
inline uint32_t mask_crc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

inline uint32_t masked_crc32c(const uint8_t* data, size_t size) {
  return mask_crc(crc32c(data, size));
}

// The portable slice-by-8 path, always available (tests compare it with the hardware path).
uint32_t crc32c_software(const uint8_t* data, size_t size, uint32_t crc = 0);

// True when the hardware path is in use (reported by the bindings for diagnostics).
bool crc32c_uses_hardware();

}  // namespace flowboard::records
