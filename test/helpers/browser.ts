// Headless Chromium (Debian's, driven by playwright-core) for the web UI's tests: a page that
// records console errors, presents the profile's client certificate to the masters when they
// require one (mutual TLS), and writes screenshots under a directory the test owns.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { secure, securityProfile } from "./security.ts";

export const CHROMIUM = "/usr/bin/chromium";

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (npm test does it as root)`);
}

export interface UiPage {
  browser: Browser;
  page: Page;
  /** Console errors and page errors, in order. */
  errors: string[];
  screenshot(name: string): Promise<string>;
}

/** A fresh browser and page; `origins` (host:port) are the masters the page may reach. */
export async function openBrowser(origins: string[], shots_dir: string): Promise<UiPage> {
  requireChromium();
  // Root in a container: Chromium's sandbox needs user namespaces it may not have.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  const profile = secure() ? securityProfile() : null;
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    ...(profile === null ? {} : {
      ignoreHTTPSErrors: true, // the test CA is not in Chromium's store
      clientCertificates: origins.map((origin) => ({ origin: `https://${origin}`, certPath: profile.cert_file, keyPath: profile.key_file })),
    }),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return {
    browser, page, errors,
    async screenshot(name: string) {
      const path = join(shots_dir, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}
