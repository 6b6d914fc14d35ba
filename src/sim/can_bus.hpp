#pragma once
// A modelled CAN bus: nodes attach ports, queue frames, and receive what the bus delivered.
//
// What is modelled (docs/protocols/link.md, "The modelled bus"):
//  - Timing: frames go out back to back at the bitrate; a frame occupies the bus for
//    SOF..EOF plus the 3-bit intermission, with bit stuffing counted per StuffingModel
//    (default: worst case, so a schedule that fits here fits on any bus). Delivery happens at
//    the end of EOF; the next frame can start after the intermission.
//  - Arbitration: when the bus is free, every port's oldest queued frame competes; the lowest
//    identifier wins bit by bit as on the wire (an 11-bit frame beats a 29-bit frame with the
//    same 11-bit base). Each port sends its own frames in the order queued (one-mailbox FIFO).
//  - Segments: set_segment() groups ports; a cut cable splits the bus, each segment is then an
//    independent bus with its own timing. kDisconnected takes a port off the bus.
//  - Corruption: plain random loss (set_loss_probability) and, on a segment without its
//    terminating resistor, reflections (set_terminated, unterminated_loss_probability, default
//    0.5). A corrupted frame costs its full length plus an error frame and is delivered to
//    nobody. By default the sender does not repeat it (one-shot), so the receivers see a
//    missing frame; with automatic retransmission on, it re-arbitrates as a controller would.
//  - Fault confinement: transmit and receive error counters per port (+8 per failed
//    transmission, +1 per corrupted reception, -1 per success); at 256 the port goes bus-off
//    (sends and hears nothing) and recovers after bus_off_recovery_us with counters cleared.
//    A frame nobody else can acknowledge (alone on its segment) is an ACK error.
//  - Queues: fixed capacity per port, preallocated at attach(); send() refuses when the TX
//    queue is full, a full RX queue drops the newly delivered frame (overrun), both counted.
// Deterministic: the same seed and the same calls give the same deliveries. No allocation
// after attach()/set_segment()/set_observer().
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/common/types.hpp"
#include "plant/random.hpp"

namespace bts::sim {

using firmware::CanFrame;

enum class StuffingModel : std::uint8_t {
  WorstCase,  // one stuff bit per 4 bits after the first of the stuffed region (upper bound)
  Exact,      // the real stuff bits of this frame's bit stream (CRC-15 computed)
  None,       // no stuff bits (lower bound)
};

/// Bits a data frame occupies on the bus, including the 3-bit intermission.
/// Extended: 67 + 8 * dlc nominal, stuffed region 54 + 8 * dlc bits (SOF..CRC).
/// Standard: 47 + 8 * dlc nominal, stuffed region 34 + 8 * dlc bits.
std::uint32_t can_frame_bits(const CanFrame& frame, StuffingModel stuffing);

/// can_frame_bits with StuffingModel::WorstCase: one stuff bit per 4 bits after the first of
/// SOF..CRC. Inline: every frame on the bus is timed with it.
constexpr std::uint32_t can_frame_bits_worst_case(const CanFrame& frame) {
  constexpr std::uint32_t kExtendedHeaderBits = 39;  // SOF..DLC
  constexpr std::uint32_t kStandardHeaderBits = 19;
  constexpr std::uint32_t kCrcBits = 15;
  constexpr std::uint32_t kTrailerAndIntermissionBits = 1 + 2 + 7 + 3;
  const std::uint32_t data_bits = 8u * (frame.dlc > 8 ? 8u : frame.dlc);
  const std::uint32_t stuffed_region =
      (frame.extended ? kExtendedHeaderBits : kStandardHeaderBits) + data_bits + kCrcBits;
  return stuffed_region + kTrailerAndIntermissionBits + (stuffed_region - 1) / 4;
}

/// The CAN CRC-15 (polynomial 0x4599) over the unstuffed bits SOF..data, as sent.
std::uint16_t can_crc15(const CanFrame& frame);

/// Arbitration key: lower wins. Orders frames as the identifier bits on the wire do.
std::uint32_t can_arbitration_key(const CanFrame& frame);

/// One line of candump -L style text: "(12.345678) link0 0210FF80#06A00F2A". Writes at most
/// size bytes (NUL included); returns the length it would need without the NUL.
int format_candump(char* out, std::size_t size, std::uint64_t time_us,
                   std::string_view interface_name, const CanFrame& frame);

enum class CanErrorState : std::uint8_t { Active, Passive, BusOff };

struct CanPortStats {
  std::uint64_t frames_sent = 0;      // transmitted successfully by this port
  std::uint64_t frames_received = 0;  // placed in this port's RX queue
  std::uint64_t frames_lost = 0;      // own frames dropped after a failed attempt or bus-off
  std::uint64_t tx_queue_full = 0;    // send() refused: TX queue full
  std::uint64_t tx_rejected = 0;      // send() refused: invalid frame or port off the bus
  std::uint64_t rx_overflow = 0;      // deliveries dropped: RX queue full
  std::uint64_t tx_errors = 0;        // failed transmission attempts (corrupted or no ACK)
  std::uint64_t rx_errors = 0;        // corrupted frames seen while receiving
  std::uint64_t bus_off_count = 0;
};

struct CanBusStats {
  std::uint64_t frames_transmitted = 0;  // successful frames on the wire
  std::uint64_t deliveries = 0;          // frames placed in RX queues (all ports)
  std::uint64_t frames_corrupted = 0;    // attempts destroyed by loss or reflections
  std::uint64_t ack_errors = 0;          // attempts nobody acknowledged
  std::uint64_t frames_lost = 0;         // frames that never got through (sum over ports)
  std::uint64_t tx_queue_full = 0;
  std::uint64_t rx_overflow = 0;
  std::uint64_t busy_ns = 0;  // bus time used, summed over segments
};

/// One completed attempt on the bus, for recorders (candump logs).
struct CanTraceEntry {
  std::uint64_t time_us = 0;  // end of the frame (delivery time)
  int port = 0;               // transmitter
  int segment = 0;
  CanFrame frame;
  enum class Outcome : std::uint8_t { Delivered, Corrupted, NotAcknowledged } outcome{};
};

class CanBus {
 public:
  static constexpr int kDisconnected = -1;
  static constexpr int kMaxSegments = 16;
  static constexpr std::size_t kDefaultTxCapacity = 32;
  static constexpr std::size_t kDefaultRxCapacity = 128;
  static constexpr double kDefaultUnterminatedLoss = 0.5;

