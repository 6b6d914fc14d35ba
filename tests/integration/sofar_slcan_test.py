"""`bts run --system e40 --inverter sofar --can slcan-pty` driven from python-can as a Sofar
inverter with two batteries: the cyclic frames of both BDUs (battery ids 0 and 1, `id + (id <<
12)`), and the per-module inquiries 0x605 answered with the module's data. What the test decodes
must match the simulator's own numbers in its status file."""
import struct
import time
import unittest

import can

from bts_live import drain, drop_waiting, LiveBts, bts_binary, connected, decode_sofar_limits, receive_ids

BTS = None


def inquiry(battery, what, module):
    return can.Message(arbitration_id=0x605, is_extended_id=True,
                       data=bytes([battery, what, module, 0, 0, 0, 0, 0]))


class SofarInverterWithTwoBdusOverSlcan(unittest.TestCase):
    def setUp(self):
        self.bts = LiveBts(BTS, "--inverter", "sofar", speed=5, system="e40")
        self.bus = self.bts.open_bus()
        self.last_inquiry = 0.0
        self.counter = 0

    def tearDown(self):
        code, text = self.bts.stop()
        self.assertEqual(code, 0, text)

    def keep_asking(self):
        # A Sofar inverter asks now and then; here each battery about once a simulated second.
        if time.monotonic() - self.last_inquiry >= 0.1:
            self.bus.send(inquiry(self.counter % 2, 0x00, 0))
            self.counter += 1
            self.last_inquiry = time.monotonic()
        drop_waiting(self.bus)

    def test_both_bdus_report_their_limits_and_soc(self):
        self.bts.wait_status(lambda s: all(connected(b) for b in s["bdus"]), 60,
                             "both BDUs connected", poll=self.keep_asking)
        drain(self.bus)
        frames = receive_ids(self.bus, [0x351, 0x1351, 0x355, 0x1355], 8, timeout_s=3.0)
        status = self.bts.status()
        latest = {m.arbitration_id: bytes(m.data) for m in frames}
        for battery, bdu in enumerate(status["bdus"]):
            offset = battery << 12
            self.assertIn(0x351 + offset, latest, f"limits of battery {battery}")
            limits = decode_sofar_limits(latest[0x351 + offset])
            self.assertAlmostEqual(limits["charge_current_limit_A"], bdu["charge_current_limit_A"], delta=1.0)
            self.assertAlmostEqual(limits["discharge_current_limit_A"], bdu["discharge_current_limit_A"],
                                   delta=1.0)
            self.assertAlmostEqual(limits["charge_voltage_limit_V"], bdu["charge_voltage_limit_V"], delta=0.1)
            self.assertGreater(limits["discharge_current_limit_A"], 5.0)
            soc, soh = struct.unpack("<HH", latest[0x355 + offset][:4])
            self.assertAlmostEqual(soc, bdu["soc_percent"], delta=1.5)
            self.assertEqual(soh, 100)

    def test_module_inquiry_is_answered_with_that_modules_cells(self):
        self.bts.wait_status(lambda s: all(connected(b) for b in s["bdus"]), 60,
                             "both BDUs connected", poll=self.keep_asking)
        drain(self.bus)
        # Battery 1 (BDU 2), module k = 2: cell voltages, 0x1680.. three cells a frame.
        self.bus.send(inquiry(1, 0x02, 2))
        frames = receive_ids(self.bus, list(range(0x1680, 0x1690)), 6)
        self.assertEqual(len(frames), 6, "16 cells in six frames")
        cells = []
        for message in frames:
            self.assertEqual(message.data[0], 2, "byte 0 is the module asked for")
            cells += [c for c in struct.unpack("<HHH", bytes(message.data[1:7])) if c != 0xFFFF]
        self.assertEqual(len(cells), 16)
        module = self.bts.status()["bdus"][1]["modules"][2]
        self.assertAlmostEqual(max(cells) / 1000, module["cell_voltage_max_V"], delta=0.01)
        self.assertAlmostEqual(min(cells) / 1000, module["cell_voltage_min_V"], delta=0.01)
        # Battery 0, module 1: the summary 0x670 with the module's SOC.
        self.bus.send(inquiry(0, 0x00, 1))
        summary = receive_ids(self.bus, [0x670], 1)
        self.assertEqual(len(summary), 1)
        self.assertEqual(summary[0].data[0], 1)
        module = self.bts.status()["bdus"][0]["modules"][1]
        self.assertAlmostEqual(summary[0].data[1], module["soc_percent"], delta=1.5)
        # An inquiry for a module that does not exist gets no answer.
        self.bus.send(inquiry(0, 0x00, 7))
        self.assertEqual(receive_ids(self.bus, [0x670], 1, timeout_s=0.5), [])


if __name__ == "__main__":
    BTS = bts_binary()
    unittest.main()
