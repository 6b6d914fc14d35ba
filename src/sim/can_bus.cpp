#include "sim/can_bus.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <limits>
#include <utility>

namespace bts::sim {

namespace {

// Fields of a data frame, in bits (ISO 11898-1).
constexpr std::uint32_t kIntermissionBits = 3;
constexpr std::uint32_t kTrailerBits = 1 + 2 + 7;  // CRC delimiter, ACK slot + delimiter, EOF
constexpr std::uint32_t kCrcBits = 15;
constexpr std::uint32_t kExtendedHeaderBits = 1 + 11 + 1 + 1 + 18 + 1 + 2 + 4;  // SOF..DLC: 39
constexpr std::uint32_t kStandardHeaderBits = 1 + 11 + 1 + 1 + 1 + 4;           // SOF..DLC: 19
// A corrupted attempt: the frame up to the ACK delimiter, then an error flag (6), the other
// nodes' superposed flags (up to 6), the error delimiter (8) and the intermission (3).
constexpr std::uint32_t kErrorFrameBits = 6 + 6 + 8;

constexpr std::uint32_t kTecBusOff = 256;
constexpr std::uint32_t kErrorPassive = 128;

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

std::uint8_t clamped_dlc(const CanFrame& frame) { return frame.dlc > 8 ? 8 : frame.dlc; }

/// The frame's bits SOF..data as sent (unstuffed), most significant first per field.
struct BitStream {
  std::array<std::uint8_t, 128> bit{};
  std::uint32_t size = 0;
  void push(std::uint32_t value, std::uint32_t count) {
    for (std::uint32_t i = count; i-- > 0;)
      bit[size++] = static_cast<std::uint8_t>((value >> i) & 1u);
  }
};

BitStream header_and_data(const CanFrame& frame) {
  BitStream s;
  const std::uint8_t dlc = clamped_dlc(frame);
  s.push(0, 1);  // SOF
  if (frame.extended) {
    s.push(frame.id >> 18, 11);  // base identifier
    s.push(1, 1);                // SRR
    s.push(1, 1);                // IDE
    s.push(frame.id & 0x3FFFFu, 18);
    s.push(0, 1);  // RTR (data frame)
    s.push(0, 2);  // r1, r0
  } else {
    s.push(frame.id & 0x7FFu, 11);
    s.push(0, 1);  // RTR
    s.push(0, 1);  // IDE
    s.push(0, 1);  // r0
  }
  s.push(frame.dlc & 0xFu, 4);
  for (std::uint8_t i = 0; i < dlc; ++i) s.push(frame.data[i], 8);
  return s;
}

std::uint16_t crc15_of(const BitStream& s) {
  std::uint16_t crc = 0;
  for (std::uint32_t i = 0; i < s.size; ++i) {
    const bool next = (s.bit[i] ^ ((crc >> 14) & 1u)) != 0;
    crc = static_cast<std::uint16_t>((crc << 1) & 0x7FFFu);
    if (next) crc ^= 0x4599u;
  }
  return crc;
}

/// to = from, field by field. The senders have just built the frame with one store per field
/// (the payload as one 64-bit store); a 16-byte copy would load across those stores, which the
/// processor cannot forward, and wait for them to reach the cache (about 15 cycles per frame).
/// The empty asm keeps the compiler from merging the field loads back into one.
void copy_just_built_frame(CanFrame& to, const CanFrame& from) {
  std::uint32_t id = from.id;
  std::uint64_t payload = 0;
  std::memcpy(&payload, from.data.data(), sizeof payload);
  asm("" : "+r"(id), "+r"(payload));
  to.id = id;
  to.extended = from.extended;
  to.dlc = from.dlc;
  std::memcpy(to.data.data(), &payload, sizeof payload);
}

}  // namespace

std::uint16_t can_crc15(const CanFrame& frame) { return crc15_of(header_and_data(frame)); }

// The inline worst case (can_bus.hpp) spelled with this file's field lengths.
static_assert(can_frame_bits_worst_case(CanFrame{0, true, 8, {}}) ==
              kExtendedHeaderBits + 64 + kCrcBits + kTrailerBits + kIntermissionBits +
                  (kExtendedHeaderBits + 64 + kCrcBits - 1) / 4);
static_assert(can_frame_bits_worst_case(CanFrame{0, false, 0, {}}) ==
              kStandardHeaderBits + kCrcBits + kTrailerBits + kIntermissionBits +
                  (kStandardHeaderBits + kCrcBits - 1) / 4);

std::uint32_t can_frame_bits(const CanFrame& frame, StuffingModel stuffing) {
  const std::uint32_t data_bits = 8u * clamped_dlc(frame);
  const std::uint32_t stuffed_region =
      (frame.extended ? kExtendedHeaderBits : kStandardHeaderBits) + data_bits + kCrcBits;
  const std::uint32_t nominal = stuffed_region + kTrailerBits + kIntermissionBits;
  switch (stuffing) {
    case StuffingModel::None:
      return nominal;
    case StuffingModel::WorstCase:
      return can_frame_bits_worst_case(frame);  // nominal + (stuffed_region - 1) / 4
    case StuffingModel::Exact: {
      BitStream s = header_and_data(frame);
      s.push(crc15_of(s), kCrcBits);
      std::uint32_t stuff = 0;
      std::uint32_t run = 0;
      std::uint8_t last = 2;
      for (std::uint32_t i = 0; i < s.size; ++i) {
        if (s.bit[i] == last) {
          ++run;
        } else {
          last = s.bit[i];
          run = 1;
        }
        if (run == 5) {  // a complementary stuff bit follows and starts a new run
          ++stuff;
          last = static_cast<std::uint8_t>(1u - last);
          run = 1;
        }
      }
      return nominal + stuff;
    }
  }
  return nominal;
}

std::uint32_t can_arbitration_key(const CanFrame& frame) {
  // 31 bits in wire order: base identifier (11), SRR/RTR, IDE, extension (18); a standard data
  // frame sends RTR and IDE dominant (0), an extended one SRR and IDE recessive (1).
  if (frame.extended) {
    const std::uint32_t id = frame.id & 0x1FFFFFFFu;
    return ((id >> 18) << 20) | (1u << 19) | (1u << 18) | (id & 0x3FFFFu);
  }
  return (frame.id & 0x7FFu) << 20;
}

int format_candump(char* out, std::size_t size, std::uint64_t time_us,
                   std::string_view interface_name, const CanFrame& frame) {
  char data[17] = {};
  const std::uint8_t dlc = clamped_dlc(frame);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::uint8_t i = 0; i < dlc; ++i) {
    data[2 * i] = kHex[frame.data[i] >> 4];
    data[2 * i + 1] = kHex[frame.data[i] & 0xFu];
  }
  const auto seconds = static_cast<unsigned long long>(time_us / 1'000'000);
  const auto micros = static_cast<unsigned long long>(time_us % 1'000'000);
  const int name_length = static_cast<int>(interface_name.size());
  if (frame.extended) {
    return std::snprintf(out, size, "(%llu.%06llu) %.*s %08X#%s", seconds, micros, name_length,
                         interface_name.data(), static_cast<unsigned>(frame.id & 0x1FFFFFFFu),
                         data);
  }
  return std::snprintf(out, size, "(%llu.%06llu) %.*s %03X#%s", seconds, micros, name_length,
                       interface_name.data(), static_cast<unsigned>(frame.id & 0x7FFu), data);
}