  CanBus(std::string name, std::uint32_t bitrate_bps, std::uint64_t seed);

  /// A new port on segment 0, with preallocated queues. Returns its index (0, 1, ...).
  int attach(std::string node_name, std::size_t tx_capacity = kDefaultTxCapacity,
             std::size_t rx_capacity = kDefaultRxCapacity);

  /// Which segment a port is on (0..kMaxSegments-1), or kDisconnected. A port taken off the bus
  /// keeps its queues; its pending frames wait.
  void set_segment(int port, int segment);
  /// Acceptance filters of a port's CAN controller: with filters set, a frame reaches the port's
  /// RX queue only if (id & mask) == (filter_id & mask) for one of them (up to kMaxFilters).
  /// Filtering happens after the protocol layer: the port still acknowledges every frame.
  static constexpr int kMaxFilters = 4;
  bool add_acceptance_filter(int port, std::uint32_t filter_id, std::uint32_t mask);
  /// Replaces a port's filters with these (none = every frame), as a node reprograms its
  /// controller. False, changing nothing, for an unknown port or more than kMaxFilters.
  bool set_acceptance_filters(int port, std::span<const firmware::CanAcceptanceFilter> filters);
  int segment_of(int port) const;

  /// Whether a segment has its terminating resistors (default: yes). Frames on an unterminated
  /// segment are corrupted with unterminated_loss_probability.
  void set_terminated(int segment, bool terminated);
  bool terminated(int segment) const;
  void set_unterminated_loss_probability(double probability);

  /// Plain random corruption of every attempt, anywhere on the bus.
  void set_loss_probability(double probability);

  /// Off (default): one-shot, a corrupted frame is dropped. On: repeated until it gets through
  /// or the port goes bus-off.
  void set_automatic_retransmission(bool on);

  void set_stuffing_model(StuffingModel model);

  /// Time a bus-off port stays off before it rejoins (default 128 x 11 bit times).
  void set_bus_off_recovery_us(std::uint64_t recovery_us);

  /// Called for every completed attempt, in time order. Set before the run.
  void set_observer(std::function<void(const CanTraceEntry&)> observer);

  /// Queues a frame for transmission at now_us. False when the TX queue is full, the frame is
  /// invalid (dlc > 8, identifier too wide) or the port is disconnected.
  bool send(int port, const CanFrame& frame, std::uint64_t now_us);

