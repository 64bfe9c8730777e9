"""The one-positional-count command line shared by the hand-run benchmark scripts."""

from __future__ import annotations

import argparse


def count_arg(doc: str, name: str, default: int) -> int:
    """Parse ``script.py [NAME]`` (a positive int, ``default`` when absent), with ``--help`` from ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(name, nargs="?", type=int, default=default, help=f"{name} (default {default})")
    value = getattr(parser.parse_args(), name)
    if value < 1:
        parser.error(f"{name} must be at least 1, got {value}")
    return value
