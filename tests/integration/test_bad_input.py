"""Hostile and sloppy control input: over-long lines, NUL bytes, empty lines,
lowercase verbs, extra spaces, Telnet IAC sequences, unknown commands, and
clients that go quiet or never finish a line (idle_session_timeout)."""

import time

import pytest


def test_overlong_line_then_in_sync(srv):
    c = srv.login_ctl()
    c.send_raw(b"NOOP " + b"x" * 10000 + b"\r\n")
    code, text = c.reply()
    assert code == 500 and "too long" in text
    c.expect("NOOP", 200)
    c.expect("PWD", 257)


def test_nul_empty_unknown_lowercase_spaces(srv):
    c = srv.login_ctl()
    c.send_raw(b"NOOP\x00x\r\n")
    assert c.reply()[0] == 500
    c.send_raw(b"DELE a\x00b\r\n")
    assert c.reply()[0] == 500
    c.send_raw(b"\r\n")
    assert c.reply()[0] == 500
    c.expect("FOOBAR", 500)
    c.expect("VERYLONGVERBNAMEOVERSIXTEEN", 500)
    c.expect("noop", 200)
    c.expect("NoOp", 200)
    c.expect("NOOP   ", 200)           # trailing spaces after a bare verb
    c.expect("   NOOP", 500)           # no verb before the first space
    c.expect("type i", 200)
    c.expect("PWD extra", 501)
    c.expect("DELE", 501)
    c.expect("ACCT x", 502)
    c.send_raw(b"NOOP\n")               # bare LF is accepted
    assert c.reply()[0] == 200


def test_telnet_sequences_stripped(srv):
    c = srv.login_ctl()
    c.send_raw(b"\xff\xf4\xff\xf2NOOP\r\n")       # IAC IP IAC DM
    assert c.reply()[0] == 200
    c.send_raw(b"\xff\xfb\x01NO\xff\xfe\x03OP\r\n")  # WILL ECHO, DONT SGA
    assert c.reply()[0] == 200


def test_commands_before_login(srv):
    c = srv.ctl()
    for cmd in ("RETR x", "STOR x", "DELE x", "MKD x", "SIZE x", "REST 1",
                "ABOR", "MLST", "SITE HELP", "APPE x", "RNFR x"):
        c.expect(cmd, 530)


def test_idle_session_timeout(server):
    s = server(idle_session_timeout=2)
    c = s.login_ctl()
    t0 = time.monotonic()
    assert c.eof(timeout=6)
    assert any("421" in l for l in c.transcript)
    assert 1.5 < time.monotonic() - t0 < 6


def test_unfinished_line_times_out(server):
    s = server(idle_session_timeout=2)
    c = s.login_ctl()
    t0 = time.monotonic()
    c.send_raw(b"NOO")
    # trickling bytes does not reset the clock for one line
    for _ in range(3):
        time.sleep(0.5)
        c.send_raw(b"O")
    assert c.eof(timeout=6)
    assert 1.5 < time.monotonic() - t0 < 6
