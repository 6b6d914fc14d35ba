#!/usr/bin/python3
"""Walks a SunSpec map as a SunSpec client does and prints it as JSON.

Reads the "SunS" marker at 40000, then each model's ID and L, then the model's registers (at most
125 per request), until the end marker (ID 0xFFFF). With --write ADDRESS=VALUE it first writes one
holding register (function 6) and reports the answer (an exception code or "ok").

  sunspec_walk.py --tcp 127.0.0.1 1502 [--unit 1]
  sunspec_walk.py --rtu /dev/pts/7 9600 [--unit 1]
Output: {"marker": "SunS", "models": [{"address", "id", "length", "registers"}], "write": ...}
Exit status 1 with a message on stderr when the device does not answer as SunSpec.
"""
import argparse
import json
import sys

from pymodbus.client import ModbusSerialClient, ModbusTcpClient

BASE = 40000
END_MODEL = 0xFFFF
MAX_READ = 125


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def read(client, unit, address, count):
    registers = []
    while count > 0:
        chunk = min(count, MAX_READ)
        answer = client.read_holding_registers(address, chunk, slave=unit)
        if answer.isError():
            fail(f"read of {chunk} registers at {address} failed: {answer}")
        registers.extend(answer.registers)
        address += chunk
        count -= chunk
    return registers


def write(client, unit, assignment):
    address, value = (int(part, 0) for part in assignment.split("="))
    answer = client.write_register(address, value, slave=unit)
    if answer.isError():
        return {"address": address, "value": value,
                "exception": getattr(answer, "exception_code", None)}
    return {"address": address, "value": value, "exception": 0}


def walk(client, unit):
    marker = read(client, unit, BASE, 2)
    text = "".join(chr(r >> 8) + chr(r & 0xFF) for r in marker)
    if text != "SunS":
        fail(f"no SunS marker at {BASE}: {marker}")
    models = []
    address = BASE + 2
    while True:
        model_id, length = read(client, unit, address, 2)
        model = {"address": address, "id": model_id, "length": length, "registers": []}
        models.append(model)
        if model_id == END_MODEL:
            break
        model["registers"] = read(client, unit, address + 2, length)
        address += 2 + length
        if len(models) > 64:
            fail("more than 64 models: the chain does not end")
    return {"marker": text, "models": models}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tcp", nargs=2, metavar=("HOST", "PORT"))
    parser.add_argument("--rtu", nargs=2, metavar=("DEVICE", "BAUD"))
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--write", metavar="ADDRESS=VALUE")
    arguments = parser.parse_args()
    if arguments.tcp:
        client = ModbusTcpClient(arguments.tcp[0], port=int(arguments.tcp[1]), timeout=3)
    elif arguments.rtu:
        client = ModbusSerialClient(arguments.rtu[0], baudrate=int(arguments.rtu[1]),
                                    parity="N", stopbits=1, bytesize=8, timeout=2)
    else:
        fail("give --tcp HOST PORT or --rtu DEVICE BAUD")
    if not client.connect():
        fail("cannot connect")
    result = {}
    if arguments.write:
        result["write"] = write(client, arguments.unit, arguments.write)
    result.update(walk(client, arguments.unit))
    client.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
