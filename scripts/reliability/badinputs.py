#!/usr/bin/env python3
"""Generates bad inputs for every file and argument a user can feed `tally`,
runs them, and counts what went wrong (issue 17; part 60 of the suite).

Each input is known bad (or, for the "tricky good" lines mixed in, known
good). A bad input must be refused with a located reason: a usage line is
named in the rejects file by its line number; a supply, customer or
rate-card file problem names file:line; an argument error prints "Error: …".
Counted as bugs, all of which must be 0:
  crashes           exit status >= 128 (a signal), or 1 (the "failure" kind: a bug)
  hangs             no answer within the timeout
  wrong acceptances a known-bad input accepted, or a good one refused
  unlocated         refused without naming the line / file it came from

Usage: badinputs.py --tally PATH --work DIR --count N --seed S --month YYYY-MM --now YYYY-MM-DD
(DATABASE_URL names a database with the shipped rates, customers cust-1…cust-5,
the supply sites and GPU types, and the market prices.)
Prints "figure NAME VALUE" lines and the first few failures.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import subprocess
import sys

p = argparse.ArgumentParser()
p.add_argument("--tally", required=True)
p.add_argument("--work", required=True)
p.add_argument("--count", type=int, default=1000)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--month", required=True)
p.add_argument("--now", required=True)
p.add_argument("--timeout", type=int, default=120)
args = p.parse_args()
rng = random.Random(args.seed)
os.makedirs(args.work, exist_ok=True)
TALLY, MONTH = args.tally, args.month

stats = {"inputs": 0, "crashes": 0, "hangs": 0, "wrong_acceptances": 0, "unlocated": 0, "processes": 0}
failures = []


def fail(kind, what):
    stats[kind] += 1
    if len(failures) < 40:
        failures.append(f"{kind}: {what}")


def run(argv, timeout=None):
    """Runs tally; returns (status, stdout, stderr) or None on a hang."""
    stats["processes"] += 1
    try:
        r = subprocess.run([TALLY] + argv, capture_output=True, timeout=timeout or args.timeout)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None


def crashed(result, what):
    """Counts a hang or crash; True when there was one."""
    if result is None:
        fail("hangs", what)
        return True
    status = result[0]
    if status < 0 or status >= 128 or status == 1:
        fail("crashes", f"{what}: exit {status}: {result[2][:300]!r}")
        return True
    return False


# ---------------------------------------------------------------- values
HUGE = ["9223372036854775808", "99999999999999999999999999", "-9223372036854775809", "18446744073709551616",
        "1" + "0" * 400]
BAD_COUNTS = ["-1", "1.5", "1e3", "1E400", "-0.0", "0x10", '"12"', "NaN", "Infinity", "-Infinity", "true", "null",
              "[1]", '{"a":1}', "100000001", "1_000", "+5", "01", "--1", "1e-3"] + HUGE
BAD_TIMES = [f"{MONTH}-03T10:00:00", f"{MONTH}-03 10:00:00", f"{MONTH}-03T10:00:00+16:00", f"{MONTH}-03T10:00:00-16:00",
             f"{MONTH}-31T25:00:00Z", f"{MONTH}-03T10:60:00Z", f"{MONTH}-03T10:00:61Z", f"{MONTH}-00T10:00:00Z",
             "1970-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
             "0001-01-01T00:00:00+01:00", "99999-01-01T00:00:00Z", "", "now", "2026", f"{MONTH}-03T10:00:00.1234567Z",
             f"{MONTH}-03T10:00:00ZZ", f"{MONTH}-03T10:00:00Z\u0000", "1e9", "-1"]
SQLISH = ["'; DROP TABLE usage_events; --", "\" OR 1=1 --", "cust-1'--", "$1", "%s%s%s", "\\x00", "${jndi:x}",
          "Robert'); DROP TABLE customers;--"]
CONTROL = ["\u0001", "\u001b[31m", "\u007f", "\u0085", "\u2028", "\ufeff"]


def event(i, **over):
    e = {"id": f"ev-{i}", "customer": f"cust-{1 + i % 5}", "model": "llama-3.3-70b-instruct",
         "timestamp": f"{MONTH}-{1 + i % 27:02d}T{i % 24:02d}:15:00Z", "input_tokens": 1000 + i, "cached_input_tokens": i % 7,
         "output_tokens": 100 + i % 50, "site": "us-ashburn-1", "tag": f"key-{i % 3}"}
    e.update(over)
    return e


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def bad_ndjson_line(i):
    """One known-bad usage line (bytes) and what is wrong with it."""
    e = event(i)
    kind = rng.randrange(16)
    if kind == 0:  # a count that is not a whole number in range
        field = rng.choice(["input_tokens", "cached_input_tokens", "output_tokens"])
        text = compact(e).replace(f'"{field}":{e[field]}', f'"{field}":{rng.choice(BAD_COUNTS)}')
        return text.encode(), f"{field} bad count"
    if kind == 1:
        e["timestamp"] = rng.choice(BAD_TIMES)
        return compact(e).encode(), "bad timestamp"
    if kind == 2:  # truncated
        text = compact(e)
        return text[: rng.randrange(1, len(text) - 1)].encode(), "truncated"
    if kind == 3:  # a raw NUL or control byte inside a string (invalid JSON), or an escaped NUL
        field = rng.choice(["id", "customer", "site", "tag", "model"])
        if rng.random() < 0.5:
            return compact(e).replace(f'"{field}":"', f'"{field}":"\\u0000', 1).encode(), "escaped NUL"
        raw = compact(e).encode().replace(f'"{field}":"'.encode(), f'"{field}":"'.encode() + bytes([rng.choice([0, 1, 8, 27, 31])]), 1)
        return raw, "raw control byte"
    if kind == 4:  # invalid UTF-8
        field = rng.choice(["id", "site", "tag"])
        return compact(e).encode().replace(f'"{field}":"'.encode(), f'"{field}":"\xff\xfe'.encode("latin-1"), 1), "invalid UTF-8"
    if kind == 5:
        e["id"] = "x" * rng.choice([201, 1000, 100000])
        return compact(e).encode(), "id too long"
    if kind == 6:
        e["site"] = "s" * 201
        return compact(e).encode(), "site too long"
    if kind == 7:
        e["customer"] = rng.choice(SQLISH + ["nobody", "", "CUST-1", " cust-1"])
        return compact(e).encode(), "unknown customer"
    if kind == 8:
        e["model"] = rng.choice(SQLISH + ["gpt-99", "", "llama-3.3-70b-instruct "])
        return compact(e).encode(), "unknown model"
    if kind == 9:
        del e[rng.choice(["id", "customer", "model", "timestamp", "site"])]
        return compact(e).encode(), "missing field"
    if kind == 10:  # wrong types
        field = rng.choice(["id", "customer", "model", "timestamp", "site"])
        e[field] = rng.choice([1, None, True, [1], {"a": 1}, 1.5])
        return compact(e).encode(), "wrong type"
    if kind == 11:
        return rng.choice([b"[1,2,3]", b"null", b"42", b'"text"', b"{", b"}", b"{}", b"\x00", b"\xef\xbb\xbf{}",
                           b'{"id":"a"}{"id":"b"}', b"{'id':'single'}", b'{"id":"1",}']), "not an event"
    if kind == 12:  # a key twice
        return compact(e)[:-1].encode() + b',"id":"other"}', "key twice"
    if kind == 13:  # unpaired surrogate
        return compact(e).replace('"site":"', '"site":"\\ud83d', 1).encode(), "lone surrogate"
    if kind == 14:  # a nested value under an unknown key
        e["extra"] = {"deep": [1, 2]}
        return compact(e).encode(), "nested unknown key"
    e["id"] = ""
    return compact(e).encode(), "empty id"


def good_ndjson_line(i):
    """A known-good line, some of them odd on purpose (stored verbatim)."""
    e = event(i)
    kind = rng.randrange(8)
    if kind == 0:
        e["id"] = rng.choice(SQLISH) + f"-{i}"
    elif kind == 1:
        e["id"] = f"ünïcødé-😀-{i}"
    elif kind == 2:
        e["timestamp"] = f"{MONTH}-10T10:15:00.123456+05:30"
    elif kind == 3:
        e["output_tokens"] = 100000000
    elif kind == 4:
        e["id"] = f"{i}-" + "y" * (200 - len(f"{i}-"))
    elif kind == 5:
        e["tag"] = "tag with spaces, commas; and 'quotes'"
    return compact(e).encode()


def usage_ndjson(n):
    """One file: bad lines and good lines interleaved, one process."""
    path = os.path.join(args.work, "usage.ndjson")
    bad, good_ids, lines = set(), 0, []
    base = 10_000_000
    for k in range(n):
        line, _ = bad_ndjson_line(base + k)
        lines.append(line)
        bad.add(len(lines))
        if k % 4 == 0:
            lines.append(good_ndjson_line(base + n + k))
            good_ids += 1
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    stats["inputs"] += n
    check_usage(path, "ndjson", bad, good_ids)


def check_usage(path, fmt, bad, good):
    rejects = path + ".rejects.ndjson"
    r = run(["usage", "ingest", path, "--format", fmt, "--rejects", rejects])
    if crashed(r, f"usage ingest {fmt}"):
        return
    status, out, err = r
    if status != 3:
        fail("wrong_acceptances", f"usage ingest {fmt}: exit {status} (expected 3): {out[:200]} {err[:200]}")
        return
    named = {}
    with open(rejects, encoding="utf-8") as f:
        for row in f:
            obj = json.loads(row)
            named[obj["line"]] = obj["reason"]
    for line in sorted(bad - set(named)):
        fail("wrong_acceptances", f"{fmt} line {line} accepted: {open(path, 'rb').read().splitlines()[line - 1][:160]!r}")
    for line in sorted(set(named) - bad):
        fail("wrong_acceptances", f"{fmt} good line {line} rejected: {named[line]}")
    for line, reason in named.items():
        if not reason.strip():
            fail("unlocated", f"{fmt} line {line}: empty reason")
    m = re.search(r"(\d+) accepted", out)
    if not m or int(m.group(1)) != good:
        fail("wrong_acceptances", f"{fmt}: {out.strip()[:200]} (expected {good} accepted)")


CSV_HEADER = "id,customer,model,timestamp,input_tokens,cached_input_tokens,output_tokens,site,tag"


def csv_field(v):
    v = str(v)
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\r\n') else v


def csv_row(e):
    return ",".join(csv_field(e.get(k, "")) for k in CSV_HEADER.split(","))


def bad_csv_row(i):
    e = event(i)
    kind = rng.randrange(9)
    if kind == 0:
        e[rng.choice(["input_tokens", "cached_input_tokens", "output_tokens"])] = rng.choice(
            [c for c in BAD_COUNTS if c not in ('"12"', "01", "+5", "null", "true", "-0.0")])
    elif kind == 1:
        e["timestamp"] = rng.choice([t for t in BAD_TIMES if "\u0000" not in t])
    elif kind == 2:
        e["customer"] = rng.choice(SQLISH + ["nobody"])
    elif kind == 3:
        e["model"] = rng.choice(SQLISH + ["gpt-99"])
    elif kind == 4:
        e["id"] = "x" * 201
    elif kind == 5:
        e[rng.choice(["id", "customer", "model", "timestamp", "site"])] = ""
    elif kind == 6:  # too few / too many fields
        row = csv_row(e)
        return (row.rsplit(",", 2)[0] if rng.random() < 0.5 else row + ",extra,fields").encode()
    elif kind == 7:
        return csv_row(e).encode().replace(b"us-ashburn-1", rng.choice([b"us\x00x", b"\xff\xfe", b"us\xc3x"]))
    else:
        e["site"] = "s" * 201
    return csv_row(e).encode()


def usage_csv(n):
    path = os.path.join(args.work, "usage.csv")
    lines, bad, good = [CSV_HEADER.encode()], set(), 0
    base = 20_000_000
    for k in range(n):
        lines.append(bad_csv_row(base + k))
        bad.add(len(lines))
        if k % 4 == 0:
            e = event(base + n + k)
            if k % 8 == 0:
                e["id"] = SQLISH[k % len(SQLISH)] + f"-{k}"
            lines.append(csv_row(e).encode())
            good += 1
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    stats["inputs"] += n
    check_usage(path, "csv", bad, good)


def whole_csv_refusals(n):
    """CSV files that are not CSV at all: refused whole, naming file:line."""
    cases = []
    for k in range(n):
        e = event(30_000_000 + k)
        kind = k % 4
        if kind == 0:
            body = CSV_HEADER + "\n" + csv_row(e) + "\n" + csv_row(e).replace("cust-", 'cu"st-') + "\n"
        elif kind == 1:
            body = CSV_HEADER + "\n" + '"' + csv_row(e) + "\n"
        elif kind == 2:
            body = CSV_HEADER + ",id\n" + csv_row(e) + ",x\n"
        else:
            body = CSV_HEADER + "\n" + csv_row(e) + '\n"unclosed,' + csv_row(e) + "\n"
        path = os.path.join(args.work, f"whole-{k}.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        cases.append((["usage", "ingest", path, "--rejects", path + ".rejects"], path, "file"))
    # A NUL byte in a customer or supply file: the file is refused, naming file:line.
    for k in range(max(2, n // 2)):
        path = os.path.join(args.work, f"nul-{k}.csv")
        with open(path, "wb") as f:
            if k % 2:
                f.write(b"id,name,billing_email,country,vat_id,tax_treatment,currency,card\nn1,N\x00,a@b.c,US,,standard,USD,\n")
                cases.append((["customers", "import", path], path, "file"))
            else:
                f.write(b"day,currency,rate\n" + f"{MONTH}-02".encode() + b",CAD,0.7\x00\n")
                cases.append((["supply", "import", path], path, "file"))
    return cases


def import_batches(kind, n, make_rows, header, command):
    """Files of at most 50 bad rows (every problem is shown up to 50): the
    whole file refused (exit 2), and every bad line named as file:line."""
    cases = []
    for b in range(0, n, 50):
        rows = [make_rows(b + k) for k in range(min(50, n - b))]
        path = os.path.join(args.work, f"{kind}-{b // 50}.csv" if kind != "fx_rates" else f"fx/{b // 50}/fx_rates.csv")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(header.encode() + b"\n" + b"\n".join(rows) + b"\n")
        stats["inputs"] += len(rows)
        cases.append((command + [path], path, set(range(2, 2 + len(rows)))))
    return cases


BAD_DECIMALS = ["abc", "1e5", "1E-3", "1.2.3", "-", "--1", "0x1F", "NaN", "Infinity", "1,5", "1/2",
                "99999999999999999999999999999999999999999999.1", "1" + "0" * 500, "١٢٣", "½", "1\u00a0000"]


def customer_row(i):
    f = {"id": f"new-{i}", "name": f"New {i}", "billing_email": f"ap@new{i}.example", "country": "US", "vat_id": "",
         "tax_treatment": "standard", "currency": "USD", "card": ""}
    kind = i % 9
    if kind == 0:
        f["billing_email"] = rng.choice(["bad", "a@", "@b.c", "a b@c.d", "", "a@b@c.d"])
    elif kind == 1:
        f["name"] = rng.choice(["", " ", "\u0001\u0002", "Acme\u001b[31m"])
    elif kind == 2:
        f["country"] = rng.choice(["XX1", "U", "USA", "", "us1", "12"])
    elif kind == 3:
        f["currency"] = rng.choice(["EURO", "US", "", "123", "usd1"])
    elif kind == 4:
        f["tax_treatment"] = rng.choice(["maybe", "", "STANDARD ", "exempt;drop"])
    elif kind == 5:
        f["card"] = rng.choice(["no-such-card"] + SQLISH)
    elif kind == 6:
        f["id"] = rng.choice(["", "x" * 5000])
    elif kind == 7:
        f["tax_treatment"], f["vat_id"], f["country"] = "reverse_charge", "", "FR"
    else:
        f["billing_email"] = rng.choice(["no at sign", "a@b", "a@@b.c"])
    return ",".join(csv_field(v) for v in f.values()).encode()


def fx_row(i):
    day = f"{MONTH}-{1 + i % 27:02d}"
    kind = i % 4
    if kind == 0:
        return f"{day},CAD,{csv_field(rng.choice(BAD_DECIMALS))}".encode()
    if kind == 1:
        return f"{day},{rng.choice(['XXXX', 'cad', '', 'C1D'])},0.7".encode()
    if kind == 2:
        return f"{rng.choice(['2026-13-01', '2026-02-30', 'yesterday', '', '20261101'])},CAD,0.7".encode()
    return f"{day},CAD,{rng.choice(['-0.7', '0', '-1'])}".encode()


def contract_row(i):
    f = ["rc-bad-%d" % i, "us-ashburn-1", "H100-80G", "4", f"{MONTH}-01T00:00:00Z", f"{MONTH}-28T00:00:00Z", "2.50", "0"]
    kind = i % 6
    if kind == 0:
        f[3] = rng.choice(["-4", "1.5", "9223372036854775808", "", "x"])
    elif kind == 1:
        f[4] = rng.choice(["2026-11-01", "soon", f"{MONTH}-01T00:00:00", ""])
    elif kind == 2:
        f[6] = rng.choice(BAD_DECIMALS)
    elif kind == 3:
        f[1] = rng.choice(["nowhere"] + SQLISH)
    elif kind == 4:
        f[4], f[5] = f[5], f[4]  # ends before it starts
    else:
        f[7] = rng.choice(BAD_DECIMALS[:8])
    return ",".join(csv_field(v) for v in f).encode()


CARD = """card: {name}
currency: USD
versions:
  - effective_from: 2026-10-01T00:00:00Z
    models:
      llama-3.3-70b-instruct:
        input: 0.40
        cached_input: 0.04
        output: 0.60