CanBus::CanBus(std::string name, std::uint32_t bitrate_bps, std::uint64_t seed)
    : name_(std::move(name)),
      bitrate_bps_(bitrate_bps == 0 ? 1 : bitrate_bps),
      bit_times_ns_([this] {
        std::array<std::uint64_t, kBitTimes> times{};
        for (std::size_t bits = 0; bits < kBitTimes; ++bits)
          times[bits] = bits * 1'000'000'000ull / bitrate_bps_;
        return times;
      }()),
      rng_(seed),
      segments_(kMaxSegments),
      bus_off_recovery_ns_(bits_to_ns(128 * 11)) {}

int CanBus::attach(std::string node_name, std::size_t tx_capacity, std::size_t rx_capacity) {
  Port port;
  port.name = std::move(node_name);
  port.tx_capacity = std::max<std::size_t>(tx_capacity, 1);
  port.tx = std::make_unique<TxEntry[]>(port.tx_capacity);
  port.rx_capacity = std::max<std::size_t>(rx_capacity, 1);
  port.rx = std::make_unique<RxEntry[]>(port.rx_capacity);
  ports_.push_back(std::move(port));
  heads_.emplace_back();
  const int index = static_cast<int>(ports_.size()) - 1;
  port_count_ = static_cast<int>(ports_.size());
  port_masks_cover_all_ = port_count_ <= kMaskedPorts;
  segment_ports_[0].push_back(index);
  segment_port_mask_[0] |= port_bit(index);
  unfiltered_ports_ |= port_bit(index);
  segments_[0].next_stale = true;
  return index;
}

