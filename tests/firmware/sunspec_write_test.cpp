// Writes to the SunSpec map: refused unless enabled, then only the 802 control points with their
// ranges, all of a multi-register write or nothing; accepted writes become control requests.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "firmware/inverter/sunspec_map.hpp"
#include "sunspec_test_values.hpp"

namespace bts::firmware::sunspec {
namespace {

SunSpecValues writable_e40() {
  SunSpecValues values = testing::example_e40();
  values.writes_enabled = true;
  return values;
}

// 802 of BDU 1 starts after the marker and model 1: 40000 + 2 + 68.
constexpr std::uint32_t kBattery1 = 40070;
constexpr std::uint32_t kCtrlHb1 = kBattery1 + 19;
constexpr std::uint32_t kAlmRst1 = kBattery1 + 20;
constexpr std::uint32_t kSetOp1 = kBattery1 + 50;
constexpr std::uint32_t kSetInvState1 = kBattery1 + 51;

MapStatus write(const SunSpecValues& values, std::uint32_t address,
                std::vector<std::uint16_t> registers, ControlRequests& requests) {
  return check_write(values, address, registers, requests);
}

TEST(SunSpecWrite, RefusedWhileWritesAreDisabled) {
  SunSpecValues values = writable_e40();
  values.writes_enabled = false;
  ControlRequests requests;
  EXPECT_EQ(write(values, kAlmRst1, {1}, requests), MapStatus::WritesDisabled);
  EXPECT_TRUE(requests.empty());
}

TEST(SunSpecWrite, AlarmResetOneMakesARequestZeroIsANoOpTwoIsOutOfRange) {
  const SunSpecValues values = writable_e40();
  ControlRequests requests;
  ASSERT_EQ(write(values, kAlmRst1, {1}, requests), MapStatus::Ok);
  ASSERT_EQ(requests.count, 1u);
  EXPECT_EQ(requests.items[0], (ControlRequest{ControlKind::AlarmReset, 0, 1}));
  ControlRequests none;
  EXPECT_EQ(write(values, kAlmRst1, {0}, none), MapStatus::Ok);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(write(values, kAlmRst1, {2}, none), MapStatus::ValueOutOfRange);
  EXPECT_TRUE(none.empty());
}

TEST(SunSpecWrite, ControllerHeartbeatTakesAnyValueAndReadsBack) {
  SunSpecValues values = writable_e40();
  ControlRequests requests;
  ASSERT_EQ(write(values, kCtrlHb1, {65535}, requests), MapStatus::Ok);
  ASSERT_EQ(requests.count, 1u);
  EXPECT_EQ(requests.items[0], (ControlRequest{ControlKind::ControllerHeartbeat, 0, 65535}));
  apply_control(requests.items[0], values);
  std::vector<std::uint16_t> out(1);
  ASSERT_EQ(read_registers(values, kCtrlHb1, 1, out), MapStatus::Ok);
  EXPECT_EQ(out[0], 65535);
}

TEST(SunSpecWrite, SetOperationAndSetInverterStateRanges) {
  SunSpecValues values = writable_e40();
  ControlRequests requests;
  for (std::uint16_t refused : {0, 3, 0xFFFF})
    EXPECT_EQ(write(values, kSetOp1, {refused}, requests), MapStatus::ValueOutOfRange) << refused;
  for (std::uint16_t refused : {0, 4})
    EXPECT_EQ(write(values, kSetInvState1, {refused}, requests), MapStatus::ValueOutOfRange);
  EXPECT_TRUE(requests.empty());
  ASSERT_EQ(write(values, kSetOp1, {2, 3}, requests), MapStatus::Ok);  // SetOp, SetInvState
  ASSERT_EQ(requests.count, 2u);
  EXPECT_EQ(requests.items[0], (ControlRequest{ControlKind::SetOperation, 0, kSetOpDisconnect}));
  EXPECT_EQ(requests.items[1], (ControlRequest{ControlKind::SetInverterState, 0, 3}));
  for (const ControlRequest& request : requests) apply_control(request, values);
  std::vector<std::uint16_t> out(2);
  ASSERT_EQ(read_registers(values, kSetOp1, 2, out), MapStatus::Ok);
  EXPECT_EQ(out, (std::vector<std::uint16_t>{2, 3}));
}

TEST(SunSpecWrite, ReadOnlyPointsAndAddressesOutsideTheMapAreRefused) {
  const SunSpecValues values = writable_e40();
  ControlRequests requests;
  EXPECT_EQ(write(values, kBattery1 + 11, {500}, requests), MapStatus::NotWritable);  // SoC
  EXPECT_EQ(write(values, kBattery1 + 9, {500}, requests), MapStatus::NotWritable);   // SocRsvMax
  EXPECT_EQ(write(values, 40000, {0}, requests), MapStatus::NotWritable);             // marker
  EXPECT_EQ(write(values, 40068, {9}, requests), MapStatus::NotWritable);             // 1 DA
  EXPECT_EQ(write(values, 39999, {1}, requests), MapStatus::OutsideMap);
  EXPECT_EQ(write(values, 40000 + kMaxRegisterCount, {1}, requests), MapStatus::OutsideMap);
  EXPECT_EQ(write(values, kAlmRst1, {}, requests), MapStatus::OutsideMap);
  EXPECT_TRUE(requests.empty());
}

TEST(SunSpecWrite, MultiRegisterWriteIsAllOrNothing) {
  const SunSpecValues values = writable_e40();
  ControlRequests requests;
  // CtrlHb and AlmRst together: both accepted.
  ASSERT_EQ(write(values, kCtrlHb1, {7, 1}, requests), MapStatus::Ok);
  EXPECT_EQ(requests.count, 2u);
  // AlmRst and Typ: Typ is read-only, so the reset is refused too.
  ControlRequests refused;
  EXPECT_EQ(write(values, kAlmRst1, {1, 4}, refused), MapStatus::NotWritable);
  EXPECT_TRUE(refused.empty());
  // CtrlHb fine, AlmRst out of range: nothing.
  EXPECT_EQ(write(values, kCtrlHb1, {7, 9}, refused), MapStatus::ValueOutOfRange);
  EXPECT_TRUE(refused.empty());
}

TEST(SunSpecWrite, SecondBdusControlPointsNameTheSecondBdu) {
  const SunSpecValues values = writable_e40();
  const SunSpecLayout layout = layout_of(values);
  ControlRequests requests;
  ASSERT_EQ(write(values, layout.bdus[1].battery + 20u, {1}, requests), MapStatus::Ok);
  ASSERT_EQ(requests.count, 1u);
  EXPECT_EQ(requests.items[0], (ControlRequest{ControlKind::AlarmReset, 1, 1}));
  // The same offset in an 803 is not a control point.
  EXPECT_EQ(write(values, layout.bdus[1].bank + 20u, {1}, requests), MapStatus::NotWritable);
}

TEST(SunSpecWrite, LocRemCtlShowsRemoteWhenWritesAreEnabled) {
  std::vector<std::uint16_t> out(1);
  ASSERT_EQ(read_registers(writable_e40(), kBattery1 + 17, 1, out), MapStatus::Ok);
  EXPECT_EQ(out[0], 0);  // REMOTE
}

}  // namespace
}  // namespace bts::firmware::sunspec
