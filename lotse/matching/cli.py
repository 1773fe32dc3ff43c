"""Command line: ``python -m lotse.matching solve|check|verify`` (see docs/matching.md).

Exit codes: 0 success (``verify``: the certificate is confirmed); 1 ``check`` found an
infeasible assignment or blocking pairs, or ``verify`` found the certificate wrong;
2 bad input (the message on stderr names the offending item, never a traceback); 3 an internal
error of the engine (a bug: the traceback follows on stderr). Code 1 is never used for errors,
so that a script can tell "unstable" from "could not check".
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .certificate import make_certificate, verify_certificate
from .check import check
from .instance import InstanceError
from .io import _seed, instance_from_dict, load_json, read_assignment, result_to_dict
from .mechanisms import MECHANISMS, solve

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_REFUTED", "main"]

EXIT_OK = 0
EXIT_REFUTED = 1  # infeasible or unstable (check), certificate not confirmed (verify)
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lotse.matching",
        description="Allocate childcare seats by deferred acceptance and check the outcome.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="compute an assignment")
    p_solve.add_argument("instance", type=Path, help="instance JSON file")
    p_solve.add_argument("--out", type=Path, required=True, help="where to write the result JSON")
    p_solve.add_argument(
        "--mechanism", choices=sorted(MECHANISMS), default="child_da", help="default: child_da"
    )
    p_solve.add_argument(
        "--seed", type=int, default=None, help="lottery seed (overrides the instance's)"
    )
    p_solve.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds for the exact mechanism (default 60)",
    )
    p_solve.add_argument(
        "--no-explanations", action="store_true", help="omit per-child reasons from the result"
    )
    p_solve.add_argument(
        "--certificate", type=Path, default=None, help="also write a fairness certificate here"
    )
    p_verify = sub.add_parser(
        "verify", help="recompute a fairness certificate from its contents alone"
    )
    p_verify.add_argument("certificate", type=Path, help="certificate JSON file")
    p_check = sub.add_parser("check", help="verify feasibility and count blocking pairs")
    p_check.add_argument("instance", type=Path)
    p_check.add_argument("result", type=Path)
    p_check.add_argument(
        "--seed",
        type=int,
        default=None,
        help="lottery seed (default: the result's lottery.seed, else the instance's)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            return _solve(args)
        if args.command == "verify":
            return _verify(args)
        return _check(args)
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("error: not enough memory for this instance", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception:
        traceback.print_exc()
        print("internal error: please report it with the input that caused it", file=sys.stderr)
        return EXIT_INTERNAL


def _solve(args: argparse.Namespace) -> int:
    if args.seed is not None:
        _seed(args.seed, "--seed")
    data = load_json(args.instance)
    instance = instance_from_dict(data, seed=args.seed)
    if not 0 < args.time_limit <= 86_400:
        raise InstanceError("--time-limit must be between 0 and 86400 seconds")
    result = solve(instance, args.mechanism, time_limit=args.time_limit)
    report = check(instance, result.assigned_wish)
    out = result_to_dict(result, explanations=not args.no_explanations, check=report)
    _write(args.out, out)
    if args.certificate is not None:
        _write(args.certificate, make_certificate(data, result))
    stats = result.stats
    print(
        f"{args.mechanism}: {stats.assigned} of {stats.children} children assigned, "
        f"{stats.by_wish[0] if stats.by_wish else 0} with their first wish, "
        f"{result.rounds} rounds, {report.blocking_pairs} blocking pairs"
        + (f" ({result.exact['status']})" if result.exact else "")
        + f" -> {args.out}"
    )
    return 0


def _write(path: Path, data: Any) -> None:
    try:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    except OSError as exc:
        raise InstanceError(f"{path}: cannot write ({exc.strerror})") from None


def _verify(args: argparse.Namespace) -> int:
    report = verify_certificate(load_json(args.certificate))
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    return EXIT_OK if report.confirmed else EXIT_REFUTED


def _check(args: argparse.Namespace) -> int:
    result = load_json(args.result)
    seed = args.seed
    lottery = result.get("lottery") if isinstance(result, dict) else None
    if seed is None and isinstance(lottery, dict) and isinstance(lottery.get("seed"), int):
        # The ranks depend on the lottery: check against the seed the result was drawn with.
        seed = lottery["seed"]
    if seed is not None:
        _seed(seed, "lottery seed")
    instance = instance_from_dict(load_json(args.instance), seed=seed)
    assigned, violations = read_assignment(instance, result)
    report = check(instance, assigned)
    summary = report.as_dict()
    summary["violations"] = violations + summary["violations"]
    summary["feasible"] = not summary["violations"]
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return EXIT_OK if summary["feasible"] and report.stable else EXIT_REFUTED
