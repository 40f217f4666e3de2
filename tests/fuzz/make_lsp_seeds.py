#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_lsp (tests/fuzz/corpus/lsp/): short client sessions of
`sluice lsp`, well-formed and hostile. Run from the repository root; the files are committed."""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "lsp")
URI = "file:///tmp/fuzz_lsp/policy.sl"

POLICY = """import std.protocols;
// café 😀 comment before names
const WEB_NET = 10.1.0.0/16;
port web1 { mac 02:00:0a:01:00:05; ip 10.1.0.5; vni 5001; layers acl; }
meter m1 { rate 10Mbps; }
routes rt { 10.0.0.0/8 -> port web1; 0.0.0.0/0 -> drop; }
layer acl {
    default deny;
    in {
        group admin priority 10 match src_ip WEB_NET {
            rule ssh priority 1 match proto tcp dst_port SSH action allow, meter m1;
        }
    }
}
assert a isolated WEB_NET -> RFC1918;
"""


def frame(obj):
    body = json.dumps(obj, ensure_ascii=False).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def req(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return frame(m)


def note(method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    return frame(m)


def pos(line, ch):
    return {"textDocument": {"uri": URI}, "position": {"line": line, "character": ch}}


INIT = req(1, "initialize", {"processId": None, "capabilities": {}}) + note("initialized", {})
OPEN = note("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "sluice", "version": 1, "text": POLICY}})
BYE = req(99, "shutdown") + note("exit")

seeds = {
    "full_session": INIT + OPEN + req(2, "textDocument/hover", pos(9, 48)) +
        req(3, "textDocument/definition", pos(10, 57)) +
        req(4, "textDocument/documentSymbol", {"textDocument": {"uri": URI}}) +
        note("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2},
                                        "contentChanges": [{"text": POLICY.replace("SSH", "SSHH")}]}) +
        note("textDocument/didClose", {"textDocument": {"uri": URI}}) + BYE,
    "before_initialize": req(1, "textDocument/hover", pos(0, 0)) + OPEN + note("exit"),
    "garbage_headers": b"nonsense\r\n\r\nContent-Length: -5\r\n\r\nContent-Length: 99999999999999999999\r\n\r\n" +
        b"Content-Length: 3\r\n\r\n{x}" + INIT + b"Content-Type: x\r\n\r\n" + BYE,
    "oversized_length": INIT + b"Content-Length: 16777217\r\n\r\n" + b"x" * 64,
    "wrong_types": INIT + req(2, "textDocument/hover", {"textDocument": {"uri": 5}, "position": {"line": -1, "character": "a"}}) +
        req("s", "textDocument/documentSymbol", "x") + frame({"jsonrpc": "2.0", "id": [], "method": "shutdown"}) +
        frame({"jsonrpc": "1.0", "id": 3, "method": "shutdown"}) + frame([1, 2]) + frame({"jsonrpc": "2.0", "id": 4, "result": None}) +
        note("textDocument/didOpen", {"textDocument": "x"}) + req(5, "no/such") + BYE,
    "incremental_changes": INIT + OPEN + note("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 2, "character": 6}, "end": {"line": 2, "character": 13}}, "text": "NET"},
        {"range": {"start": {"line": 999, "character": 0}, "end": {"line": 0, "character": 999}}, "text": "x"},
        {"range": {"start": {"line": 1, "character": 9}, "end": {"line": 1, "character": 10}}, "text": ""}]}) +
        req(2, "textDocument/documentSymbol", {"textDocument": {"uri": URI}}) + BYE,
    "utf16_positions": INIT + OPEN + b"".join(req(10 + c, "textDocument/hover", pos(1, c)) for c in range(0, 16, 3)) +
        req(30, "textDocument/hover", pos(100000, 5)) + req(31, "textDocument/definition", pos(2, 1 << 40)) + BYE,
    "deep_nesting": INIT + (lambda b: b"Content-Length: %d\r\n\r\n" % len(b) + b)(b"[" * 200 + b"]" * 200) + BYE,
    "imports_missing": INIT + note("textDocument/didOpen", {"textDocument": {"uri": URI, "version": 1,
        "text": 'import "nowhere.sl";\nimport std.nosuch;\nimport "x.txt";\nconst A = 1;\n'}}) + BYE,
    "untitled_uri": INIT + note("textDocument/didOpen", {"textDocument": {"uri": "untitled:Untitled-1", "version": 1, "text": "const A = ;"}}) +
        req(2, "textDocument/hover", {"textDocument": {"uri": "untitled:Untitled-1"}, "position": {"line": 0, "character": 6}}) + note("exit"),
    "exit_without_shutdown": INIT + note("exit"),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
with open(os.path.join(OUT, "README.md"), "w") as f:
    f.write("Seeds for fuzz_lsp (`sluice lsp`, cli/lsp/): client sessions written by\n"
            "tests/fuzz/make_lsp_seeds.py, well-formed and hostile (framing, types, positions).\n")
