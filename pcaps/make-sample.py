#!/usr/bin/env python3
"""Write pcaps/sample.pcap: a small, deterministic Ethernet capture for the
README's Quick start and for tests (TCP handshake and HTTP request over IPv4,
DNS query and answer, ICMP echo, ARP, IPv6 TCP, a UDP datagram to port 9).

Run from the project root: python3 pcaps/make-sample.py
Addresses are from the documentation ranges (RFC 5737, RFC 3849)."""
import struct

def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))

def ip4(s):
    return bytes(int(x) for x in s.split('.'))

def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed

A_MAC, B_MAC = mac('02:00:00:00:00:0a'), mac('02:00:00:00:00:0b')
A, B, DNS = ip4('192.0.2.10'), ip4('198.51.100.20'), ip4('192.0.2.53')
A6, B6 = ip6('2001:db8::a'), ip6('2001:db8::b')

def eth(dst, src, etype, payload):
    return dst + src + struct.pack('!H', etype) + payload

def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, 64,
                      proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + payload

def ipv6(src, dst, nxt, payload):
    return struct.pack('!IHBB16s16s', 6 << 28, len(payload), nxt, 64, src, dst) + payload

def l4sum(src, dst, proto, seg):
    if len(src) == 4:
        pseudo = src + dst + struct.pack('!BBH', 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack('!I3xB', len(seg), proto)
    return csum(pseudo + seg)

def tcp(src, dst, sport, dport, seq, ack, flags, payload=b'', opts=b''):
    off = (20 + len(opts)) // 4
    seg = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4, flags, 64240, 0, 0) + opts + payload
    c = l4sum(src, dst, 6, seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]

def udp(src, dst, sport, dport, payload):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = l4sum(src, dst, 17, seg) or 0xffff
    return seg[:6] + struct.pack('!H', c) + seg[8:]

def icmp(typ, ident, seq, payload):
    msg = struct.pack('!BBHHH', typ, 0, 0, ident, seq) + payload
    return msg[:2] + struct.pack('!H', csum(msg)) + msg[4:]

def dns_query(qid, name, answer=None):
    q = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0' + struct.pack('!HH', 1, 1)
    if answer is None:
        return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q
    rr = struct.pack('!HHHIH', 0xc00c, 1, 1, 300, 4) + answer
    return struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0) + q + rr

SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
MSS = struct.pack('!BBH', 2, 4, 1460)
http = b'GET / HTTP/1.1\r\nHost: example.test\r\n\r\n'
frames = [
    eth(b'\xff' * 6, A_MAC, 0x0806, struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, A_MAC, A, b'\0' * 6, DNS)),
    eth(A_MAC, B_MAC, 0x0806, struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 2, B_MAC, DNS, A_MAC, A)),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, DNS, 17, udp(A, DNS, 40000, 53, dns_query(0x1234, 'example.test')), 1)),
    eth(A_MAC, B_MAC, 0x0800, ipv4(DNS, A, 17, udp(DNS, A, 53, 40000, dns_query(0x1234, 'example.test', B)), 2)),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, B, 6, tcp(A, B, 51000, 80, 1000, 0, SYN, opts=MSS), 3)),
    eth(A_MAC, B_MAC, 0x0800, ipv4(B, A, 6, tcp(B, A, 80, 51000, 5000, 1001, SYN | ACK, opts=MSS), 4)),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, B, 6, tcp(A, B, 51000, 80, 1001, 5001, ACK), 5)),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, B, 6, tcp(A, B, 51000, 80, 1001, 5001, PSH | ACK, http), 6)),
    eth(A_MAC, B_MAC, 0x0800, ipv4(B, A, 6, tcp(B, A, 80, 51000, 5001, 1001 + len(http), ACK), 7)),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, B, 6, tcp(A, B, 51000, 80, 1001 + len(http), 5001, FIN | ACK), 8)),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, B, 1, icmp(8, 7, 1, b'sniff-ping' * 4), 9)),
    eth(A_MAC, B_MAC, 0x0800, ipv4(B, A, 1, icmp(0, 7, 1, b'sniff-ping' * 4), 10)),
    eth(B_MAC, A_MAC, 0x86dd, ipv6(A6, B6, 6, tcp(A6, B6, 52000, 443, 7000, 0, SYN, opts=MSS))),
    eth(A_MAC, B_MAC, 0x86dd, ipv6(B6, A6, 6, tcp(B6, A6, 443, 52000, 9000, 7001, SYN | ACK, opts=MSS))),
    eth(B_MAC, A_MAC, 0x0800, ipv4(A, B, 17, udp(A, B, 40001, 9, b'discard me'), 11)),
]

with open('pcaps/sample.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    t = 1700000000
    for i, fr in enumerate(frames):
        if len(fr) < 60:
            fr += b'\0' * (60 - len(fr))
        f.write(struct.pack('<IIII', t, 100000 + i * 12345, len(fr), len(fr)))
        f.write(fr)