  /// Runs the bus up to now_us: arbitration, transmissions, deliveries. An idle bus (nothing
  /// queued, nothing on the wire: most calls) only moves its clock, here without a call.
  void advance_to(std::uint64_t now_us) {
    const std::uint64_t now = std::max(now_us * 1000, now_ns_);
    if (queued_total_ == 0 && frames_in_flight_ == 0) {
      recover_bus_off(now);
      now_ns_ = now;
      return;
    }
    advance_busy_to(now);
  }

  /// Takes the oldest delivered frame. False when none.
  bool receive(int port, CanFrame& frame) { return pop_rx(port, frame, nullptr); }
  bool receive(int port, CanFrame& frame, std::uint64_t& time_us) {
    return pop_rx(port, frame, &time_us);
  }

  std::size_t tx_pending(int port) const;
  std::size_t rx_pending(int port) const {
    // Polled for every module every tick: the range check without vector::at's size division;
    // an invalid port still gets at()'s std::out_of_range.
    if (static_cast<unsigned>(port) < static_cast<unsigned>(port_count_))
      return ports_[static_cast<std::size_t>(port)].rx_count;
    return ports_.at(static_cast<std::size_t>(port)).rx_count;
  }

  const CanPortStats& port_stats(int port) const;
  const CanBusStats& stats() const { return stats_; }
  /// Busy time over elapsed time since construction or reset_statistics(), in percent;
  /// segment -1 = the busiest segment.
  double bus_load_percent(int segment = -1) const;
  void reset_statistics();

  CanErrorState error_state(int port) const;
  std::uint32_t transmit_error_count(int port) const;
  std::uint32_t receive_error_count(int port) const;

  const std::string& name() const { return name_; }
  const std::string& port_name(int port) const;
  int port_count() const { return port_count_; }
  std::uint32_t bitrate_bps() const { return bitrate_bps_; }
  std::uint64_t now_us() const { return now_ns_ / 1000; }
  /// Duration of a frame on this bus with the current stuffing model, in nanoseconds.
  std::uint64_t frame_duration_ns(const CanFrame& frame) const;

 private:
  struct TxEntry {
    CanFrame frame;
    std::uint64_t queued_ns = 0;
    std::uint32_t key = 0;
  };
  struct RxEntry {
    CanFrame frame;
    std::uint64_t time_ns = 0;
  };
  std::size_t queued_total_ = 0;  // frames waiting in every TX queue together
  int frames_in_flight_ = 0;      // segments with a frame on the wire
  /// advance_to of a bus with a frame queued or on the wire (now in ns, not before now_ns_).
  void advance_busy_to(std::uint64_t now);
  struct Port {
    // Queues: rings of fixed capacity, allocated at attach().
    std::unique_ptr<RxEntry[]> rx;
    std::size_t rx_capacity = 0;
    std::size_t rx_head = 0;
    std::size_t rx_count = 0;
    std::unique_ptr<TxEntry[]> tx;
    std::size_t tx_capacity = 0;
    std::size_t tx_head = 0;
    std::size_t tx_count = 0;
    int segment = 0;
    bool bus_off = false;
    std::uint32_t tec = 0;
    std::uint32_t rec = 0;
    std::uint64_t bus_off_until_ns = 0;
    // Acceptance filters, each kept as (filter_id & mask, mask).
    std::array<std::uint32_t, kMaxFilters> filter_masked_id{};
    std::array<std::uint32_t, kMaxFilters> filter_mask{};
    int filter_count = 0;
    bool accepts(std::uint32_t id) const {
      if (filter_count == 0) return true;
      for (int f = 0; f < filter_count; ++f) {
        const auto slot = static_cast<std::size_t>(f);
        if ((id & filter_mask[slot]) == filter_masked_id[slot]) return true;
      }
      return false;
    }
    std::string name;
    CanPortStats stats;
  };
  struct Segment {
    // The next arbitration while the segment is idle, kept between events: the earliest time a
    // head frame can start and its winner (lowest key, then lowest port). Recomputed from the
    // segment's ports when stale (a frame ended or started, a port moved or left bus-off).
    std::uint64_t next_at_ns = 0;
    int next_winner = -1;
    std::uint32_t next_key = 0;
    bool next_stale = true;
    bool terminated = true;
    double loss_probability = 0.0;  // of each attempt: the bus's, and reflections if unterminated
    bool in_flight = false;
    int tx_port = -1;
    std::uint64_t start_ns = 0;
    std::uint64_t deliver_ns = 0;  // end of EOF
    std::uint64_t free_ns = 0;     // end of the intermission (or error frame)
    bool corrupted = false;
    bool acknowledged = false;
    std::uint64_t busy_ns = 0;
  };

