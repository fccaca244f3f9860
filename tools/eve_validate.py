#!/usr/bin/env python3
"""Validates EVE JSON lines against Suricata's own EVE schema.

    eve_validate.py SCHEMA EVE.json [EVE.json...]

As ../shared/corpus/README.md says, every "additionalProperties": false is
dropped first: each field Suricata defines must keep Suricata's name, type
and meaning, and sipwire's additions are extra keys. Also checks what the
schema cannot: every line is one JSON object with timestamp and
event_type. Prints one line per file ("ok FILE N records" or the first
errors) and exits 1 if any record is invalid.
"""
import json
import sys

import jsonschema


def relax(node):
    if isinstance(node, dict):
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        for v in node.values():
            relax(v)
    elif isinstance(node, list):
        for v in node:
            relax(v)
    return node


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = relax(json.load(f))
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema)
    bad = 0
    for path in argv[2:]:
        n = 0
        errors = []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                n += 1
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    errors.append(f"{path}:{lineno}: not JSON: {e}")
                    continue
                if not isinstance(rec, dict) or "timestamp" not in rec or "event_type" not in rec:
                    errors.append(f"{path}:{lineno}: missing timestamp or event_type")
                    continue
                for err in validator.iter_errors(rec):
                    where = "/".join(str(p) for p in err.absolute_path)
                    errors.append(f"{path}:{lineno}: {rec['event_type']}: {where}: {err.message}")
        if errors:
            bad += 1
            print(f"invalid {path}: {len(errors)} errors in {n} records")
            for e in errors[:10]:
                print("  " + e)
        else:
            print(f"ok {path} {n} records")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