void CanBus::set_segment(int port, int segment) {
  if (port < 0 || port >= port_count()) return;
  if (segment != kDisconnected && (segment < 0 || segment >= kMaxSegments)) return;
  int& current = ports_[static_cast<std::size_t>(port)].segment;
  if (current != kDisconnected) {
    std::vector<int>& on = segment_ports_[static_cast<std::size_t>(current)];
    on.erase(std::find(on.begin(), on.end(), port));
    segment_port_mask_[static_cast<std::size_t>(current)] &= ~port_bit(port);
    segments_[static_cast<std::size_t>(current)].next_stale = true;
  }
  if (segment != kDisconnected) {
    std::vector<int>& on = segment_ports_[static_cast<std::size_t>(segment)];
    on.insert(std::lower_bound(on.begin(), on.end(), port), port);
    segment_port_mask_[static_cast<std::size_t>(segment)] |= port_bit(port);
    segments_[static_cast<std::size_t>(segment)].next_stale = true;
  }
  current = segment;
  segments_used_ = std::max(segments_used_, segment + 1);
}

bool CanBus::add_acceptance_filter(int port, std::uint32_t filter_id, std::uint32_t mask) {
  if (port < 0 || port >= port_count()) return false;
  Port& target = ports_[static_cast<std::size_t>(port)];
  if (target.filter_count >= kMaxFilters) return false;
  target.filter_masked_id[static_cast<std::size_t>(target.filter_count)] = filter_id & mask;
  target.filter_mask[static_cast<std::size_t>(target.filter_count)] = mask;
  ++target.filter_count;
  unfiltered_ports_ &= ~port_bit(port);
  filtered_ports_ |= port_bit(port);
  forget_accepting();  // what it kept was for the old filters
  return true;
}

bool CanBus::set_acceptance_filters(int port,
                                    std::span<const firmware::CanAcceptanceFilter> filters) {
  if (port < 0 || port >= port_count() || filters.size() > static_cast<std::size_t>(kMaxFilters))
    return false;
  Port& target = ports_[static_cast<std::size_t>(port)];
  target.filter_count = 0;
  unfiltered_ports_ |= port_bit(port);
  filtered_ports_ &= ~port_bit(port);
  forget_accepting();
  for (const firmware::CanAcceptanceFilter& filter : filters)
    add_acceptance_filter(port, filter.filter_id, filter.mask);
  return true;
}

