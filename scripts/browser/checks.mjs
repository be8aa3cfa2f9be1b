// What both browser tests share: Debian's Chromium launched headless the way this
// machine needs (no background networking: the network is closed), and a tally of
// named checks that sets the exit code.
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export class Checks {
  passed = 0;
  failed = 0;

  check(name, ok, detail = "") {
    if (ok) this.passed += 1;
    else this.failed += 1;
    console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? " — " + detail : ""}`);
  }

  /// Prints the tally and exits non-zero if any check failed.
  finish() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed === 0 ? 0 : 1);
  }
}
