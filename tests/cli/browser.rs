//! The HTML report as a person would see it: the demo store's report of
//! 2026-10, in Chinese and in English, opened in headless Chromium by
//! tests/browser/check_report.py, which fails on any network request or
//! console error, counts the charts shown with their titles, checks that the
//! page names its period, and saves a screenshot and an A4 PDF (left in
//! target/tmp/browser/ to look at). scripts/test installs Chromium and a font
//! with Chinese glyphs (`need_browser`) and names the browser in
//! DESK_TEST_CHROMIUM.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{test_tool, TestEnv};

/// The charts of the demo store's report: types, themes, handling,
/// satisfaction, NPS, sentiment, SLA, the agents' load and scores, backlog.
const DEMO_CHARTS: usize = 10;

fn checker() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_report.py")
}

/// Runs the checker on `page` with `args`, the screenshot and PDF going
/// to `out`. The checker needs only Python's standard library: the Python of
/// the mail tests (DESK_TEST_PYTHON) does, else python3.
fn check(page: &Path, out: &Path, args: &[&str]) -> (bool, String, String) {
    let python = test_tool("DESK_TEST_PYTHON", "python3");
    let chromium = test_tool("DESK_TEST_CHROMIUM", "/usr/bin/chromium");
    let result = Command::new(&python)
        .arg(checker())
        .arg(page)
        .arg("--out")
        .arg(out)
        .arg("--chromium")
        .arg(&chromium)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} runs tests/browser/check_report.py ({e}); run the tests with scripts/test, \
                 which installs what they need",
                python.to_string_lossy()
            )
        });
    (
        result.status.success(),
        String::from_utf8_lossy(&result.stdout).into_owned(),
        String::from_utf8_lossy(&result.stderr).into_owned(),
    )
}

/// A folder under target/tmp/browser/, emptied, for what a check leaves.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the demo store's report of 2026-10 in `lang` into a copy of
/// examples/demo (the shipped store is only read) and checks it in the
/// browser.
fn demo_report_in_the_browser(lang: &str, html_lang: &str) {
    let mut env = TestEnv::empty();
    env.at("2026-11-23T18:00:00+08:00");
    let mut shipped = TestEnv::empty();
    shipped.root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    for (path, bytes) in shipped.snapshot() {
        let to = env.path("demo").join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }
    let out = out_dir(lang);
    let page = out.join("report.html");
    env.run(&[
        "--dir",
        "demo",
        "report",
        "--month",
        "2026-10",
        "--lang",
        lang,
        "--html",
        page.to_str().unwrap(),
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<svg").count(), DEMO_CHARTS, "{html}");

    let (ok, stdout, stderr) = check(
        &page,
        &out,
        &[
            "--period",
            "2026-10",
            "--min-charts",
            &DEMO_CHARTS.to_string(),
        ],
    );
    assert!(
        ok,
        "the {lang} report failed its check in the browser (scripts/test installs Chromium):\n\
         {stderr}{stdout}"
    );
    // The checker's one line: what it counted, in which page.
    let counted = format!("{DEMO_CHARTS} charts of {DEMO_CHARTS} <svg> shown with their titles");
    assert!(stdout.contains(&counted), "{stdout}");
    assert!(stdout.contains(&format!("(lang {html_lang})")), "{stdout}");
    for file in ["report.png", "report.pdf"] {
        let size = std::fs::metadata(out.join(file)).unwrap().len();
        assert!(size > 10_000, "{file}: {size} bytes");
    }
}

#[test]
fn the_chinese_demo_report_shows_every_chart_and_asks_nothing_of_the_network() {
    demo_report_in_the_browser("zh", "zh-CN");
}

#[test]
fn the_english_demo_report_shows_every_chart_and_asks_nothing_of_the_network() {
    demo_report_in_the_browser("en", "en");
}

/// The check can fail: a page with an image from the network, an error on
/// its console and a drawing without a title is refused, each named.
#[test]
fn the_check_refuses_a_page_that_reaches_out_or_logs_an_error() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/reaches_out.html");
    let out = out_dir("reaches_out");
    let (ok, stdout, stderr) = check(&page, &out, &["--period", "2026-10"]);
    assert!(!ok, "the check passed a page that reaches out:\n{stdout}");
    for expected in [
        "the page made a network request: http://127.0.0.1:9/x.png",
        "the page logged an error: console.error: an error on purpose",
        "an <svg> that is not a chart as shown",
        "names 2026-10",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
    }
    // It looked at the page to the end: the screenshot and PDF are there.
    assert!(out.join("reaches_out.png").is_file() && out.join("reaches_out.pdf").is_file());
}