std::uint64_t CanBus::remember_accepting(std::size_t free_slot, std::uint32_t id) {
  if (accepting_used_ >= kAcceptingSlots / 4 * 3) {
    forget_accepting();
    free_slot = accepting_slot(id);
  }
  AcceptingPorts& kept = accepting_[free_slot];
  kept.id = id;
  kept.used = true;
  kept.ports = filtered_ports_accepting(id);
  ++accepting_used_;
  return kept.ports;
}

std::uint64_t CanBus::filtered_ports_accepting(std::uint32_t id) const {
  std::uint64_t accepting = 0;
  for (std::uint64_t left = filtered_ports_; left != 0; left &= left - 1) {
    const int p = std::countr_zero(left);
    if (ports_[static_cast<std::size_t>(p)].accepts(id)) accepting |= port_bit(p);
  }
  return accepting;
}

int CanBus::segment_of(int port) const { return ports_.at(static_cast<std::size_t>(port)).segment; }

void CanBus::set_terminated(int segment, bool terminated) {
  if (segment < 0 || segment >= kMaxSegments) return;
  segments_[static_cast<std::size_t>(segment)].terminated = terminated;
  update_segment_loss();
  segments_used_ = std::max(segments_used_, segment + 1);
}

bool CanBus::terminated(int segment) const {
  return segments_.at(static_cast<std::size_t>(segment)).terminated;
}

void CanBus::set_unterminated_loss_probability(double probability) {
  unterminated_loss_probability_ = std::clamp(probability, 0.0, 1.0);
  update_segment_loss();
}

void CanBus::update_segment_loss() {
  for (Segment& segment : segments_) {
    segment.loss_probability = loss_probability_;
    if (!segment.terminated)
      segment.loss_probability =
          1.0 - (1.0 - loss_probability_) * (1.0 - unterminated_loss_probability_);
  }
}

void CanBus::set_loss_probability(double probability) {
  loss_probability_ = std::clamp(probability, 0.0, 1.0);
  update_segment_loss();
}

void CanBus::set_automatic_retransmission(bool on) { retransmit_ = on; }

void CanBus::set_stuffing_model(StuffingModel model) { stuffing_ = model; }

void CanBus::set_bus_off_recovery_us(std::uint64_t recovery_us) {
  bus_off_recovery_ns_ = recovery_us * 1000;
}

void CanBus::set_observer(std::function<void(const CanTraceEntry&)> observer) {
  observer_ = std::move(observer);
}

std::uint64_t CanBus::bits_to_ns(std::uint64_t bits) const {
  if (bits < kBitTimes) return bit_times_ns_[bits];
  return bits * 1'000'000'000ull / bitrate_bps_;
}

std::uint64_t CanBus::frame_duration_ns(const CanFrame& frame) const {
  return bits_to_ns(can_frame_bits(frame, stuffing_));
}

bool CanBus::send(int port_index, const CanFrame& frame, std::uint64_t now_us) {
  if (port_index < 0 || port_index >= port_count_) return false;
  Port& port = ports_[static_cast<std::size_t>(port_index)];
  const std::uint32_t id_limit = frame.extended ? 0x1FFFFFFFu : 0x7FFu;
  if (frame.dlc > 8 || frame.id > id_limit || port.segment == kDisconnected) {
    ++port.stats.tx_rejected;
    return false;
  }
  if (port.tx_count == port.tx_capacity) {
    ++port.stats.tx_queue_full;
    ++stats_.tx_queue_full;
    return false;
  }
  std::size_t slot = port.tx_head + port.tx_count;
  if (slot >= port.tx_capacity) slot -= port.tx_capacity;
  TxEntry& entry = port.tx[slot];
  copy_just_built_frame(entry.frame, frame);
  entry.queued_ns = std::max(now_us * 1000, now_ns_);
  entry.key = can_arbitration_key(frame);
  ++port.tx_count;
  ++queued_total_;
  if (port.tx_count == 1) {  // a new head frame competes
    heads_[static_cast<std::size_t>(port_index)] = head_frame(entry, port_index);
    tx_pending_ports_ |= port_bit(port_index);
    offer(port_index);
  }
  return true;
}

