#!/usr/bin/python3
"""A small STUN responder (RFC 5389 Binding only) for the NAT lab.

    stun.py ADDRESS PORT

Answers each Binding Request with a Binding Success Response carrying
XOR-MAPPED-ADDRESS: the request's source as this host sees it. The lab's
miniupnpd needs it: its external address is an RFC 5737 test-net, and it
refuses to map anything on such an address unless STUN confirmed it.
Runs until killed; ignores everything that is not a Binding Request.
"""
import socket
import struct
import sys

MAGIC = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS, XOR_MAPPED_ADDRESS = 0x0001, 0x0101, 0x0020


def answer(data, peer):
    if len(data) < 20:
        return None
    kind, _length, magic = struct.unpack(">HHI", data[:8])
    if kind != BINDING_REQUEST or magic != MAGIC:
        return None
    ip = struct.unpack(">I", socket.inet_aton(peer[0]))[0]
    attr = struct.pack(">HHBBHI", XOR_MAPPED_ADDRESS, 8, 0, 1,
                       peer[1] ^ (MAGIC >> 16), ip ^ MAGIC)
    return struct.pack(">HHI", BINDING_SUCCESS, len(attr), MAGIC) + data[8:20] + attr


def main(address, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, int(port)))
    while True:
        data, peer = s.recvfrom(2048)
        reply = answer(data, peer)
        if reply:
            s.sendto(reply, peer)


if __name__ == "__main__":
    main(*sys.argv[1:3])
