#!/usr/bin/env python3
"""Check the page of `movielens-rec serve` in headless Chromium, as a person would use it.

    python tools/check_demo.py

Trains a small next-movie model and a fair MF on synthetic data (seconds), starts `movielens-rec serve` on a free
port, opens the page in Debian's chromium through chromedriver, types three titles as a person would (lower case,
without the article), asks for recommendations and checks the ten that come back; then types a title that does not
exist and checks the message. Exits non-zero on any failure; says SKIPPED when chromium or chromedriver is missing.
"""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from movielens_rec.data.movielens import load_movielens
from movielens_rec.data.synthetic import make_synthetic_movielens
from movielens_rec.models.trained import TrainedModel
from movielens_rec.runner import run_model


def trained_run(folder: Path) -> list[str]:
    "A run folder with a small next-movie model and a fair MF, as a comparison keeps them; the titles of three of its movies."
    ml = load_movielens(make_synthetic_movielens(folder / "ml", n_users=120, n_movies=80, watch_chain=True))
    quick = {"n_boot": 10, "progress": False, "log": False}
    small = {"length": 32, "stride": 32, "d_model": 16, "ff_dim": 32, "epochs": 3}
    run_model("next-item", ml, folder / "run" / "runs" / "next-item-seed0", settings=small, **quick)
    run_model("mf-fair", ml, folder / "run" / "runs" / "mf-fair-seed0", **quick)
    return TrainedModel.load(folder / "run" / "runs" / "next-item-seed0" / "model").movies.labels[:3].tolist()


def as_typed(title: str) -> str:
    "A title as a person types it: no year, no trailing article, lower case."
    return re.sub(r", (The|Le)\b", "", re.sub(r"\s*\(\d{4}\)$", "", title)).lower()


def chromium(browser: str, driver_path: str):
    "Headless Debian Chromium through chromedriver."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1300,1200",
                 f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_path), options=options)


def use_page(driver, url: str, titles: list[str]):
    "Type `titles` into the page, ask, and check the answer; then ask for a film that does not exist."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(url)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#titles option"))
    boxes = driver.find_elements(By.CSS_SELECTOR, ".film .title")
    assert len(boxes) == 3, f"{len(boxes)} title boxes"
    for box, title in zip(boxes, titles):
        box.send_keys(as_typed(title))
    driver.find_element(By.ID, "go").click()
    rows = WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#picks tr")[1:] or d.find_element(By.ID, "error").text)
    assert isinstance(rows, list), f"the page answered {rows!r}"
    picked = [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows]
    assert len(picked) == 10 and all(picked), f"recommendations: {picked}"
    assert not set(picked) & set(titles), "a film of the history was recommended"
    print(f"  ten recommendations for {[as_typed(t) for t in titles]}: {picked[:3]} ...")
    boxes[2].clear()
    boxes[2].send_keys("A Film Nobody Made")
    driver.find_element(By.ID, "go").click()
    message = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "error").text or None)
    assert "'A Film Nobody Made' is no title here" in message, message
    assert not driver.find_elements(By.CSS_SELECTOR, "#picks tr"), "the old table is still shown"
    print(f"  an unknown title: {message!r}")


def main() -> int:
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver_path):
        print("SKIPPED the demo page check: Debian's chromium and chromium-driver are not installed "
              "(apt-get install chromium chromium-driver).")
        return 0
    folder = Path(tempfile.mkdtemp())
    titles = trained_run(folder)
    command = [sys.executable, "-m", "movielens_rec", "serve", "--run", str(folder / "run"), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)
        print(f"+ movielens-rec serve: {url}")
        driver = chromium(browser, driver_path)
        try:
            use_page(driver, url, titles)
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait()
    print("the demo page works in Chromium")
    return 0


if __name__ == "__main__":
    sys.exit(main())
