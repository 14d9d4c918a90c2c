"""The helper process that parses fetched feeds while the harvesting process stores.

Parsing is most of a harvest's work and CPU-bound, so on two cores a helper nearly
halves a harvest of many feeds. The helper never touches the network or the database:
it gets a document's bytes and answers its entries with their dedup keys.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from functools import partial

from forum.intelligence.dedup import PreparedEntry
from forum.intelligence.harvest_store import read_entries

log = logging.getLogger(__name__)

Reader = Callable[[bytes, str], list[PreparedEntry] | str]


def start_helper(stack: ExitStack) -> Reader:
    """Start the helper (stopped when `stack` closes); answers a `read_entries` that runs
    in it."""
    spawn = multiprocessing.get_context("spawn")  # no fork of a threaded process
    parser = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
    return partial(_read_in_helper, parser)


def _read_in_helper(
    helper: ProcessPoolExecutor, body: bytes, base_url: str
) -> list[PreparedEntry] | str:
    """`read_entries` in the helper process; here instead if the helper died.

    The helper does not tag: most entries of a feed are usually known already, and
    tagging them all would cost more than it saves (measured: 46 s instead of 16 s for
    a second harvest of the benchmark's 10,000 known entries, under load).
    """
    try:
        return helper.submit(read_entries, body, base_url).result()
    except Exception as exc:  # BrokenProcessPool, mostly
        log.warning("feed helper process failed (%r); parsing in-process", exc)
        return read_entries(body, base_url)
