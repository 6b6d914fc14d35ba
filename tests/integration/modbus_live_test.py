"""`bts run --modbus-tcp PORT --modbus-writes` read and driven from outside as an installer's
monitoring tool would: mbpoll and python3-pymodbus read the SunSpec map of a live E40 (two BDUs,
the simulated inverter on CAN); the values match the simulator's status file; SetOp DISCONNECT
opens a BDU's relays and CONNECT lets it connect again; a write the server does not allow is
refused with a Modbus exception and changes nothing."""
import shutil
import subprocess
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bts_live import LiveBts, bts_binary, connected, free_tcp_port

BTS = None
BASE = 40000


def walk(client):
    """[(model id, address of its ID register, registers after ID and L)] in chain order. The
    offsets of docs/protocols/sunspec.md count from the ID register (ID 0, L 1, first point 2)."""
    marker = client.read_holding_registers(BASE, 2, slave=1).registers
    assert marker == [0x5375, 0x6E53], marker
    models = []
    address = BASE + 2
    while True:
        model_id, length = client.read_holding_registers(address, 2, slave=1).registers
        if model_id == 0xFFFF:
            return models
        points = []
        for start in range(0, length, 100):
            points += client.read_holding_registers(address + 2 + start, min(100, length - start),
                                                    slave=1).registers
        models.append((model_id, address, points))
        address += 2 + length


def signed(value):
    return value - 0x10000 if value >= 0x8000 else value


class SunSpecOverModbusTcp(unittest.TestCase):
    def setUp(self):
        self.port = free_tcp_port()
        self.bts = LiveBts(BTS, "--inverter", "sofar", "--modbus-tcp", str(self.port),
                           "--modbus-writes", speed=10, system="e40", can_port=None)
        self.bts.wait_status(lambda s: all(connected(b) for b in s["bdus"]), 60, "connected")
        self.client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=3)
        self.assertTrue(self.client.connect())

    def tearDown(self):
        self.client.close()
        code, text = self.bts.stop()
        self.assertEqual(code, 0, text)

    def test_model_chain_scale_factors_and_values_match_the_simulator(self):
        models = walk(self.client)
        ids = [m[0] for m in models]
        self.assertEqual(ids, [1, 802, 803, 804, 805, 805, 805, 805, 802, 803, 804, 805, 805, 805, 805])
        status = self.bts.status()
        batteries = [m for m in models if m[0] == 802]
        for bdu, (_, _, points) in zip(status["bdus"], batteries):
            # 802: SoC at offset 11, SoC_SF at offset 56 (SunSpec model 802 point list).
            soc_sf = signed(points[56 - 2])
            self.assertEqual(soc_sf, -1)
            self.assertAlmostEqual(points[11 - 2] * 10 ** soc_sf, bdu["soc_percent"], delta=1.5)
        mbpoll = shutil.which("mbpoll")
        self.assertIsNotNone(mbpoll, "mbpoll missing: apt-get install mbpoll")
        out = subprocess.run([mbpoll, "-m", "tcp", "-a", "1", "-0", "-r", str(BASE), "-c", "2",
                              "-t", "4:hex", "-1", "-p", str(self.port), "127.0.0.1"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("0x5375", out.stdout)
        self.assertIn("0x6E53", out.stdout)

    def test_set_op_disconnects_and_connects_a_bdu_and_bad_writes_are_refused(self):
        models = walk(self.client)
        second_802 = [m for m in models if m[0] == 802][1][1]
        set_op = second_802 + 50  # SetOp, offset 50
        answer = self.client.write_register(set_op, 2, slave=1)  # DISCONNECT BDU 2
        self.assertFalse(answer.isError(), answer)
        self.bts.wait_status(lambda s: not s["bdus"][1]["relays_closed"]
                             and s["bdus"][1]["state"] == "Standby"
                             and connected(s["bdus"][0]), 30, "BDU 2 disconnected, BDU 1 not")
        answer = self.client.write_register(set_op, 1, slave=1)  # CONNECT
        self.assertFalse(answer.isError(), answer)
        self.bts.wait_status(lambda s: connected(s["bdus"][1]), 30, "BDU 2 connected again")
        before = walk(self.client)
        refused = self.client.write_register(set_op, 7, slave=1)  # out of range
        self.assertTrue(refused.isError())
        self.assertEqual(refused.exception_code, 3)
        refused = self.client.write_register(second_802 + 11, 0, slave=1)  # SoC is read only
        self.assertTrue(refused.isError())
        self.assertEqual(refused.exception_code, 2)
        after = walk(self.client)
        set_ops = lambda models: [p[50 - 2] for i, _, p in models if i == 802]
        self.assertEqual(set_ops(before), set_ops(after))
        self.assertEqual(set_ops(after), [1, 1])


if __name__ == "__main__":
    BTS = bts_binary()
    unittest.main()
