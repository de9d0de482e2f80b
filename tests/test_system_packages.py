"""Without the Debian packages some tests need, the suite still collects and runs the rest: the
tests that need a missing package skip, counted on one line that names it."""

import os
import re
import subprocess
import sys
import warnings

import pytest

from conftest import ROOT

# A browser test, two PDF tests, and tests of the same files that need neither.
SAMPLE = ["tests/test_browser.py",
          "tests/test_case_documents.py::test_slips_as_pdf_carry_their_chinese_text",
          "tests/test_case_documents.py::test_slips_are_only_for_the_case_and_its_scope",
          "tests/test_supervision_report.py::test_the_report_as_pdf_carries_its_figures",
          "tests/test_pdf.py"]


def run_pytest(pretend_missing: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DAIBAN_TEST_PG_URL"}
    env["DAIBAN_PRETEND_MISSING"] = pretend_missing
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SAMPLE],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("missing", "named_for_pdf"), [
    ("chromium,fonts-noto-cjk", "fonts-noto-cjk"),  # the machine of issue 16: Pango, nothing else
    ("chromium,fonts-noto-cjk,libpangoft2-1.0-0", "libpangoft2-1.0-0"),
])
def test_a_bare_machine_skips_only_what_needs_the_missing_packages(missing, named_for_pdf):
    run = run_pytest(missing)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    hint = "run scripts/install-system-packages"
    for package in ("chromium", named_for_pdf):
        assert re.search(rf"^\d+ skipped: needs Debian package {package}: {hint}$", out, re.M), out
    assert "SKIPPED [" not in out and "error" not in out.lower()
    last = out.strip().splitlines()[-1]
    assert " passed" in last and int(last.split(" passed")[0].split()[-1]) >= 5, last


def test_an_unknown_package_name_is_refused():
    run = run_pytest("chromum")
    assert run.returncode != 0 and "DAIBAN_PRETEND_MISSING knows only" in run.stdout + run.stderr


def test_weasyprints_harfbuzz_deprecation_is_no_error_but_other_deprecations_are():
    warnings.warn("HarfBuzz-Subset will be required by future versions of WeasyPrint. "
                  "Please install this library with your package manager.", DeprecationWarning, stacklevel=1)
    with pytest.raises(DeprecationWarning):
        warnings.warn("something else is deprecated", DeprecationWarning, stacklevel=1)