void CanBus::arbitrate(int segment_index) {
  Segment& segment = segments_[static_cast<std::size_t>(segment_index)];
  if (port_masks_cover_all_) {
    const std::uint64_t pending =
        tx_pending_ports_ & segment_port_mask_[static_cast<std::size_t>(segment_index)];
    if ((pending & bus_off_port_mask_) == 0) {
      // Nobody waits for a bus-off recovery, so each head can start at max(queued, free_ns).
      // If one was queued by free_ns, the arbitration is at free_ns among the heads queued by
      // then: the lowest key wins, then the lowest port, which is the lowest rank (as a frame
      // burst goes out, every head is ready when the bus frees up).
      const std::uint64_t free_ns = segment.free_ns;
      std::uint64_t best_rank = kNever;
      for (std::uint64_t left = pending; left != 0; left &= left - 1) {
        const HeadFrame& head = heads_[static_cast<std::size_t>(std::countr_zero(left))];
        best_rank = std::min(best_rank, head.queued_ns <= free_ns ? head.rank : kNever);
      }
      if (best_rank != kNever) {
        segment.next_at_ns = free_ns;
        segment.next_winner = static_cast<int>(best_rank & 0xFFFFFFFFu);
        segment.next_key = static_cast<std::uint32_t>(best_rank >> 32);
        segment.next_stale = false;
        return;
      }
    }
  }
  arbitrate_by_scan(segment_index);
}

void CanBus::arbitrate_by_scan(int segment_index) {
  Segment& segment = segments_[static_cast<std::size_t>(segment_index)];
  std::uint64_t at_ns = kNever;
  int winner = -1;
  std::uint32_t key = 0;
  const std::uint64_t free_ns = segment.free_ns;
  // The segment's ports with a frame queued, in index order: a strict comparison leaves a tie
  // to the lower port.
  auto consider = [&](int p, bool bus_off) {
    const HeadFrame& head = heads_[static_cast<std::size_t>(p)];
    std::uint64_t t = std::max(head.queued_ns, free_ns);
    if (bus_off) t = std::max(t, ports_[static_cast<std::size_t>(p)].bus_off_until_ns);
    if (t < at_ns || (t == at_ns && head.key() < key)) {
      at_ns = t;
      winner = p;
      key = head.key();
    }
  };
  if (port_masks_cover_all_) {
    for (std::uint64_t left =
             tx_pending_ports_ & segment_port_mask_[static_cast<std::size_t>(segment_index)];
         left != 0; left &= left - 1) {
      const int p = std::countr_zero(left);
      consider(p, (bus_off_port_mask_ & port_bit(p)) != 0);
    }
  } else {
    for (int p : segment_ports_[static_cast<std::size_t>(segment_index)]) {
      const Port& port = ports_[static_cast<std::size_t>(p)];
      if (port.tx_count != 0) consider(p, port.bus_off);
    }
  }
  segment.next_at_ns = at_ns;
  segment.next_winner = winner;
  segment.next_key = key;
  segment.next_stale = false;
}

void CanBus::offer(int port_index) {
  const Port& port = ports_[static_cast<std::size_t>(port_index)];
  if (port.tx_count == 0 || port.segment == kDisconnected) return;
  Segment& segment = segments_[static_cast<std::size_t>(port.segment)];
  if (segment.next_stale) return;  // recomputed from every port before it is used
  const HeadFrame& head = heads_[static_cast<std::size_t>(port_index)];
  std::uint64_t t = std::max(head.queued_ns, segment.free_ns);
  if (port.bus_off) t = std::max(t, port.bus_off_until_ns);
  // Ties go to the lower key, then to the lower port (the order of a scan over the ports).
  if (t < segment.next_at_ns || (t == segment.next_at_ns && (head.key() < segment.next_key ||
                                                             (head.key() == segment.next_key &&
                                                              port_index < segment.next_winner)))) {
    segment.next_at_ns = t;
    segment.next_winner = port_index;
    segment.next_key = head.key();
  }
}

