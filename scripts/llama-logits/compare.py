#!/usr/bin/env python3
"""Max |logit difference| and greedy agreement between two files of logits JSON lines (llama-logits
and phd logits print the same format): compare.py A.jsonl B.jsonl"""
import json
import sys

a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert len(a) == len(b), "different prompt counts"
worst, same, total = 0.0, 0, 0
for x, y in zip(a, b):
    assert x["tokens"] == y["tokens"], "different tokens for " + repr(x["prompt"])
    for rx, ry in zip(x["logits"], y["logits"]):
        worst = max(worst, max(abs(p - q) for p, q in zip(rx, ry)))
    gx, gy = x.get("greedy", []), y.get("greedy", [])
    n = 0
    while n < min(len(gx), len(gy)) and gx[n] == gy[n]:
        n += 1
    same += n
    total += max(len(gx), len(gy))
print(f"max |diff| {worst:.3g}, greedy ids equal {same}/{total} (up to the first divergence)")
