"""`bts run --inverter pylon-hv --can slcan-pty` driven from python-can as a Pylon HV inverter:
polls, equipment information, sleep / wake, relay and keep-relay commands. What the test decodes
from the wire (with its own reading of the byte tables) must match the simulator's own numbers
in its status file."""
import time
import unittest

from bts_live import (drain, drop_waiting, ENSEMBLE_IDS, LiveBts, bts_binary, connected, decode_pylon_ensemble,
                      pylon_command, pylon_poll, receive_ids)

BTS = None


class PylonHvInverterOverSlcan(unittest.TestCase):
    def setUp(self):
        self.bts = LiveBts(BTS, "--inverter", "pylon-hv", speed=5)
        self.bus = self.bts.open_bus()
        self.last_poll = 0.0

    def tearDown(self):
        code, text = self.bts.stop()
        self.assertEqual(code, 0, text)
        self.assertIn("stopped after", text)

    def keep_polling(self):
        # A poll a simulated second (0.2 s wall at 5x), answers read and dropped.
        if time.monotonic() - self.last_poll >= 0.2:
            pylon_poll(self.bus)
            self.last_poll = time.monotonic()
        drop_waiting(self.bus)

    def connect(self):
        return self.bts.wait_status(lambda s: connected(s["bdus"][0]), 60, "BDU connected",
                                    poll=self.keep_polling)

    def poll_ensemble(self):
        drain(self.bus)
        pylon_poll(self.bus)
        frames = receive_ids(self.bus, ENSEMBLE_IDS, 9)
        self.assertEqual(sorted(m.arbitration_id for m in frames), ENSEMBLE_IDS)
        return decode_pylon_ensemble(frames)

    def test_ensemble_answer_carries_the_simulators_values(self):
        self.connect()
        decoded = self.poll_ensemble()
        bdu = self.bts.status()["bdus"][0]
        self.assertAlmostEqual(decoded["voltage_V"], bdu["output_voltage_V"], delta=3.0)
        self.assertAlmostEqual(decoded["soc_percent"], bdu["soc_percent"], delta=1.5)
        self.assertAlmostEqual(decoded["charge_voltage_limit_V"], bdu["charge_voltage_limit_V"], delta=0.1)
        self.assertAlmostEqual(decoded["discharge_voltage_limit_V"], bdu["discharge_voltage_limit_V"],
                               delta=0.1)
        self.assertAlmostEqual(decoded["charge_current_limit_A"], bdu["charge_current_limit_A"], delta=1.0)
        self.assertAlmostEqual(decoded["discharge_current_limit_A"], bdu["discharge_current_limit_A"],
                               delta=1.0)
        self.assertGreater(decoded["discharge_current_limit_A"], 5.0)
        # Pylon counts current positive when charging; the status file > 0 towards the inverter.
        self.assertAlmostEqual(decoded["current_A"], -bdu["output_current_A"], delta=2.0)
        cells_max = max(m["cell_voltage_max_V"] for m in bdu["modules"])
        cells_min = min(m["cell_voltage_min_V"] for m in bdu["modules"])
        self.assertAlmostEqual(decoded["max_cell_V"], cells_max, delta=0.01)
        self.assertAlmostEqual(decoded["min_cell_V"], cells_min, delta=0.01)
        self.assertIn(decoded["basic_status"], (1, 2, 3), "connected: charge, discharge or idle")
        self.assertFalse(decoded["charge_forbidden"] or decoded["discharge_forbidden"])
        self.assertEqual(decoded["errors"], 0)

    def test_equipment_answer_names_the_battery(self):
        self.connect()
        drain(self.bus)
        pylon_poll(self.bus, request=0x02)
        frames = receive_ids(self.bus, [0x7310, 0x7320, 0x7330, 0x7340], 4)
        by_id = {m.arbitration_id: bytes(m.data) for m in frames}
        self.assertEqual(sorted(by_id), [0x7310, 0x7320, 0x7330, 0x7340])
        name = (by_id[0x7330] + by_id[0x7340]).rstrip(b"\0").decode()
        self.assertEqual(name, "PYLON")
        self.assertEqual(by_id[0x7320][2], 2, "two modules in an E10")

    def test_sleep_opens_the_relays_wake_relay_command_and_keep_relay(self):
        self.connect()
        pylon_command(self.bus, 0x8200, 0, [0x55])  # sleep
        self.bts.wait_status(lambda s: s["bdus"][0]["state"] == "Standby"
                             and not s["bdus"][0]["relays_closed"], 30, "asleep: relays open",
                             poll=self.keep_polling)
        self.assertEqual(self.poll_ensemble()["basic_status"], 0, "sleep in 0x4250")
        pylon_command(self.bus, 0x8200, 0, [0xAA])  # wake
        self.connect()
        # Asleep again, then woken by the relay command (0x8210 byte 0 0xAA: close to charge).
        pylon_command(self.bus, 0x8200, 0, [0x55])
        self.bts.wait_status(lambda s: not s["bdus"][0]["relays_closed"], 30, "asleep again",
                             poll=self.keep_polling)
        pylon_command(self.bus, 0x8210, 0, [0xAA, 0x00])
        self.connect()
        drain(self.bus)
        pylon_command(self.bus, 0x8240, 0, [])  # keep the relay on without communication
        reply = receive_ids(self.bus, [0x8250], 1)
        self.assertEqual(len(reply), 1, "0x8250 answers 0x8240")
        self.assertEqual(reply[0].data[0], 0xAA, "accepted while healthy")


if __name__ == "__main__":
    BTS = bts_binary()
    unittest.main()