bool CanBus::port_on_bus(const Port& port, std::uint64_t at_ns) const {
  return port.segment != kDisconnected && (!port.bus_off || at_ns >= port.bus_off_until_ns);
}

void CanBus::recover_bus_off_ports(std::uint64_t at_ns) {
  for (int p = 0; p < port_count_; ++p) {
    Port& port = ports_[static_cast<std::size_t>(p)];
    if (port.bus_off && at_ns >= port.bus_off_until_ns) {
      port.bus_off = false;
      port.tec = 0;
      port.rec = 0;
      bus_off_port_mask_ &= ~port_bit(p);
      receive_error_ports_ &= ~port_bit(p);
      --bus_off_ports_;
      if (port.segment != kDisconnected)
        segments_[static_cast<std::size_t>(port.segment)].next_stale = true;
    }
  }
}

void CanBus::advance_busy_to(std::uint64_t now) {
  if (segments_used_ == 1) {
    // One segment: its own events, in order (the loop below, without the search over segments).
    Segment& segment = segments_[0];
    for (;;) {
      if (segment.in_flight) {
        if (segment.deliver_ns > now) break;
        complete(0);
      }
      if (segment.next_stale) arbitrate(0);
      if (segment.next_at_ns > now) break;  // kNever when nothing is queued
      start(0, segment.next_at_ns, segment.next_winner);
    }
    recover_bus_off(now);
    now_ns_ = now;
    return;
  }
  const auto used = static_cast<std::size_t>(segments_used_);
  for (;;) {
    // The earliest event on any segment: a frame ending, or the next arbitration (kept per
    // segment; the ports ready at the earliest start compete, the lowest key wins, the first
    // port on a tie).
    int best = -1;
    std::uint64_t best_time = kNever;
    bool best_is_end = false;
    for (std::size_t s = 0; s < used; ++s) {
      Segment& segment = segments_[s];
      if (segment.in_flight) {
        if (segment.deliver_ns < best_time) {
          best = static_cast<int>(s);
          best_time = segment.deliver_ns;
          best_is_end = true;
        }
        continue;
      }
      if (segment.next_stale) arbitrate(static_cast<int>(s));
      if (segment.next_at_ns < best_time) {
        best = static_cast<int>(s);
        best_time = segment.next_at_ns;
        best_is_end = false;
      }
    }
    if (best < 0 || best_time > now) break;
    if (best_is_end) {
      complete(best);
    } else {
      start(best, best_time, segments_[static_cast<std::size_t>(best)].next_winner);
    }
  }
  recover_bus_off(now);
  now_ns_ = now;
}

int CanBus::listeners_counted(int segment_index, std::uint64_t at_ns) const {
  const std::vector<int>& on = segment_ports_[static_cast<std::size_t>(segment_index)];
  int count = 0;
  for (int p : on) count += port_on_bus(ports_[static_cast<std::size_t>(p)], at_ns) ? 1 : 0;
  return count;
}

void CanBus::start(int segment_index, std::uint64_t at_ns, int winner) {
  recover_bus_off(at_ns);
  Segment& segment = segments_[static_cast<std::size_t>(segment_index)];
  const Port& tx = ports_[static_cast<std::size_t>(winner)];
  const std::uint32_t bits = frame_bits(tx.tx[tx.tx_head].frame);

  const double loss = segment.loss_probability;
  segment.corrupted = loss > 0.0 && rng_.uniform() < loss;
  segment.acknowledged = listeners(segment_index, at_ns) > 1;
  segment.in_flight = true;
  ++frames_in_flight_;
  segment.next_stale = true;  // free_ns moves and the winner's head leaves
  segment.tx_port = winner;
  segment.start_ns = at_ns;
  if (segment.corrupted || !segment.acknowledged) {
    segment.free_ns =
        at_ns + bits_to_ns(bits - kIntermissionBits - 7 + kErrorFrameBits + kIntermissionBits);
    segment.deliver_ns = segment.free_ns;
  } else {
    segment.deliver_ns = at_ns + bits_to_ns(bits - kIntermissionBits);
    segment.free_ns = at_ns + bits_to_ns(bits);
  }
}

