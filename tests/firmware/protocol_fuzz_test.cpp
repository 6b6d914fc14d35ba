// Deterministic fuzzing of every protocol decoder the firmware exposes to a bus: Pylon HV (inverter
// commands, the poll, battery answers), Sofar (inquiries, replies, cyclic frames), the Link bus
// and the BDU network. Each target feeds seeded random frames and mutations of valid frames
// (bit flips, byte changes, dlc and id changes) to the decoders and checks that
//   - a refused frame leaves the destination unchanged,
//   - an accepted frame has every field inside its documented range,
//   - encode(decode(x)) decodes to the same value and repeats x's identifier and used bytes,
//   - bytes past the dlc never change the result.
// Crashes and out-of-bounds reads are caught by the sanitizer build, which runs these as ordinary
// tests. BTS_FUZZ_ITERATIONS sets the frames per target (default kDefaultIterations).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"
#include "firmware/link/bdu_network_protocol.hpp"
#include "firmware/link/link_protocol.hpp"
#include "fuzz_iterations.hpp"

namespace bts::firmware {
namespace {

constexpr std::uint64_t kDefaultIterations = 200'000;

std::uint64_t iterations() { return testing::fuzz_iterations(kDefaultIterations); }

/// Random frames and mutations of seed frames, from a fixed seed.
class FrameSource {
 public:
  FrameSource(std::uint64_t seed, std::vector<CanFrame> seeds)
      : rng_(seed), seeds_(std::move(seeds)) {}

  std::mt19937_64& rng() { return rng_; }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  std::uint8_t byte() { return static_cast<std::uint8_t>(rng_()); }

  CanFrame next() {
    if (seeds_.empty() || below(8) == 0) return random_frame();
    CanFrame frame = seeds_[below(static_cast<std::uint32_t>(seeds_.size()))];
    const std::uint32_t mutations = below(4);  // 0: the valid frame itself
    for (std::uint32_t m = 0; m < mutations; ++m) mutate(frame);
    return frame;
  }

 private:
  CanFrame random_frame() {
    CanFrame frame;
    switch (below(3)) {
      case 0:
        frame.id = static_cast<std::uint32_t>(rng_()) & 0x1FFFFFFFu;
        break;
      case 1:
        frame.id = static_cast<std::uint32_t>(rng_()) & 0xFFFFu;
        break;
      default:
        frame.id = static_cast<std::uint32_t>(rng_());  // also ids beyond 29 bits
        break;
    }
    frame.extended = below(8) != 0;
    frame.dlc = static_cast<std::uint8_t>(below(10) == 0 ? below(256) : below(9));
    for (auto& b : frame.data) b = byte();
    return frame;
  }

  void mutate(CanFrame& frame) {
    switch (below(9)) {
      case 0:
      case 1:
        frame.data[below(8)] ^= static_cast<std::uint8_t>(1u << below(8));
        break;
      case 2:
        frame.data[below(8)] = byte();
        break;
      case 3:
        frame.data[below(8)] = below(2) == 0 ? 0x00 : 0xFF;
        break;
      case 4:
        frame.dlc = static_cast<std::uint8_t>(below(4) == 0 ? below(256) : below(9));
        break;
      case 5:
        frame.extended = !frame.extended;
        break;
      case 6:
        frame.id ^= 1u << below(32);
        break;
      case 7:
        frame.id = (frame.id & ~0xFu) | below(16);
        break;
      default:
        frame.id = seeds_[below(static_cast<std::uint32_t>(seeds_.size()))].id;
        break;
    }
  }

