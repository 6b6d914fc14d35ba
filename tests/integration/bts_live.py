"""Helpers for the integration tests that drive `bts run` from outside, as a real inverter or
tool would: start the program with a virtual slcan adapter, open it with python-can, read the
status file the program rewrites every second, decode frames from the byte tables of
docs/protocols/inverter.md (independently of the C++ codecs)."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import can


class LiveBts:
    """`bts run` in the background with its slcan adapter at a known path."""

    def __init__(self, bts, *args, speed=1.0, system="e10", log_can=None, can_port="slcan-pty"):
        self.dir = tempfile.mkdtemp(prefix="bts-live-")
        self.link = os.path.join(self.dir, "can")
        self.status_path = os.path.join(self.dir, "status.json")
        command = [bts, "run", "--system", system, "--speed", str(speed), "--quiet",
                   "--status", self.status_path, *args]
        if can_port:
            command += ["--can", can_port]
        if can_port == "slcan-pty":
            command += ["--pty-link", self.link]
        if log_can:
            command += ["--log-can", log_can]
        self.output_path = os.path.join(self.dir, "output.txt")
        self.output = open(self.output_path, "w")
        self.process = subprocess.Popen(command, stdout=self.output, stderr=subprocess.STDOUT)
        self.bus = None

    def open_bus(self, timeout_s=20.0):
        deadline = time.monotonic() + timeout_s
        while not os.path.exists(self.link):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("bts run did not create its slcan adapter:\n" + self.text())
            time.sleep(0.05)
        self.bus = can.Bus(interface="slcan", channel=self.link, bitrate=500000)
        return self.bus

    def status(self):
        """The last status the program wrote (waits for the first one)."""
        deadline = time.monotonic() + 20.0
        while True:
            try:
                with open(self.status_path) as file:
                    return json.load(file)
            except (FileNotFoundError, json.JSONDecodeError):
                if time.monotonic() > deadline:
                    raise AssertionError("no status file:\n" + self.text())
                time.sleep(0.05)

    def wait_status(self, predicate, timeout_s, what, poll=None):
        """Waits until predicate(status) holds, calling poll() (e.g. an inverter's polling) in the
        meantime. Fails with the last status when it does not."""
        deadline = time.monotonic() + timeout_s
        status = None
        while time.monotonic() < deadline:
            if poll:
                poll()
            status = self.status()
            if predicate(status):
                return status
            time.sleep(0.05)
        raise AssertionError(f"{what} not reached in {timeout_s} s; last status: "
                             f"{json.dumps(status)[:1500]}\n{self.text()}")

    def text(self):
        if not self.output.closed:
            self.output.flush()
        with open(self.output_path) as file:
            return file.read()

    def stop(self):
        """Ctrl-C, as a person would; returns the exit code and the output."""
        if self.bus is not None:
            self.bus.shutdown()
            self.bus = None
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("bts run did not stop on Ctrl-C:\n" + self.text())
        self.output.close()
        return self.process.returncode, self.text()


def drain(bus, quiet_s=0.05, most_s=1.0):
    """Reads and drops whatever is waiting, until nothing came for quiet_s, and for at most most_s:
    the BDU's own cyclic BDU-network frames share the bus (at 20x speed one arrives every 50 ms
    wall), so "until quiet" alone may never end. (python-can's slcan recv() returns None for an
    acknowledgement line too, so None does not mean "empty".)"""
    now = time.monotonic()
    quiet_until = now + quiet_s
    give_up_at = now + most_s
    while time.monotonic() < min(quiet_until, give_up_at):
        if bus.recv(0.005) is not None:
            quiet_until = time.monotonic() + quiet_s


def drop_waiting(bus, lines=200):
    """Non-blocking: drops up to `lines` waiting lines (frames or acknowledgements)."""
    for _ in range(lines):
        bus.recv(0)


def receive_ids(bus, wanted, count, timeout_s=2.0):
    """Frames whose id is in `wanted` until `count` arrived or the timeout passed."""
    frames = []
    deadline = time.monotonic() + timeout_s
    while len(frames) < count and time.monotonic() < deadline:
        message = bus.recv(0.05)
        if message is not None and message.arbitration_id in wanted:
            frames.append(message)
    return frames


def connected(bdu):
    return bdu["state"] in ("Idle", "Charge", "Discharge") and bdu["relays_closed"]


# ---- Pylon HV, spec encoding (docs/protocols/inverter.md §2) --------------------------------

ENSEMBLE_IDS = list(range(0x4210, 0x42A0, 0x10))


def pylon_poll(bus, request=0x00):
    bus.send(can.Message(arbitration_id=0x4200, is_extended_id=True,
                         data=bytes([request, 0, 0, 0, 0, 0, 0, 0])))


def pylon_command(bus, base, address, data):
    bus.send(can.Message(arbitration_id=base + address, is_extended_id=True,
                         data=bytes(data) + bytes(8 - len(data))))


def decode_pylon_ensemble(frames, address=0):
    by_id = {m.arbitration_id - address: bytes(m.data) for m in frames}
    values = {}
    v, i, t, soc, soh = struct.unpack("<HHHBB", by_id[0x4210])
    values.update(voltage_V=v / 10, current_A=(i - 30000) / 10, bms_temperature_degC=(t - 1000) / 10,
                  soc_percent=soc, soh_percent=soh)
    cvl, dvl, ccl, dcl = struct.unpack("<HHHH", by_id[0x4220])
    values.update(charge_voltage_limit_V=cvl / 10, discharge_voltage_limit_V=dvl / 10,
                  charge_current_limit_A=(ccl - 30000) / 10,
                  discharge_current_limit_A=(30000 - dcl) / 10)
    hi, lo, _, _ = struct.unpack("<HHHH", by_id[0x4230])
    values.update(max_cell_V=hi / 1000, min_cell_V=lo / 1000)
    status = by_id[0x4250]
    values.update(basic_status=status[0] & 0x07, errors=status[3],
                  alarms=struct.unpack("<H", status[4:6])[0],
                  protections=struct.unpack("<H", status[6:8])[0])
    forbidden = by_id[0x4280]
    values.update(charge_forbidden=forbidden[0] == 0xAA, discharge_forbidden=forbidden[1] == 0xAA)
    return values


# ---- Sofar "BMS extended" (docs/protocols/inverter.md §1) -----------------------------------

def decode_sofar_limits(data):
    cvl, ccl, dcl, dvl = struct.unpack("<HHHH", bytes(data))
    return dict(charge_voltage_limit_V=cvl / 10, charge_current_limit_A=ccl / 10,
                discharge_current_limit_A=dcl / 10, discharge_voltage_limit_V=dvl / 10)


def free_tcp_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bts_binary():
    if len(sys.argv) < 2:
        raise SystemExit("usage: test.py PATH_TO_BTS [unittest options]")
    return sys.argv.pop(1)