  // Port sets as bit masks (bit p = port p), kept for the first kMaskedPorts ports. On a bus of
  // at most that many ports (port_masks_cover_all_) arbitration and delivery walk these sets
  // instead of every port of a segment; a bigger bus takes the per-port walks.
  static constexpr int kMaskedPorts = 64;
  static std::uint64_t port_bit(int port) {
    return port < kMaskedPorts ? std::uint64_t{1} << port : 0;
  }
  /// The ports whose acceptance filters take a frame with this identifier. A function of the
  /// identifier and the filters alone (bus-off, segments and error counters are applied by the
  /// caller), so only a filter change invalidates what is kept of it.
  std::uint64_t accepting_ports(std::uint32_t id) {
    if (filtered_ports_ == 0) return unfiltered_ports_;
    for (std::size_t slot = accepting_slot(id);; slot = (slot + 1) % kAcceptingSlots) {
      const AcceptingPorts& kept = accepting_[slot];
      if (!kept.used) return unfiltered_ports_ | remember_accepting(slot, id);
      if (kept.id == id) return unfiltered_ports_ | kept.ports;
    }
  }
  static std::size_t accepting_slot(std::uint32_t id) {
    return (id * 2654435761u) >> (32 - kAcceptingSlotBits);  // Fibonacci hashing
  }
  /// Works out which filtered ports take the identifier and keeps it in the free slot found.
  std::uint64_t remember_accepting(std::size_t free_slot, std::uint32_t id);
  std::uint64_t filtered_ports_accepting(std::uint32_t id) const;
  /// Places a delivered frame in a port's RX queue (or counts the overrun).
  void deliver(Port& rx, const CanFrame& frame, std::uint64_t at_ns) {
    if (rx.rx_count == rx.rx_capacity) {
      ++rx.stats.rx_overflow;
      ++stats_.rx_overflow;
      return;
    }
    std::size_t slot = rx.rx_head + rx.rx_count;
    if (slot >= rx.rx_capacity) slot -= rx.rx_capacity;
    RxEntry& entry = rx.rx[slot];
    std::memcpy(&entry.frame, &frame, sizeof(CanFrame));
    entry.time_ns = at_ns;
    ++rx.rx_count;
    ++rx.stats.frames_received;
    ++stats_.deliveries;
  }
  /// A received frame's effect on the receiver's error counter (a successful reception).
  void count_good_reception(int port_index, Port& rx) {
    rx.rec = rx.rec > 127 ? 120 : rx.rec - 1;
    if (rx.rec == 0) receive_error_ports_ &= ~port_bit(port_index);
  }

  bool port_on_bus(const Port& port, std::uint64_t at_ns) const;
  void recover_bus_off(std::uint64_t at_ns) {
    if (bus_off_ports_ != 0) recover_bus_off_ports(at_ns);
  }
  void recover_bus_off_ports(std::uint64_t at_ns);
  /// Ports on a segment that are on the bus (and so acknowledge a frame) at at_ns.
  int listeners(int segment, std::uint64_t at_ns) const {
    if (bus_off_ports_ == 0)
      return static_cast<int>(segment_ports_[static_cast<std::size_t>(segment)].size());
    return listeners_counted(segment, at_ns);
  }
  int listeners_counted(int segment, std::uint64_t at_ns) const;
  std::uint32_t frame_bits(const CanFrame& frame) const {
    return stuffing_ == StuffingModel::WorstCase ? can_frame_bits_worst_case(frame)
                                                 : can_frame_bits(frame, stuffing_);
  }
  // start, complete and arbitrate run for every frame, from advance_to's loops only: inlined
  // there (their calls cost about 55 instructions per frame).
  /// Puts the winner's oldest frame on an idle segment at at_ns (its arbitration).
  [[gnu::always_inline]] inline void start(int segment, std::uint64_t at_ns, int winner);
  [[gnu::always_inline]] inline void complete(int segment);
  /// Takes the oldest delivered frame of a port (and its time when time_us is given). Here in the
  /// header: every node polls its ports every tick, mostly finding them empty.
  bool pop_rx(int port_index, CanFrame& frame, std::uint64_t* time_us) {
    // One unsigned comparison also refuses a negative index.
    if (static_cast<unsigned>(port_index) >= static_cast<unsigned>(port_count_)) return false;
    Port& port = ports_[static_cast<std::size_t>(port_index)];
    if (port.rx_count == 0) return false;
    const RxEntry& entry = port.rx[port.rx_head];
    std::memcpy(&frame, &entry.frame, sizeof(CanFrame));
    if (time_us != nullptr) *time_us = entry.time_ns / 1000;
    --port.rx_count;
    // An emptied queue starts again at its first slot, so the few slots in use stay in the
    // cache instead of the deliveries walking the whole ring (same frames, same order).
    port.rx_head =
        port.rx_count == 0 || port.rx_head + 1 == port.rx_capacity ? 0 : port.rx_head + 1;
    return true;
  }
  /// The next arbitration of a segment (its earliest start and winner) from its ports' heads.
  [[gnu::always_inline]] inline void arbitrate(int segment);
  /// The same by comparing every head's earliest start (the general case, out of line).
  [[gnu::noinline]] void arbitrate_by_scan(int segment);
  /// Offers a port's new head frame to its segment's kept arbitration.
  void offer(int port_index);
  void transmit_error(int port_index, Port& port, std::uint64_t at_ns);
  std::uint64_t bits_to_ns(std::uint64_t bits) const;
  /// Each segment's loss_probability from the bus's and its termination.
  void update_segment_loss();

