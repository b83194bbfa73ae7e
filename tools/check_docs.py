#!/usr/bin/env python3
"""Build the documentation site without Quarto and check it in headless Chromium.

    python tools/check_docs.py [--report FILE]

Builds the site from the current notebooks (tools/build_docs), then opens every page of the sidebar in Debian's
chromium through chromedriver and checks its title, its saved plots, an API entry for every exported name, the
sidebar, every internal link and the search box. Exits non-zero on any failure; says SKIPPED when chromium or
chromedriver is missing. With --report, also writes what each page showed, with the run's provenance, to FILE
(JSON; the docs chapter shows it).
"""
import argparse
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from fastcore.test import test_eq
from nbdev.doclinks import _nbpath2html

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--report", type=Path, metavar="FILE", help="write what each page showed, with provenance, to FILE")
args = parser.parse_args()
started = time.time()
root = Path(__file__).resolve().parent.parent
site = Path(tempfile.mkdtemp())/"site"
built = subprocess.run([str(root/"tools"/"build_docs"), "--out", str(site)], capture_output=True, text=True)
assert built.returncode == 0, built.stdout + built.stderr
def flatten(entries) -> tuple[list, dict]:
    "The chapters of a sidebar's `contents`, in order, and the section each sits in (None at the top)."
    chapters, sections = [], {}
    for entry in entries:
        if isinstance(entry, dict):
            inner, _ = flatten(entry["contents"])
            chapters += inner
            sections |= {c: entry["section"] for c in inner}
        else:
            chapters.append(entry)
            sections[entry] = None
    return chapters, sections

chapters, sections = flatten(yaml.safe_load((root/"nbs"/"sidebar.yml").read_text())["website"]["sidebar"]["contents"])
test_eq(len(chapters), len(list((root/"nbs").rglob("[!_.]*.ipynb"))))  # every notebook is in the sidebar
by_folder = {}  # each folder of nbs/ is one section of the sidebar; the front page is in none
for chapter, section in sections.items(): by_folder.setdefault(Path(chapter).parent.as_posix(), set()).add(section)
test_eq(by_folder.pop("."), {None})
test_eq(sorted(len(s) for s in by_folder.values()), [1] * len(by_folder))
test_eq(len({s for found in by_folder.values() for s in found}), len(by_folder))
page = lambda chapter: _nbpath2html(Path(chapter)).as_posix()  # nbdev's page names: 1_data/01_movielens.ipynb -> 1_data/movielens.html
pages = [site/page(c) for c in chapters]
test_eq([p.exists() for p in pages], [True] * len(pages))
print(f"built {len(pages)} chapter pages into {site}")

def expectations(chapter: str) -> dict:
    "Title, number of saved plots and exported names that the page of notebook `chapter` must show."
    nb = json.loads((root/"nbs"/chapter).read_text())
    title = re.match(r"#\s+(.+)", "".join(nb["cells"][0]["source"])).group(1).strip()
    images = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    exported = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.match(r"#\|\s*export\s*$", source.splitlines()[0] if source else ""):
            exported += re.findall(r"^(?:def|class) ([A-Za-z]\w*)", source, flags=re.M)
            # methods added with fastcore's @patch are documented as Class.method
            patched = re.findall(r"^@patch.*\ndef (\w+)\((?:self|cls): (\w+)", source, flags=re.M)
            exported = [n for n in exported if n not in {name for name, _ in patched}] + [f"{c}.{n}" for n, c in patched]
    return {"title": title, "images": images, "api": exported}

test_eq(expectations("1_data/03_encoding.ipynb")["api"], ["IdEncoder", "IdEncoder.encode", "IdEncoder.decode", "IdEncoder.label",
                                                     "IdEncoder.encode_labels", "IdEncoder.save", "IdEncoder.load",
                                                     "fit_encoders", "TensorRatings", "keep_batch", "ratings_dataset"])

browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
if not (browser and driver_path):  # noqa
    print("SKIPPED the browser checks: Debian's chromium and chromium-driver are not installed "
          "(apt-get install chromium chromium-driver). The site above was built but not opened.")

class QuietHandler(SimpleHTTPRequestHandler):
    "Serves files without logging each request."
    def log_message(self, *args): pass

class QuietServer(ThreadingHTTPServer):
    "A threading HTTP server that ignores browsers hanging up early (they cancel requests they no longer need)."
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError): super().handle_error(request, client_address)