void CanBus::transmit_error(int port_index, Port& port, std::uint64_t at_ns) {
  ++port.stats.tx_errors;
  port.tec += 8;
  if (port.tec >= kTecBusOff && !port.bus_off) {
    port.bus_off = true;
    bus_off_port_mask_ |= port_bit(port_index);
    port.bus_off_until_ns = at_ns + bus_off_recovery_ns_;
    ++bus_off_ports_;
    ++port.stats.bus_off_count;
  }
}

void CanBus::complete(int segment_index) {
  Segment& segment = segments_[static_cast<std::size_t>(segment_index)];
  segment.in_flight = false;
  --frames_in_flight_;
  segment.next_stale = true;
  const std::uint64_t duration = segment.free_ns - std::max(segment.start_ns, stats_start_ns_);
  segment.busy_ns += duration;
  stats_.busy_ns += duration;
  Port& tx = ports_[static_cast<std::size_t>(segment.tx_port)];
  const TxEntry& head = tx.tx[tx.tx_head];
  // The head's slot keeps its frame while this runs: popping only moves the queue's start, and
  // nothing is queued before the observer has taken its copy.
  const CanFrame& frame = head.frame;
  const std::uint64_t at = segment.deliver_ns;

  auto pop_head = [this, &tx, &segment]() {
    --tx.tx_count;
    --queued_total_;
    if (tx.tx_count == 0) {
      tx.tx_head = 0;  // an emptied queue starts again at its first slot (kept in the cache)
      tx_pending_ports_ &= ~port_bit(segment.tx_port);
    } else {
      tx.tx_head = tx.tx_head + 1 == tx.tx_capacity ? 0 : tx.tx_head + 1;
      const TxEntry& next = tx.tx[tx.tx_head];
      heads_[static_cast<std::size_t>(segment.tx_port)] = head_frame(next, segment.tx_port);
    }
  };

  CanTraceEntry::Outcome outcome = CanTraceEntry::Outcome::Delivered;
  if (!segment.corrupted && segment.acknowledged) {
    pop_head();
    ++tx.stats.frames_sent;
    ++stats_.frames_transmitted;
    if (tx.tec > 0) --tx.tec;
    if (port_masks_cover_all_) {
      // Every other port on the segment that is on the bus hears the frame; its error counter
      // counts the success; it keeps the frame if its filters take it. Each port's outcome
      // depends on that port alone, so the sets can be walked one after the other.
      std::uint64_t listening =
          segment_port_mask_[static_cast<std::size_t>(segment_index)] & ~port_bit(segment.tx_port);
      for (std::uint64_t off = listening & bus_off_port_mask_; off != 0; off &= off - 1) {
        const int p = std::countr_zero(off);
        if (!port_on_bus(ports_[static_cast<std::size_t>(p)], at)) listening &= ~port_bit(p);
      }
      for (std::uint64_t left = listening & receive_error_ports_; left != 0; left &= left - 1) {
        const int p = std::countr_zero(left);
        count_good_reception(p, ports_[static_cast<std::size_t>(p)]);
      }
      for (std::uint64_t left = listening & accepting_ports(frame.id); left != 0; left &= left - 1)
        deliver(ports_[static_cast<std::size_t>(std::countr_zero(left))], frame, at);
    } else {
      for (int p : segment_ports_[static_cast<std::size_t>(segment_index)]) {
        Port& rx = ports_[static_cast<std::size_t>(p)];
        if (p == segment.tx_port || !port_on_bus(rx, at)) continue;
        if (rx.rec > 0) count_good_reception(p, rx);
        if (rx.accepts(frame.id)) deliver(rx, frame, at);
      }
    }
  } else {
    if (segment.corrupted) {
      outcome = CanTraceEntry::Outcome::Corrupted;
      ++stats_.frames_corrupted;
      transmit_error(segment.tx_port, tx, at);
      for (int p : segment_ports_[static_cast<std::size_t>(segment_index)]) {
        Port& rx = ports_[static_cast<std::size_t>(p)];
        if (p == segment.tx_port || !port_on_bus(rx, at)) continue;
        ++rx.stats.rx_errors;
        if (rx.rec < 255) ++rx.rec;
        receive_error_ports_ |= port_bit(p);
      }
    } else {
      // Nobody acknowledged: an error-passive transmitter's counter stops at the passive
      // level for ACK errors, so a node alone on a segment never goes bus-off.
      outcome = CanTraceEntry::Outcome::NotAcknowledged;
      ++stats_.ack_errors;
      if (tx.tec < kErrorPassive) {
        transmit_error(segment.tx_port, tx, at);
      } else {
        ++tx.stats.tx_errors;
      }
    }
    if (!retransmit_ || tx.bus_off) {
      pop_head();
      ++tx.stats.frames_lost;
      ++stats_.frames_lost;
    }
  }
  if (observer_) {
    CanTraceEntry entry;
    entry.time_us = at / 1000;
    entry.port = segment.tx_port;
    entry.segment = segment_index;
    entry.frame = frame;
    entry.outcome = outcome;
    observer_(entry);
  }
}