  std::string name_;
  std::uint32_t bitrate_bps_;
  // bits_to_ns for every length a frame or an error can have (the division, done once each).
  static constexpr std::size_t kBitTimes = 256;
  std::array<std::uint64_t, kBitTimes> bit_times_ns_;
  plant::Rng rng_;
  std::vector<Port> ports_;
  int port_count_ = 0;
  // Each port's oldest queued frame as arbitration sees it (valid while the port has one),
  // side by side for the arbitration's walk over the ports.
  struct HeadFrame {
    std::uint64_t queued_ns = 0;
    std::uint64_t rank = 0;  // key << 32 | port: the arbitration order of heads ready together
    std::uint32_t key() const { return static_cast<std::uint32_t>(rank >> 32); }
  };
  static HeadFrame head_frame(const TxEntry& entry, int port) {
    return {entry.queued_ns, (std::uint64_t{entry.key} << 32) | static_cast<std::uint32_t>(port)};
  }
  std::vector<HeadFrame> heads_;
  std::vector<Segment> segments_;
  double loss_probability_ = 0.0;
  double unterminated_loss_probability_ = kDefaultUnterminatedLoss;
  bool retransmit_ = false;
  StuffingModel stuffing_ = StuffingModel::WorstCase;
  std::uint64_t bus_off_recovery_ns_;
  std::function<void(const CanTraceEntry&)> observer_;
  std::uint64_t now_ns_ = 0;
  std::uint64_t stats_start_ns_ = 0;
  int bus_off_ports_ = 0;
  int segments_used_ = 1;  // segments 0..segments_used_-1 may carry traffic
  std::array<std::vector<int>, kMaxSegments> segment_ports_;  // ports on each segment, in order
  // The same sets as masks, and the ports with a frame queued, bus-off, or a receive error
  // count above zero.
  bool port_masks_cover_all_ = true;  // no more than kMaskedPorts ports
  std::array<std::uint64_t, kMaxSegments> segment_port_mask_{};
  std::uint64_t tx_pending_ports_ = 0;
  std::uint64_t bus_off_port_mask_ = 0;
  std::uint64_t receive_error_ports_ = 0;
  // Ports without filters take every frame; which of the others take an identifier is kept in
  // an open-addressed table (linear probing), emptied whenever a filter is added and when it is
  // three quarters full (so a probe always ends at a free slot).
  std::uint64_t unfiltered_ports_ = 0;
  std::uint64_t filtered_ports_ = 0;
  struct AcceptingPorts {
    std::uint32_t id = 0;
    bool used = false;
    std::uint64_t ports = 0;
  };
  static constexpr int kAcceptingSlotBits = 8;
  static constexpr std::size_t kAcceptingSlots = std::size_t{1} << kAcceptingSlotBits;
  std::array<AcceptingPorts, kAcceptingSlots> accepting_{};
  std::size_t accepting_used_ = 0;
  void forget_accepting() {
    accepting_.fill(AcceptingPorts{});
    accepting_used_ = 0;
  }
  CanBusStats stats_;
};

}  // namespace bts::sim