  std::mt19937_64 rng_;
  std::vector<CanFrame> seeds_;
};

std::string describe(std::uint64_t index, const CanFrame& frame) {
  char text[160];
  std::snprintf(text, sizeof text,
                "frame %llu: id 0x%X ext %d dlc %u data %02X %02X %02X %02X %02X %02X %02X %02X",
                static_cast<unsigned long long>(index), static_cast<unsigned>(frame.id),
                frame.extended ? 1 : 0, static_cast<unsigned>(frame.dlc), frame.data[0],
                frame.data[1], frame.data[2], frame.data[3], frame.data[4], frame.data[5],
                frame.data[6], frame.data[7]);
  return text;
}

/// The frame with every byte past its dlc changed (what a decoder must not look at).
CanFrame poison_past_dlc(CanFrame frame) {
  for (std::size_t i = frame.dlc; i < frame.data.size(); ++i) {
    frame.data[i] = static_cast<std::uint8_t>(~frame.data[i]);
  }
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Link bus and BDU network: one generic check per message type

template <typename Message, typename Signals>
void check_link_message(const CanFrame& frame, const Message& sentinel, Signals signals_of,
                        std::uint64_t& accepted) {
  Message m = sentinel;
  if (!m.decode(frame)) {
    ASSERT_TRUE(m == sentinel) << "refused frame changed the message";
    return;
  }
  ++accepted;
  // Every signal within its range in the accepted frame.
  const CanPayload in(frame);
  for (const CanSignal& s : signals_of(m)) {
    const std::int64_t raw = in.get_raw(s);
    ASSERT_GE(raw, s.raw_min) << s.name;
    ASSERT_LE(raw, s.raw_max) << s.name;
  }
  // encode(decode(x)): same id, dlc and signal bits; decodes to the same message.
  const CanFrame out = m.encode();
  ASSERT_EQ(out.id, frame.id);
  ASSERT_EQ(out.dlc, frame.dlc);
  ASSERT_TRUE(out.extended);
  const CanPayload again(out);
  for (const CanSignal& s : signals_of(m)) {
    ASSERT_EQ(again.get_raw(s), in.get_raw(s)) << s.name;
  }
  Message m2 = sentinel;
  ASSERT_TRUE(m2.decode(out));
  ASSERT_TRUE(m2 == m);
  Message m3 = sentinel;
  ASSERT_TRUE(m3.decode(poison_past_dlc(frame)));
  ASSERT_TRUE(m3 == m);
}

template <typename Message>
auto fixed_signals() {
  return [](const Message&) { return std::span<const CanSignal>(Message::kSignals); };
}

std::vector<CanFrame> link_seeds(std::mt19937_64& rng) {
  using namespace link;
  std::vector<CanFrame> seeds;
  const auto r = [&rng](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  for (int k = 0; k < 8; ++k) {
    const auto module = static_cast<std::uint8_t>(1 + r(4));
    BduCommand command;
    command.mode = static_cast<RequestedMode>(r(3));
    command.allow_balancing = r(2) != 0;
    command.bus_voltage_reference_dV = static_cast<std::int32_t>(r(5001));
    command.counter = static_cast<std::uint8_t>(r(256));
    seeds.push_back(command.encode());
    BduShare share;
    share.module_address = module;
    share.current_offset_mA = static_cast<std::int32_t>(r(20001)) - 10000;
    share.discharge_limit_mA = static_cast<std::int32_t>(r(10001));
    share.charge_limit_mA = static_cast<std::int32_t>(r(10001));
    seeds.push_back(share.encode());
    InfoRequest info;
    info.destination = r(2) == 0 ? module : kAddressBroadcast;
    seeds.push_back(info.encode());
    AddressRequest request;
    request.next_address = static_cast<std::uint8_t>(r(5));
    request.restart = r(2) != 0;
    seeds.push_back(request.encode());
    AddressClaim claim;
    claim.serial_number = static_cast<std::uint32_t>(rng());
    seeds.push_back(claim.encode());
    AddressAssign assign;
    assign.serial_number = static_cast<std::uint32_t>(rng());
    assign.address = module;
    seeds.push_back(assign.encode());
    ModuleStatus status;
    status.module_address = module;
    status.state = static_cast<ModuleState>(r(6));
    status.codes = CodeSet::from_bits(static_cast<std::uint32_t>(rng()));
    seeds.push_back(status.encode());
    ModuleMeasurements measurements;
    measurements.module_address = module;
    measurements.stack_voltage_mV = static_cast<std::int32_t>(r(65536));
    measurements.current_mA = (static_cast<std::int32_t>(r(65535)) - 32767) * 10;
    measurements.bus_voltage_dV = static_cast<std::int32_t>(r(6001));
    measurements.soc_permille = static_cast<std::int32_t>(r(1001));
    seeds.push_back(measurements.encode());
    ModuleExtremes extremes;
    extremes.module_address = module;
    extremes.min_cell_mV = static_cast<std::int32_t>(r(8192));
    extremes.max_cell_index = static_cast<std::uint8_t>(r(16));
    extremes.min_temperature_ddegC = static_cast<std::int16_t>(static_cast<int>(r(2048)) - 400);
    extremes.max_temperature_index = static_cast<std::uint8_t>(r(8));
    seeds.push_back(extremes.encode());
    CellVoltages cells;
    cells.module_address = module;
    cells.index = static_cast<std::uint8_t>(r(4));
    for (auto& c : cells.cell_mV) c = static_cast<std::uint16_t>(r(65536));
    seeds.push_back(cells.encode());
    CellTemperatures temps;
    temps.module_address = module;
    temps.index = static_cast<std::uint8_t>(r(2));
    for (auto& t : temps.temperature_ddegC) t = static_cast<std::int16_t>(r(65536));
    seeds.push_back(temps.encode());
    ModuleTemperatures module_temps;
    module_temps.module_address = module;
    module_temps.pcu_ddegC = static_cast<std::int16_t>(r(65536));
    seeds.push_back(module_temps.encode());
    ModuleInfo module_info;
    module_info.module_address = module;
    module_info.serial_number = static_cast<std::uint32_t>(rng());
    seeds.push_back(module_info.encode());

    const auto bdu = r(2) == 0 ? bdu_network::kAddressBdu1 : bdu_network::kAddressBdu2;
    bdu_network::PeerStatus peer_status;
    peer_status.source = bdu;
    peer_status.state = static_cast<bdu_network::BduState>(r(9));
    peer_status.codes = CodeSet::from_bits(static_cast<std::uint32_t>(rng()));
    peer_status.soc_permille = static_cast<std::int32_t>(r(1001));
    seeds.push_back(peer_status.encode());
    bdu_network::PeerLimits peer_limits;
    peer_limits.source = bdu;
    peer_limits.charge_current_limit_dA = static_cast<std::int32_t>(r(1001));
    peer_limits.discharge_voltage_limit_dV = static_cast<std::int32_t>(r(6001));
    seeds.push_back(peer_limits.encode());
    bdu_network::PeerMeasurements peer_measurements;
    peer_measurements.source = bdu;
    peer_measurements.output_current_dA = static_cast<std::int32_t>(r(2001)) - 1000;
    peer_measurements.max_cell_mV = static_cast<std::int32_t>(r(65536));
    seeds.push_back(peer_measurements.encode());
    bdu_network::PeerInfo peer_info;
    peer_info.source = bdu;
    peer_info.module_count = static_cast<std::uint8_t>(r(5));
    seeds.push_back(peer_info.encode());
  }
  return seeds;
}

TEST(ProtocolFuzz, LinkBusAndBduNetworkDecoders) {
  using namespace link;
  std::mt19937_64 seed_rng(0x11A7B05);
  FrameSource source(0x5EED0001, link_seeds(seed_rng));
  const auto cell_voltage_signals = [](const CellVoltages& m) {
    return std::span<const CanSignal>(CellVoltages::kSignals[m.index]);
  };
  const auto cell_temperature_signals = [](const CellTemperatures& m) {
    return std::span<const CanSignal>(CellTemperatures::kSignals[m.index]);
  };
  // Sentinels with unusual values so that a partial write on refusal shows.
  BduCommand command;
  command.counter = 77;
  BduShare share;
  share.counter = 77;
  InfoRequest info;
  info.destination = 0x42;
  AddressRequest request;
  request.next_address = 77;
  AddressClaim claim;
  claim.serial_number = 77;
  AddressAssign assign;
  assign.address = 77;
  ModuleStatus status;
  status.counter = 77;
  ModuleMeasurements measurements;
  measurements.soc_permille = 7777;
  ModuleExtremes extremes;
  extremes.min_cell_index = 77;
  CellVoltages cells;
  cells.index = 77;
  CellTemperatures temps;
  temps.index = 77;
  ModuleTemperatures module_temps;
  module_temps.module_address = 77;
  ModuleInfo module_info;
  module_info.module_address = 77;
  bdu_network::PeerStatus peer_status;
  peer_status.source = 77;
  bdu_network::PeerLimits peer_limits;
  peer_limits.source = 77;
  bdu_network::PeerMeasurements peer_measurements;
  peer_measurements.source = 77;
  bdu_network::PeerInfo peer_info;
  peer_info.source = 77;

  std::uint64_t accepted = 0;
  const std::uint64_t n = iterations();
  for (std::uint64_t i = 0; i < n; ++i) {
    const CanFrame frame = source.next();
    check_link_message(frame, command, fixed_signals<BduCommand>(), accepted);
    check_link_message(frame, share, fixed_signals<BduShare>(), accepted);
    check_link_message(frame, info, fixed_signals<InfoRequest>(), accepted);
    check_link_message(frame, request, fixed_signals<AddressRequest>(), accepted);
    check_link_message(frame, claim, fixed_signals<AddressClaim>(), accepted);
    check_link_message(frame, assign, fixed_signals<AddressAssign>(), accepted);
    check_link_message(frame, status, fixed_signals<ModuleStatus>(), accepted);
    check_link_message(frame, measurements, fixed_signals<ModuleMeasurements>(), accepted);
    check_link_message(frame, extremes, fixed_signals<ModuleExtremes>(), accepted);
    check_link_message(frame, cells, cell_voltage_signals, accepted);
    check_link_message(frame, temps, cell_temperature_signals, accepted);
    check_link_message(frame, module_temps, fixed_signals<ModuleTemperatures>(), accepted);
    check_link_message(frame, module_info, fixed_signals<ModuleInfo>(), accepted);
    check_link_message(frame, peer_status, fixed_signals<bdu_network::PeerStatus>(), accepted);
    check_link_message(frame, peer_limits, fixed_signals<bdu_network::PeerLimits>(), accepted);
    check_link_message(frame, peer_measurements, fixed_signals<bdu_network::PeerMeasurements>(),
                       accepted);
    check_link_message(frame, peer_info, fixed_signals<bdu_network::PeerInfo>(), accepted);
    if (HasFatalFailure()) {
      ADD_FAILURE() << describe(i, frame);
      return;
    }
    // The peek helpers agree with the decoders' view of the identifier.
    LinkId id;
    if (peek_id(frame, id)) {
      ASSERT_EQ(encode_id(id), frame.id);
    }
  }
  std::printf("[   FUZZ   ] Link/BDU network: %llu frames, %llu accepted\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(accepted));
  // The mutations must exercise the accepting paths, not only refusals.
  EXPECT_GT(accepted, n / 8);
}

// ---------------------------------------------------------------------------------------------
// Pylon HV

std::vector<CanFrame> pylon_seeds(std::mt19937_64& rng) {
  using namespace pylon_hv;
  std::vector<CanFrame> seeds;
  for (int k = 0; k < 16; ++k) {
    InverterCommand c;
    c.kind = static_cast<InverterCommand::Kind>(rng() % 4);
    c.address = static_cast<std::uint8_t>(rng() % 16);
    c.poll = static_cast<PollRequest>(rng() % 3);
    c.sleep = rng() % 2 == 0 ? SleepCommand::Sleep : SleepCommand::Wake;
    c.charge_command = rng() % 2 == 0;
    c.discharge_command = rng() % 2 == 0;
    if (c.kind == InverterCommand::Kind::Poll)
      c = InverterCommand{InverterCommand::Kind::Poll, 0, c.poll};
    seeds.push_back(encode_command(c));
    seeds.push_back(encode_keep_relay_reply(c.address, rng() % 2 == 0));
    for (int kind = 0; kind < 4; ++kind) {  // every command kind, for weight among the answers
      InverterCommand each = c;
      each.kind = static_cast<InverterCommand::Kind>(kind);
      if (each.kind == InverterCommand::Kind::Poll) each.address = 0;
      seeds.push_back(encode_command(each));
    }
    BatteryValues v;
    v.voltage_dV = static_cast<std::int32_t>(rng() % 6000);
    v.current_dA = static_cast<std::int32_t>(rng() % 2000) - 1000;
    v.bms_temperature_ddegC = static_cast<std::int16_t>(rng() % 900) - 200;
    v.soc_permille = static_cast<std::int32_t>(rng() % 1001);
    v.charge_current_limit_dA = static_cast<std::int32_t>(rng() % 1000);
    v.discharge_current_limit_dA = static_cast<std::int32_t>(rng() % 1000);
    v.status = static_cast<BasicStatus>(rng() % 4);
    v.codes = CodeSet::from_bits(static_cast<std::uint32_t>(rng()));
    v.charge_forbidden = rng() % 2 == 0;
    v.min_cell_temperature_ddegC = static_cast<std::int16_t>(rng() % 900) - 300;
    const PylonDialect& d = k % 2 == 0 ? kSpecDialect : kBatteryEmulatorDialect;
    for (std::size_t f = 0; f < kFrameKinds; ++f) {
      seeds.push_back(encode_frame(static_cast<Frame>(f), v, c.address, d));
    }
  }
  return seeds;
}

TEST(ProtocolFuzz, PylonHvDecoders) {
  using namespace pylon_hv;
  std::mt19937_64 seed_rng(0x9170A);
  FrameSource source(0x5EED0002, pylon_seeds(seed_rng));
  const std::array<PylonDialect, 6> dialects{
      kSpecDialect,     kSofarHydDialect, kBatteryEmulatorDialect,
      kFerroampDialect, kSolxpowDialect,  kDeyeDialect};
  InverterCommand sentinel;
  sentinel.kind = InverterCommand::Kind::Relay;
  sentinel.address = 99;
  std::uint64_t commands = 0;
  std::uint64_t answers = 0;
  std::array<CanFrame, kMaxResponseFrames> out{};
  const std::uint64_t n = iterations();
  const auto check = [&](const CanFrame& frame) {
    // Inverter commands and the poll.
    InverterCommand c = sentinel;
    if (decode_command(frame, c)) {
      ++commands;
      ASSERT_LE(c.address, kMaxAddress);
      ASSERT_LE(static_cast<int>(c.poll), 2);
      const CanFrame again = encode_command(c);
      ASSERT_EQ(again.id, frame.id);
      InverterCommand c2;
      ASSERT_TRUE(decode_command(again, c2));
      ASSERT_EQ(c2, c);
      if (c.kind == InverterCommand::Kind::Poll) {
        ASSERT_EQ(again.data[0], frame.data[0]);
      }
      // Whatever the command, the response fits and decodes.
      BatteryValues v;
      v.soc_permille = static_cast<std::int32_t>(source.below(1200));
      v.codes = CodeSet::from_bits(static_cast<std::uint32_t>(source.rng()()));
      const PylonDialect& d = dialects[source.below(dialects.size())];
      const std::size_t room = source.below(kMaxResponseFrames + 1);
      const std::size_t count = encode_response(c, v, c.address, d, source.below(2) == 0,
                                                std::span<CanFrame>(out).first(room));
      ASSERT_LE(count, room);
      for (std::size_t k = 0; k < count; ++k) {
        BatteryReport report;
        std::uint8_t address = 0;
        bool accepted = false;
        ASSERT_TRUE(decode_frame(out[k], d, report) ||
                    decode_keep_relay_reply(out[k], address, accepted));
      }
    } else {
      ASSERT_EQ(c, sentinel);
    }

    std::uint8_t address = 77;
    bool accepted = true;
    if (decode_keep_relay_reply(frame, address, accepted)) {
      ASSERT_LE(address, kMaxAddress);
      const CanFrame again = encode_keep_relay_reply(address, accepted);
      ASSERT_EQ(again.id, frame.id);
      ASSERT_EQ(again.data[0], frame.data[0]);
    } else {
      ASSERT_EQ(address, 77);
      ASSERT_TRUE(accepted);
    }

    // Battery answers under every dialect.
    for (const PylonDialect& d : dialects) {
      BatteryReport report;
      report.values.voltage_dV = -7;  // sentinel
      if (!decode_frame(frame, d, report)) {
        ASSERT_EQ(report.values.voltage_dV, -7);
        ASSERT_EQ(report.frames_seen, 0u);
        continue;
      }
      ++answers;
      const BatteryValues& v = report.values;
      ASSERT_GE(v.soc_permille, 0);
      ASSERT_LE(v.soc_permille, 1000);
      ASSERT_GE(v.soh_permille, 0);
      ASSERT_LE(v.soh_permille, 1000);
      ASSERT_GE(v.charge_current_limit_dA, 0);
      ASSERT_GE(v.discharge_current_limit_dA, 0);
      ASSERT_LE(static_cast<int>(v.status), 3);
      ASSERT_EQ(report.bits.alarms & ~bit::kAlarmMask, 0);
      ASSERT_EQ(report.bits.protections & ~bit::kAlarmMask, 0);
      ASSERT_EQ(report.bits.fault_extension & ~bit::kFaultExtensionMask, 0);
      ASSERT_EQ(v.codes, codes_for(report.bits));
      ASSERT_LE(report.address, kMaxAddress);
      // Re-encode the frame's kind from the decoded values and decode again.
      const auto parts = split_id(frame.id);
      ASSERT_TRUE(parts);
      Frame kind = Frame::Totals;
      for (std::size_t f = 0; f < kFrameKinds; ++f) {
        if (base_of(static_cast<Frame>(f)) == parts->first) kind = static_cast<Frame>(f);
      }
      const CanFrame again = encode_frame(kind, v, report.address, d);
      ASSERT_EQ(again.id, frame.id);
      BatteryReport report2 = report;
      ASSERT_TRUE(decode_frame(again, d, report2));
      BatteryValues a = report.values;
      BatteryValues b = report2.values;
      a.codes = b.codes = CodeSet{};
      ASSERT_EQ(a, b);
      const bool exact =
          kind == Frame::Totals || kind == Frame::Limits || kind == Frame::CellVoltageExtremes ||
          kind == Frame::CellTemperatureExtremes || kind == Frame::ModuleVoltageExtremes ||
          kind == Frame::ModuleTemperatureExtremes || kind == Frame::Topology;
      if (exact) {
        ASSERT_EQ(again, frame);
      }
    }
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    const CanFrame frame = source.next();
    check(frame);
    if (HasFatalFailure()) {
      ADD_FAILURE() << describe(i, frame);
      return;
    }
  }
  std::printf("[   FUZZ   ] Pylon HV: %llu frames, %llu commands and %llu answers accepted\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(commands),
              static_cast<unsigned long long>(answers));
  EXPECT_GT(commands, n / 100);
  EXPECT_GT(answers, n / 4);
}

// ---------------------------------------------------------------------------------------------
// Sofar

std::vector<CanFrame> sofar_seeds(std::mt19937_64& rng) {
  using namespace sofar;
  std::vector<CanFrame> seeds;
  for (int k = 0; k < 16; ++k) {
    const auto battery = static_cast<std::uint8_t>(rng() % 2);
    Inquiry inquiry;
    inquiry.battery_id = battery;
    inquiry.history = rng() % 3 == 0;
    inquiry.what = static_cast<std::uint8_t>(inquiry.history ? rng() % 10 : rng() % 16);
    inquiry.module = static_cast<std::uint8_t>(rng() % 5);
    inquiry.record = static_cast<std::uint8_t>(rng());
    seeds.push_back(encode_inquiry(inquiry));
    seeds.push_back(
        encode_limits(battery, {static_cast<std::int32_t>(rng() % 5000), 280, 280, 3500}));
    seeds.push_back(encode_soc_soh(battery, {static_cast<std::int32_t>(rng() % 101), 100}));
    seeds.push_back(
        encode_measurements(battery, {4000, static_cast<std::int32_t>(rng() % 600) - 300, 250}));
    seeds.push_back(encode_alarms(battery, static_cast<std::uint32_t>(rng())));
    seeds.push_back(encode_enable(battery, {0, rng() % 2 == 0, rng() % 2 == 0}));
    InquiryReply reply;
    reply.kind = static_cast<ReplyKind>(rng() % 8);
    reply.battery_id = battery;
    reply.index = static_cast<std::uint8_t>(rng() % 9);
    reply.soc_percent = static_cast<std::uint8_t>(rng() % 101);
    reply.max_number = static_cast<std::uint8_t>(rng() % 33);
    reply.cell_mV[0] = static_cast<std::uint16_t>(rng());
    seeds.push_back(encode_inquiry_reply(reply));
  }
  return seeds;
}

TEST(ProtocolFuzz, SofarDecoders) {
  using namespace sofar;
  std::mt19937_64 seed_rng(0x50FA);
  FrameSource source(0x5EED0003, sofar_seeds(seed_rng));
  std::array<std::uint16_t, 20> cells{};
  std::array<std::int16_t, 10> temps{};
  std::array<ModuleData, 3> modules{};
  std::array<CanFrame, kMaxReplyFrames> out{};
  const Inquiry sentinel{99, 99, 99, true, 99};
  std::uint64_t inquiries = 0;
  std::uint64_t replies = 0;
  const std::uint64_t n = iterations();
  const auto check = [&](const CanFrame& frame) {
    Inquiry inquiry = sentinel;
    if (decode_inquiry(frame, inquiry)) {
      ++inquiries;
      ASSERT_LE(inquiry.battery_id, kMaxBatteryId);
      const CanFrame again = encode_inquiry(inquiry);
      ASSERT_EQ(again.id, frame.id);
      const std::size_t used = inquiry.history ? 4 : 3;
      for (std::size_t b = 0; b < used; ++b) ASSERT_EQ(again.data[b], frame.data[b]);
      Inquiry i2;
      ASSERT_TRUE(decode_inquiry(again, i2));
      ASSERT_EQ(i2, inquiry);
      Inquiry i3;
      ASSERT_TRUE(decode_inquiry(poison_past_dlc(frame), i3));
      ASSERT_EQ(i3, inquiry);
      // The replies fit the room given and decode as replies of this battery and module.
      for (auto& c : cells) c = static_cast<std::uint16_t>(source.rng()());
      for (auto& t : temps) t = static_cast<std::int16_t>(source.rng()());
      for (auto& m : modules) {
        m.cell_mV = std::span<const std::uint16_t>(cells).first(source.below(cells.size() + 1));
        m.temperature_ddegC =
            std::span<const std::int16_t>(temps).first(source.below(temps.size() + 1));
        m.soc_permille = static_cast<std::int32_t>(source.below(3000)) - 1000;
        m.stack_voltage_mV = static_cast<std::int32_t>(source.rng()());
        m.serial = std::string_view("SERIAL-NUMBER-THAT-IS-LONG").substr(source.below(27));
      }
      const std::size_t room = source.below(kMaxReplyFrames + 1);
      const auto battery =
          static_cast<std::uint8_t>(source.below(2) == 0 ? inquiry.battery_id : source.below(16));
      const std::size_t count = encode_inquiry_replies(
          battery, inquiry, std::span<const ModuleData>(modules).first(source.below(4)),
          std::span<CanFrame>(out).first(room));
      ASSERT_LE(count, room);
      for (std::size_t k = 0; k < count; ++k) {
        InquiryReply r;
        ASSERT_TRUE(decode_inquiry_reply(out[k], r));
        ASSERT_EQ(r.battery_id, battery);
        ASSERT_EQ(r.module, inquiry.module);
      }
    } else {
      ASSERT_EQ(inquiry, sentinel);
    }

    InquiryReply reply;
    reply.module = 99;
    if (decode_inquiry_reply(frame, reply)) {
      ++replies;
      ASSERT_LE(reply.battery_id, kMaxBatteryId);
      ASSERT_LE(reply.soc_percent, 100);
      const CanFrame again = encode_inquiry_reply(reply);
      ASSERT_EQ(again.id, frame.id);
      ASSERT_EQ(again.data[0], frame.data[0]);
      InquiryReply r2;
      ASSERT_TRUE(decode_inquiry_reply(again, r2));
      ASSERT_EQ(r2, reply);
    } else {
      ASSERT_EQ(reply.module, 99);
    }

    Enable enable{42, true, false};
    if (decode_enable(frame, enable)) {
      const CanFrame again = encode_enable(split_id(frame.id)->second, enable);
      ASSERT_EQ(again.id, frame.id);
      ASSERT_EQ(again.data[0], frame.data[0]);
      ASSERT_EQ(again.data[1], frame.data[1] & 0x03);
    } else {
      ASSERT_EQ(enable, (Enable{42, true, false}));
    }

    std::uint32_t bits = 0xDEAD;
    if (decode_alarms(frame, bits)) {
      ASSERT_EQ(bits >> kCodeCount, 0u);
      const CanFrame again = encode_alarms(split_id(frame.id)->second, bits);
      for (std::size_t b = 0; b < 4; ++b) ASSERT_EQ(again.data[b], frame.data[b]);
    } else {
      ASSERT_EQ(bits, 0xDEADu);
    }

    Limits limits{-1, -1, -1, -1};
    if (decode_limits(frame, limits)) {
      ASSERT_EQ(encode_limits(split_id(frame.id)->second, limits), frame);
    } else {
      ASSERT_EQ(limits.charge_voltage_limit_dV, -1);
    }
    SocSoh soc{-1, -1};
    if (decode_soc_soh(frame, soc)) {
      const CanFrame again = encode_soc_soh(split_id(frame.id)->second, soc);
      for (std::size_t b = 0; b < 4; ++b) ASSERT_EQ(again.data[b], frame.data[b]);
    } else {
      ASSERT_EQ(soc.soc_percent, -1);
    }
    Measurements measured{-1, -1, -1};
    if (decode_measurements(frame, measured)) {
      const CanFrame again = encode_measurements(split_id(frame.id)->second, measured);
      for (std::size_t b = 0; b < 6; ++b) ASSERT_EQ(again.data[b], frame.data[b]);
    } else {
      ASSERT_EQ(measured.voltage_dV, -1);
    }
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    const CanFrame frame = source.next();
    check(frame);
    if (HasFatalFailure()) {
      ADD_FAILURE() << describe(i, frame);
      return;
    }
  }
  std::printf("[   FUZZ   ] Sofar: %llu frames, %llu inquiries and %llu replies accepted\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(inquiries),
              static_cast<unsigned long long>(replies));
  EXPECT_GT(inquiries, n / 50);
  EXPECT_GT(replies, n / 50);
}

}  // namespace
}  // namespace bts::firmware
