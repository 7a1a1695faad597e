#include "honeyhive/core/ids.hpp"

#include <cstring>

#include "core/hex.hpp"
#include "core/random.hpp"
#include "core/uuid.hpp"

namespace honeyhive {
namespace {

// "00".."ff": the two lowercase hex characters of every byte value.
struct HexPairs {
  char pairs[256][2];
};
constexpr HexPairs make_hex_pairs() noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  HexPairs table{};
  for (int i = 0; i < 256; ++i) {
    table.pairs[i][0] = kDigits[i >> 4];
    table.pairs[i][1] = kDigits[i & 0x0F];
  }
  return table;
}
constexpr HexPairs kHexPairs = make_hex_pairs();

}  // namespace

void hex_encode(const std::uint8_t* bytes, std::size_t size, char* out) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) detail::encode_lower_hex_8(bytes + i, out + 2 * i);
  for (; i < size; ++i) std::memcpy(out + 2 * i, kHexPairs.pairs[bytes[i]], 2);
}

bool hex_decode_lower(std::string_view hex, std::uint8_t* out, std::size_t size) noexcept {
  if (hex.size() != 2 * size) return false;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    if (!detail::decode_lower_hex_16(hex.data() + 2 * i, out + i)) return false;
  }
  for (; i + 4 <= size; i += 4) {
    if (!detail::decode_lower_hex_8_swar(hex.data() + 2 * i, out + i)) return false;
  }
  for (; i < size; ++i) {
    const int byte = detail::decode_lower_hex_2(hex.data() + 2 * i);
    if (byte < 0) return false;
    out[i] = static_cast<std::uint8_t>(byte);
  }
  return true;
}

TraceId TraceId::random() noexcept { return detail::random_trace_id(detail::thread_random_state()); }

std::optional<TraceId> TraceId::from_hex(std::string_view hex) noexcept {
  TraceId id;
  if (hex.size() != 2 * kSize || !detail::decode_lower_hex_16(hex.data(), id.bytes_.data()) ||
      !detail::decode_lower_hex_16(hex.data() + 16, id.bytes_.data() + 8)) {
    return std::nullopt;
  }
  return id;
}

std::string TraceId::to_hex() const {
  std::string out(2 * kSize, '0');
  to_hex(out.data());
  return out;
}

void TraceId::to_hex(char* out) const noexcept {
  detail::encode_lower_hex_8(bytes_.data(), out);
  detail::encode_lower_hex_8(bytes_.data() + 8, out + 16);
}

SpanId SpanId::random() noexcept { return detail::random_span_id(detail::thread_random_state()); }

std::optional<SpanId> SpanId::from_hex(std::string_view hex) noexcept {
  SpanId id;
  if (hex.size() != 2 * kSize || !detail::decode_lower_hex_16(hex.data(), id.bytes_.data())) return std::nullopt;
  return id;
}

std::string SpanId::to_hex() const {
  std::string out(2 * kSize, '0');
  to_hex(out.data());
  return out;
}

void SpanId::to_hex(char* out) const noexcept { detail::encode_lower_hex_8(bytes_.data(), out); }

}  // namespace honeyhive

namespace honeyhive::detail {

std::string format_uuid(std::array<std::uint8_t, 16> bytes, unsigned version) {
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | ((version & 0x0FU) << 4U));
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);
  char hex[32];
  hex_encode(bytes.data(), bytes.size(), hex);
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += hex[i];
  }
  return out;
}

}  // namespace honeyhive::detail