std::size_t CanBus::tx_pending(int port) const {
  return ports_.at(static_cast<std::size_t>(port)).tx_count;
}

const CanPortStats& CanBus::port_stats(int port) const {
  return ports_.at(static_cast<std::size_t>(port)).stats;
}

double CanBus::bus_load_percent(int segment) const {
  const std::uint64_t elapsed = now_ns_ > stats_start_ns_ ? now_ns_ - stats_start_ns_ : 0;
  if (elapsed == 0) return 0.0;
  auto busy_of = [this](const Segment& s) {
    std::uint64_t busy = s.busy_ns;
    const std::uint64_t from = std::max(s.start_ns, stats_start_ns_);
    if (s.in_flight && now_ns_ > from) busy += std::min(now_ns_, s.free_ns) - from;
    return busy;
  };
  std::uint64_t busy = 0;
  if (segment >= 0 && segment < kMaxSegments) {
    busy = busy_of(segments_[static_cast<std::size_t>(segment)]);
  } else {
    for (const Segment& s : segments_) busy = std::max(busy, busy_of(s));
  }
  return std::min(100.0, 100.0 * static_cast<double>(busy) / static_cast<double>(elapsed));
}

void CanBus::reset_statistics() {
  stats_ = CanBusStats{};
  for (Port& port : ports_) port.stats = CanPortStats{};
  for (Segment& segment : segments_) segment.busy_ns = 0;
  stats_start_ns_ = now_ns_;
}

CanErrorState CanBus::error_state(int port_index) const {
  const Port& port = ports_.at(static_cast<std::size_t>(port_index));
  if (port.bus_off) return CanErrorState::BusOff;
  if (port.tec >= kErrorPassive || port.rec >= kErrorPassive) return CanErrorState::Passive;
  return CanErrorState::Active;
}

std::uint32_t CanBus::transmit_error_count(int port) const {
  return ports_.at(static_cast<std::size_t>(port)).tec;
}

std::uint32_t CanBus::receive_error_count(int port) const {
  return ports_.at(static_cast<std::size_t>(port)).rec;
}

const std::string& CanBus::port_name(int port) const {
  return ports_.at(static_cast<std::size_t>(port)).name;
}

}  // namespace bts::sim
