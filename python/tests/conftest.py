import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def seed_text():
    return (ROOT / "seeds" / "000_f93aa94b4d3c9c3a.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def neardup_bin():
    """The CLI binary, for the tests shared with it: $NEARDUP_BIN, target/release/neardup of
    this checkout, or `neardup` on PATH."""
    for cand in (os.environ.get("NEARDUP_BIN"), str(ROOT / "target" / "release" / "neardup"), shutil.which("neardup")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    if os.environ.get("NEARDUP_REQUIRE_BIN"):
        pytest.fail("the neardup binary is required (NEARDUP_REQUIRE_BIN) but was not found")
    pytest.skip("the neardup binary is not built (cargo build --release); set NEARDUP_BIN")
