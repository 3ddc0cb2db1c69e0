"""Driving the web client in a real headless Chromium (Debian's chromium and chromium-driver, which `make test`
installs: scripts/browser.sh) with Selenium, as a person would: by labels, buttons and what the screen says."""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = ROOT / "out" / "screenshots"  # written by every run, never committed (docs/screenshots/ has a copy)
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
WAIT_S = 30  # the local stack on a loaded 2-core machine: escrow steps and stream relays take seconds
# As the machine's notes say: without the background-networking flags Chromium's own calls are refused by the
# closed network, many at a time.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync")


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing: `make test` installs it (scripts/browser.sh)"
    return None


class Person:
    """One person's browser session on the web client."""

    def __init__(self, web_url: str, name: str, phone: bool = False) -> None:
        missing = browser_missing()
        if missing:
            raise RuntimeError(missing)  # a failure, not a skip: `make test` installs the browser
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        if phone:  # a window cannot be narrower than ~500 px: a phone's viewport is emulated instead
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
        else:
            options.add_argument("--window-size=1280,860")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.name = name
        self.web_url = web_url
        self.driver.get(web_url)

    def quit(self) -> None:
        with contextlib.suppress(WebDriverException):
            self.driver.quit()

    # -- finding and waiting ------------------------------------------------------------------------------------

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
        """Wait until condition() is truthy (retrying through a re-render) and return it; fail saying what."""
        def attempt(_: Any) -> Any:
            try:
                return condition()
            except StaleElementReferenceException:
                return None
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(attempt)
        except Exception as failure:
            self.screenshot(f"failed-{self.name}")
            raise AssertionError(f"{self.name}: gave up waiting for {what}; the screen says:\n"
                                 f"{self.text('body')[:2000]}\nconsole: {self.console()[-10:]}") from failure

    def find(self, css: str) -> WebElement:
        return self.wait(lambda: self._visible(css), f"'{css}'")

    def _visible(self, css: str) -> WebElement | None:
        for element in self.driver.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed():
                return element
        return None

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""

    def wait_text(self, css: str, needle: str) -> str:
        return self.wait(lambda: needle in self.text(css) and self.text(css), f"'{needle}' in '{css}'")

    def _button_now(self, label: str, within: str) -> WebElement | None:
        for scope in self.driver.find_elements(By.CSS_SELECTOR, within):
            for candidate in scope.find_elements(By.TAG_NAME, "button"):
                if candidate.is_displayed() and candidate.is_enabled() and candidate.text.strip().startswith(label):
                    return candidate
        return None

    def button(self, label: str, within: str = "body") -> WebElement:
        """A visible button whose text starts with label, inside the first element matching `within`."""
        return self.wait(lambda: self._button_now(label, within), f"a button '{label}' in '{within}'")

    def click(self, label: str, within: str = "body") -> None:
        """Click the button, finding it again if a live update redrew it in between."""
        def clicked() -> bool:
            button = self._button_now(label, within)
            if button is None:
                return False
            self.js("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
            return True
        self.wait(clicked, f"a button '{label}' in '{within}' to click")

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def console(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser")]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    # -- what people do -----------------------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> None:
        self.type("#sign-in input[name=email]", email)
        self.type("#sign-in input[name=password]", password)
        self.click("Sign in", "#sign-in")
        self.find("#me")

    def open_tab(self, label: str) -> None:
        self.click(label, "#nav")

    def balance(self) -> str:
        return self.text("#balance")
