"""Makes `import search` mean the application's package while the tests run.

pytest puts tests/ on sys.path (its rootdir-less conftest.py and test modules), where
this directory would shadow the application's `search` package. Imported as `search`,
this file loads the real package in its place and adds this directory to its path,
so that both `from search import SearchDoc` and the test modules here (collected as
`search.test_*`) import. Setting `pythonpath = ["."]` for pytest would make it
unnecessary.
"""

import importlib.util
import sys
from pathlib import Path

_here = Path(__file__).resolve().parent
_real = _here.parents[1] / "search"
_spec = importlib.util.spec_from_file_location(
    "search", _real / "__init__.py", submodule_search_locations=[str(_real), str(_here)]
)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules["search"] = _module
_spec.loader.exec_module(_module)