"""


def bad_card(i):
    name = f"bad{i}"
    text = CARD.format(name=name)
    kind = i % 12
    if kind == 0:
        text = text.replace("currency: USD", "currency: " + rng.choice(["EURO", "usd1", "''", "[USD]"]))
    elif kind == 1:
        text = text.replace("input: 0.40", "input: " + rng.choice(["-0.40", "1e3", "abc", "'0.4.0'", "99999999999999999999999999999999999999999999999", ".nan", ".inf"]))
    elif kind == 2:
        text = text[: rng.randrange(10, text.index("    models:"))]  # cut before any price
    elif kind == 3:
        text = text.replace("effective_from: 2026-10-01T00:00:00Z", "effective_from: " + rng.choice(["2026-10-01", "yesterday", "2026-02-30T00:00:00Z", "2026-10-01T00:00:00"]))
    elif kind == 4:
        text = text.replace("    models:", "    models: {}")
    elif kind == 5:
        text = text.replace("  - effective_from", "\t- effective_from")
    elif kind == 6:
        text = text.replace("card: " + name, "card: " + name + "\ncard: other")
    elif kind == 7:
        text = text.replace("output: 0.60", "output:\n          tiers: volume\n          bands:\n            - { up_to: -5, price: 0.5 }\n            - { price: 0.4 }")
    elif kind == 8:
        text = "\x00" + text
    elif kind == 9:
        text = text.replace("versions:", "versions: []\nextra:")
    elif kind == 10:
        text = text.replace("card: " + name, "card: " + rng.choice(["", "'; DROP TABLE rate_cards; --", "x" * 5000]))
    else:
        text = text.replace("llama-3.3-70b-instruct:", "llama-3.3-70b-instruct: 5\n      other:")
    return name, text


def card_batches(n):
    cases = []
    for b in range(0, n, 40):
        folder = os.path.join(args.work, f"cards-{b // 40}")
        os.makedirs(folder, exist_ok=True)
        names = []
        for k in range(b, min(n, b + 40)):
            name, text = bad_card(k)
            with open(os.path.join(folder, name + ".yaml"), "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            names.append(os.path.join(folder, name + ".yaml"))
        stats["inputs"] += len(names)
        cases.append((["rates", "check", folder], folder, names))
    return cases


MODEL = "llama-3.3-70b-instruct"


def bad_volume(i):
    kind = i % 10
    if kind == 0:
        return f"{MODEL}:input=" + rng.choice(["-1", "1.5", "1e400", "2.5e0", "0x10", "", "abc", "1e-3", "NaN"] + HUGE)
    if kind == 1:
        return rng.choice(["gpt-99", "", " ", "'; DROP TABLE quotes; --", "x" * 5000]) + ":input=1000"
    if kind == 2:
        return f"{MODEL}:" + rng.choice(["input", "input=", "=5", "inputs=5", "input=1,input=2", "input=1,,output=2", "input:1"])
    if kind == 3:
        return rng.choice([MODEL, f"{MODEL}:", ":", "", ",", f"{MODEL}::input=1"])
    if kind == 4:
        return f"{MODEL}:output=" + rng.choice(["1e2000", "-0", "1,000", "1_000", "1 000"])
    if kind == 5:
        return f"{MODEL}:input=1" + rng.choice(CONTROL)
    if kind == 6:
        return f"{MODEL}:input=" + rng.choice(["9" * 40, "9223372036854775807e9", "1e19"])
    if kind == 7:
        return f"{MODEL}:cached=1e9,cached=2"
    if kind == 8:
        return f"{MODEL}:input=1e9,output=1e9,extra=5"
    return f"{MODEL}:input=0,cached=0,output=0" + rng.choice(["x", ",", "=", ";"])


def bad_args(i):
    """Known-bad command lines."""
    period = rng.choice(["2026-13", "2026-00", "99999-01", "", "2026-1", "2026-11-01", "-2026-11", "2026/11", "1e3", "now",
                         "2026-11\u0001", "0000-01", "x" * 5000, "'; DROP TABLE invoices; --"])
    date = rng.choice(["2026-02-30", "2026-13-01", "tomorrow", "", "20261101", "2026-11-01T00:00:00", "-1", "9999999-01-01"])
    money = rng.choice(["-5", "1e3", "abc", "1.2.3", "99999999999999999999999999999999999999", "NaN", "", "0x10", "5 USD"])
    pct = rng.choice(["150%", "-5%", "1e400%", "abc", "%", "100.0001%", "99999999999999999999%"])
    cust = rng.choice(["nobody", "'; DROP TABLE customers; --", "x" * 5000, "", "cust-1\u0001"])
    choices = [
        ["invoice", "run", "--period", period],
        ["invoice", "finalize", "--period", period],
        ["invoice", "finalize", "--period", f"{MONTH}", "--date", date],
        ["invoice", "show", rng.choice(["INV-2026-99999999999999999999", "INV--1", "", "x" * 5000, "nobody/" + period])],
        ["invoice", "mark-paid", "INV-2026-000001", "--date", date],
        ["usage", "show", "--customer", cust, "--period", MONTH],
        ["usage", "show", "--customer", "cust-1", "--period", period],
        ["usage", "generate", "--month", MONTH, "--events", rng.choice(["-1", "1e3", "9223372036854775808", "x"]), "--out", "/dev/null"],
        ["credits", "grant", "--customer", "cust-1", "--amount", money, "USD", "--expires", args.now, "--reason", "r"],
        ["credits", "grant", "--customer", cust, "--amount", "1.00", "USD", "--expires", args.now, "--reason", "r"],
        ["rate", "--customer", cust, "--period", MONTH],
        ["quote", "--prospect", "P", "--volume", f"{MODEL}:input=1", "--discount", pct],
        ["quote", "--prospect", "P", "--volume", f"{MODEL}:input=1", "--floor", pct],
        ["quote", "--prospect", "P", "--volume", f"{MODEL}:input=1", "--valid-days", rng.choice(["-1", "0", "99999999999999999999", "x"])],
        ["quote", "--prospect", "P", "--volume", f"{MODEL}:input=1", "--as-of", date],
        ["customers", "add", "--id", rng.choice(["", "x" * 5000]), "--name", "N", "--email", "a@b.c", "--country", "US", "--currency", "USD"],
        ["customers", "add", "--id", "c-x", "--name", "N", "--email", "bad", "--country", "US", "--currency", "USD"],
        ["cost", "--from", date, "--to", args.now],
        ["margin", "--period", period],
    ]
    return rng.choice(choices)


def run_argument_case(argv, label, located):
    r = run(argv, timeout=60)
    if crashed(r, f"{label}: {[a[:60] for a in argv]}"):
        return
    status, out, err = r
    if status == 0:
        fail("wrong_acceptances", f"{label} accepted: {[a[:60] for a in argv]}: {out[:160]!r}")
    elif not err.startswith("Error: ") or (located and located not in err):
        fail("unlocated", f"{label}: {[a[:60] for a in argv]}: {err[:200]!r}")


def main():
    n = args.count
    # Shares of the inputs per kind (≥ 10,000 in all for --count 10000).
    share = {"ndjson": 0.35, "csv": 0.2, "whole_csv": 0.01, "supply": 0.1, "customers": 0.1, "cards": 0.06, "volumes": 0.09, "args": 0.09}
    k = {key: max(4, int(n * v)) for key, v in share.items()}
    usage_ndjson(k["ndjson"])
    usage_csv(k["csv"])
    batch = []
    batch += [(c, "usage csv refused whole", "file") for c in whole_csv_refusals(k["whole_csv"])]
    stats["inputs"] += k["whole_csv"] + max(2, k["whole_csv"] // 2)
    batch += [(c, "customers import", "rows") for c in import_batches("customers", k["customers"], customer_row,
              "id,name,billing_email,country,vat_id,tax_treatment,currency,card", ["customers", "import"])]
    batch += [(c, "supply fx", "rows") for c in import_batches("fx_rates", k["supply"] // 2, fx_row, "day,currency,rate", ["supply", "import"])]
    batch += [(c, "supply contracts", "rows") for c in import_batches("reserved_contracts", k["supply"] - k["supply"] // 2, contract_row,
              "id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee", ["supply", "import"])]
    batch += [(c, "rates check", "cards") for c in card_batches(k["cards"])]
    for i in range(k["volumes"]):
        batch.append(((["quote", "--prospect", f"P{i}", "--volume", bad_volume(i), "--as-of", args.now], None, None), "quote volume", "arg"))
    for i in range(k["args"]):
        batch.append(((bad_args(i), None, None), "arguments", "arg"))
    stats["inputs"] += k["volumes"] + k["args"]

    def one(item):
        (argv, path, expect), label, kind = item
        if "\x00" in "".join(argv):
            return  # argv cannot carry NUL: the kernel cuts it
        if kind == "arg":
            run_argument_case(argv, label, None)
            return
        r = run(argv)
        if crashed(r, f"{label} {path}"):
            return
        status, out, err = r
        if status != 2:
            fail("wrong_acceptances", f"{label} {path}: exit {status} (expected 2): {err[:200]!r}")
            return
        if kind == "file":
            if os.path.basename(path) not in err:
                fail("unlocated", f"{label} {path}: {err[:200]!r}")
        elif kind == "rows":
            named = {int(m) for m in re.findall(re.escape(os.path.basename(path)) + r":(\d+):", err)}
            for line in sorted(expect - named):
                fail("wrong_acceptances", f"{label} {path}:{line} not named: {open(path, 'rb').read().splitlines()[line - 1][:120]!r}")
        elif kind == "cards":
            for name in expect:
                if os.path.basename(name) not in err:
                    fail("wrong_acceptances", f"{label} {name} not named: {open(name, 'rb').read()[:200]!r}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, batch))
    for key in ["inputs", "processes", "crashes", "hangs", "wrong_acceptances", "unlocated"]:
        print(f"figure {key} {stats[key]}")
    for line in failures:
        print("  " + line[:400])
    return 0 if all(stats[key] == 0 for key in ["crashes", "hangs", "wrong_acceptances", "unlocated"]) else 1


sys.exit(main())