def serve(folder):
    "Serve `folder` on a free port of 127.0.0.1 in a background thread; returns the server."
    server = QuietServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

def chromium():
    "Headless Debian Chromium through chromedriver, with the browser console log enabled."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1300,1800",
                 f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)

def check_page(driver, base: str, chapter: str) -> dict:
    "Open one chapter's page and check title, console, images and API entries; returns what was found."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    want = expectations(chapter)
    driver.get(f"{base}/{page(chapter)}")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{chapter}: console errors {errors}"
    title = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "h1")).text
    assert title == want["title"], f"{chapter}: title {title!r}, expected {want['title']!r}"
    loaded = driver.execute_script("return [...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
    assert loaded >= want["images"], f"{chapter}: {loaded} images loaded, the notebook saved {want['images']} plots"
    headings = {h.text.strip() for h in driver.find_elements(By.CSS_SELECTOR, "h2, h3, h4")}
    missing = [name for name in want["api"] if name not in headings]
    assert not missing, f"{chapter}: no API entry for {missing}"
    sidebar = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#quarto-sidebar a[href]")]
    shown_sections = [e.get_attribute("textContent").strip() for e in
                      driver.find_elements(By.CSS_SELECTOR, "#quarto-sidebar .sidebar-item-section > .sidebar-item-container .menu-text")]
    assert shown_sections == list(dict.fromkeys(s for s in sections.values() if s)), f"{chapter}: sidebar sections {shown_sections}"
    internal = [h for h in (a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]")) if h.startswith(base)]
    return {"chapter": chapter, "title": title, "images": loaded, "api_entries": len(want["api"]), "sidebar_links": sidebar,
            "internal_links": internal}

def check_search(driver, base: str, word: str, chapter: str):
    "Type `word` into the search box and check that `chapter` is among the results."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(f"{base}/index.html")
    box = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".smalldocs-search input"))
    box.send_keys(word)
    results = WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".search-result"))
    hrefs = [r.get_attribute("href") for r in results]
    assert any(h.split("#")[0].endswith("/" + page(chapter)) for h in hrefs), f"search for {word!r} gave {hrefs}"

if browser and driver_path:
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    driver = chromium()
    try:
        found = [check_page(driver, base, chapter) for chapter in chapters]
        # The sidebar lists every chapter, and every link within the site (sidebar, text, API) resolves.
        sidebar_pages = {link.split("#")[0] for page in found for link in page["sidebar_links"]}
        test_eq(sidebar_pages, {f"{base}/{page(c)}" for c in chapters})
        targets = {link.split("#")[0] for page in found for link in page["internal_links"]}
        broken = [t for t in sorted(targets) if not (site/t[len(base) + 1:]).is_file()]
        test_eq(broken, [])
        # Search finds chapters by words that appear in them.
        for word, chapter in (("checksum", "1_data/01_movielens.ipynb"), ("quicksort", "1_data/02_splitting.ipynb"), ("bootstrap", "1_data/04_metrics.ipynb")):
            check_search(driver, base, word, chapter)
        # Screenshots of the home page and one chapter, kept with the built site.
        (site/"screenshots").mkdir(exist_ok=True)
        for name in ("index", "1_data/movielens"):
            driver.get(f"{base}/{name}.html"); driver.save_screenshot(str(site/"screenshots"/f"{name.replace('/', '-')}.png"))
    finally:
        driver.quit(); server.shutdown()
    print(*(f"{p['chapter']}: title ok, {p['images']} images, {p['api_entries']} API entries" for p in found), sep="\n")
    print(f"sidebar lists all {len(sidebar_pages)} chapters; {len(targets)} internal link targets resolve; search ok; "
          f"screenshots in {site/'screenshots'}")
    if args.report:
        from movielens_rec.data.files import write_atomic
        from movielens_rec.evaluate.provenance import provenance
        version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip()
        report = {
            "pages": [{k: p[k] for k in ("chapter", "title", "images", "api_entries")} | {"sidebar_section": sections[p["chapter"]]} for p in found],
            "internal_link_targets": len(targets),
            "seconds": round(time.time() - started, 1),
            "provenance": provenance(device=f"{version} headless, {platform.machine()}", command=" ".join(["python", "tools/check_docs.py", *sys.argv[1:]])),
        }
        write_atomic(args.report, json.dumps(report, indent=1) + "\n")
        print(f"report in {args.report}")
