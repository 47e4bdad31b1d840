"""report.html after every score: self-contained, escaped, the same for the same inputs, and
rendered by a real headless Chromium with every chart decoded and no console error."""

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from repurchase.reports.run_report import _table

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ["Lists", "Scores by band", "The models on their holdout", "What drives the scores today", "Contact hours",
            "Drift", "Lift of earlier lists"]
#: appended to a copy of the report in the test only: the page says whether every image decoded
CHECK = """<script>window.addEventListener("load", () => {
  const imgs = [...document.images]; const bad = imgs.filter(i => !(i.complete && i.naturalWidth > 0));
  document.title = "checked " + imgs.length + " images, " + bad.length + " broken";
  if (bad.length) console.error("broken image: " + bad[0].alt);
});</script>"""


def _score(synthetic_dir, bundles_dir, as_of, out, *extra):
    from repurchase.cli import main

    code = main(["score", str(synthetic_dir), "--as-of", as_of, "--out", str(out), "--models", str(bundles_dir),
                 "--set", "models.timing_horizons_days=[7]", *extra])
    assert code == 0
    return (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def runs(synthetic_dir, bundles_dir, score_as_of, tmp_path_factory):
    """The same scoring twice into new directories, then again into the first (a previous run there)."""
    base = tmp_path_factory.mktemp("report")
    first = _score(synthetic_dir, bundles_dir, score_as_of, base / "a")
    again = _score(synthetic_dir, bundles_dir, score_as_of, base / "b")
    later = _score(synthetic_dir, bundles_dir, score_as_of, base / "a")
    return base, first, again, later


def test_every_score_writes_a_self_contained_report(runs):
    base, first, again, _ = runs
    for heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in first
    # nothing fetched from anywhere: every image is inline, no script, no stylesheet link
    assert re.findall(r'src="(?!data:image/png;base64,)', first) == []
    assert "<script" not in first and "<link" not in first and "://" not in first
    assert first.count("<img") == 6  # bands, (gains, calibration) x 2 models, SHAP x 2, contact hours
    assert first == again  # the same inputs, the same report


def test_drift_is_judged_against_the_previous_run_and_time_growing_features_only_so(runs):
    base, first, _, later = runs
    drift = pd.read_csv(base / "a" / "drift.csv")
    assert drift["psi_previous"].notna().all() and (drift["psi_previous"] < 1e-9).all()  # the same population
    grows = drift.loc[drift["grows_with_time"]]
    assert len(grows) and (grows["judged_psi"] == grows["psi_previous"]).all()
    stays = drift.loc[~drift["grows_with_time"]]
    assert (stays["judged_psi"] == stays["psi"]).all()
    assert "judged against the previous run only" in later and "judged against the previous run only" in first
    assert "previous run" in later


def test_text_from_the_data_is_escaped():
    html = _table([["<script>alert(1)</script>", 3]], ["category", "n"], [0, 0])
    assert "<script>" not in html and "&lt;script&gt;" in html


def _chromium() -> str:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "chromium.sh")], capture_output=True, text=True, timeout=900)
    if done.returncode == 3:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _render(browser: str, page: Path, shot: Path) -> tuple[str, list[str]]:
    """The DOM after load and the page's console messages, then a screenshot."""
    flags = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr",
             "--v=0", "--allow-file-access-from-files"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()], capture_output=True,
                   timeout=120, check=True)
    return dom.stdout, console


def test_the_report_renders_in_headless_chromium_and_a_broken_one_is_caught(runs, tmp_path):
    base, first, _, _ = runs
    browser = _chromium()
    n_images = first.count("<img")
    page = tmp_path / "report.html"
    page.write_text(first.replace("</body>", CHECK + "</body>"), encoding="utf-8")
    dom, console = _render(browser, page, tmp_path / "report.png")
    assert f"<title>checked {n_images} images, 0 broken</title>" in dom
    assert console == []
    assert (tmp_path / "report.png").stat().st_size > 50_000  # a page with charts, not a blank one
    # the check can fail: one chart's bytes cut short
    broken = re.sub(r"base64,([A-Za-z0-9+/]{40})[A-Za-z0-9+/=]+", r"base64,\1", first, count=1)
    page.write_text(broken.replace("</body>", CHECK + "</body>"), encoding="utf-8")
    dom, console = _render(browser, page, tmp_path / "broken.png")
    assert f"<title>checked {n_images} images, 1 broken</title>" in dom
    assert any("broken image" in line for line in console)
