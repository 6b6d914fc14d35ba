// The Modbus RTU server on a pseudo-terminal pair made by socat: pymodbus 3.0 walks the SunSpec
// chain, mbpoll reads and writes; requests to another unit get no answer; a refused write
// answers an exception.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "../firmware/sunspec_test_values.hpp"
#include "io/modbus_server.hpp"
#include "io_test_support.hpp"

extern char** environ;

namespace bts::io {
namespace {

using testing::run_command;
using testing::ServerThread;

/// Two linked pseudo-terminals (socat), removed with the object.
class PtyPair {
 public:
  PtyPair() {
    char pattern[] = "/tmp/bts-modbus-rtu-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return;
    directory_ = pattern;
    server_end_ = directory_ + "/server";
    client_end_ = directory_ + "/client";
    const std::string first = "pty,raw,echo=0,link=" + server_end_;
    const std::string second = "pty,raw,echo=0,link=" + client_end_;
    std::vector<char*> arguments{const_cast<char*>("socat"), const_cast<char*>(first.c_str()),
                                 const_cast<char*>(second.c_str()), nullptr};
    if (posix_spawnp(&pid_, "socat", nullptr, nullptr, arguments.data(), environ) != 0) pid_ = -1;
    // socat makes the links at once; wait for both, bounded.
    for (int wait = 0; wait < 100 && !ready(); ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // socat ends when the last holder of a pty closes it; holding the client end open lets one
    // client after another use it.
    if (ready()) client_hold_fd_ = open(client_end_.c_str(), O_RDWR | O_NOCTTY);
  }
  ~PtyPair() {
    if (client_hold_fd_ >= 0) close(client_hold_fd_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }
  bool ready() const {
    return pid_ > 0 && std::filesystem::exists(server_end_) && std::filesystem::exists(client_end_);
  }
  const std::string& server_end() const { return server_end_; }
  const std::string& client_end() const { return client_end_; }

 private:
  pid_t pid_ = -1;
  int client_hold_fd_ = -1;
  std::string directory_, server_end_, client_end_;
};

ModbusServerOptions rtu_options(const std::string& device, bool writes_enabled = false) {
  ModbusServerOptions options;
  options.transport = ModbusTransport::Rtu;
  options.device = device;
  options.baud = 38400;
  options.unit_id = 1;
  options.writes_enabled = writes_enabled;
  return options;
}

std::string mbpoll_rtu(const std::string& device, const std::string& arguments) {
  return "mbpoll -m rtu -b 38400 -P none -0 -1 -o 1 " + arguments + " " + device;
}

class ModbusRtu : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [tool, package] : {std::pair{"socat", "socat"}, {"mbpoll", "mbpoll"}}) {
      if (const std::string missing = testing::missing_tool(tool, package); !missing.empty())
        FAIL() << missing;
    }
    if (const std::string missing = testing::missing_pymodbus(); !missing.empty())
      FAIL() << missing;
    ASSERT_TRUE(pair_.ready()) << "socat did not make the pseudo-terminal pair";
  }
  PtyPair pair_;
};

TEST_F(ModbusRtu, PymodbusWalksTheChain) {
  ModbusServer server(rtu_options(pair_.server_end()));
  server.publish(firmware::sunspec::testing::example_e10());
  ServerThread thread(server);
  const testing::CommandResult result = run_command(
      "/usr/bin/python3 " + testing::walk_script() + " --rtu " + pair_.client_end() + " 38400", 60,
      false);
  thread.stop();
  ASSERT_EQ(result.exit_status, 0) << result.output;
  const nlohmann::json walk = nlohmann::json::parse(result.output);
  std::vector<std::uint16_t> registers{0x5375, 0x6E53};
  std::vector<int> ids;
  for (const auto& model : walk["models"]) {
    ids.push_back(model["id"].get<int>());
    registers.push_back(model["id"].get<std::uint16_t>());
    registers.push_back(model["length"].get<std::uint16_t>());
    for (const auto& value : model["registers"]) registers.push_back(value.get<std::uint16_t>());
  }
  EXPECT_EQ(ids, (std::vector<int>{1, 802, 803, 804, 805, 805, 0xFFFF}));
  const auto map = server.map().registers();
  EXPECT_EQ(registers, std::vector<std::uint16_t>(map.begin(), map.end()));
}

TEST_F(ModbusRtu, MbpollReadsTheMarkerAndOtherUnitsGetNoAnswer) {
  ModbusServer server(rtu_options(pair_.server_end()));
  server.publish(firmware::sunspec::testing::example_e10());
  ServerThread thread(server);
  const testing::CommandResult other_unit =
      run_command(mbpoll_rtu(pair_.client_end(), "-a 2 -r 40000 -c 2 -t 4:hex"), 20, true);
  const testing::CommandResult ours =
      run_command(mbpoll_rtu(pair_.client_end(), "-a 1 -r 40000 -c 2 -t 4:hex"), 20, true);
  thread.stop();
  EXPECT_NE(other_unit.output.find("timed out"), std::string::npos) << other_unit.output;
  EXPECT_NE(ours.output.find("[40000]: \t0x5375"), std::string::npos) << ours.output;
  EXPECT_NE(ours.output.find("[40001]: \t0x6E53"), std::string::npos) << ours.output;
}

TEST_F(ModbusRtu, RefusedWriteAnswersAnExceptionAndChangesNothing) {
  ModbusServer server(rtu_options(pair_.server_end()));
  server.publish(firmware::sunspec::testing::example_e10());
  const std::vector<std::uint16_t> before(server.map().registers().begin(),
                                          server.map().registers().end());
  ServerThread thread(server);
  // 802 AlmRst of BDU 1 (40090) with writes disabled.
  const testing::CommandResult write =
      run_command(mbpoll_rtu(pair_.client_end(), "-a 1 -r 40090 -t 4") + " 1", 20, true);
  thread.stop();
  EXPECT_NE(write.exit_status, 0);
  EXPECT_NE(write.output.find("Illegal data address"), std::string::npos) << write.output;
  EXPECT_EQ(
      std::vector<std::uint16_t>(server.map().registers().begin(), server.map().registers().end()),
      before);
  EXPECT_TRUE(server.take_control_requests().empty());
}

TEST_F(ModbusRtu, AcceptedWriteBecomesAControlRequest) {
  ModbusServer server(rtu_options(pair_.server_end(), true));
  server.publish(firmware::sunspec::testing::example_e10());
  ServerThread thread(server);
  const testing::CommandResult write =
      run_command(mbpoll_rtu(pair_.client_end(), "-a 1 -r 40090 -t 4") + " 1", 20, true);
  thread.stop();
  EXPECT_EQ(write.exit_status, 0) << write.output;
  const auto requests = server.take_control_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].kind, firmware::sunspec::ControlKind::AlarmReset);
}

}  // namespace
}  // namespace bts::io
