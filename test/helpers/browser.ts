import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import puppeteer, { type Browser, type Frame, type Page } from "puppeteer-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Debian's chromium, or a failure saying how to get it: a browser test that skips proves nothing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No browser at ${CHROMIUM}: the view tests need Debian's chromium. Run .ci/run, or apt-get update && apt-get install -y --no-install-recommends chromium`,
    );
  }
  return puppeteer.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"], defaultViewport: { width: 940, height: 800 } });
}

/** The test host page's script (test/views/host.ts with ext-apps' AppBridge), bundled once. */
export async function hostScript(): Promise<string> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("../views/host.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    logLevel: "warning",
  });
  return bundle.outputFiles[0]!.text;
}

/**
 * Records every request the page or its frames make, except inline content (data:, about:,
 * blob:) and the `allowed` URLs, and refuses it: a view must not reach any network.
 */
export async function recordRequests(page: Page, allowed: string[] = []): Promise<string[]> {
  const outside: string[] = [];
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = request.url();
    if (/^(data|about|blob):/.test(url) || allowed.includes(url)) return void request.continue();
    outside.push(url);
    void request.abort();
  });
  return outside;
}

/** The view's frame inside the host page. */
export async function viewFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector("#view");
  const frame = await handle!.contentFrame();
  if (!frame) throw new Error("the view's iframe has no frame");
  return frame;
}

/**
 * Pixels painted on the canvases under `selector`: how many are opaque, and how many have each
 * of `colors` (hex, ±12 per channel, for antialiasing). A chart that drew nothing counts 0.
 */
export function paintedPixels(frame: Frame, selector: string, colors: string[] = []) {
  return frame.evaluate(
    (selector, colors) => {
      const wanted = colors.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
      const counts = { opaque: 0, colors: colors.map(() => 0), canvases: 0 };
      for (const canvas of document.querySelectorAll<HTMLCanvasElement>(`${selector} canvas`)) {
        if (canvas.width === 0 || canvas.height === 0) continue;
        counts.canvases++;
        const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3]! < 200) continue;
          counts.opaque++;
          wanted.forEach((rgb, c) => {
            if (rgb.every((value, k) => Math.abs(value - pixels[i + k]!) <= 12)) counts.colors[c]!++;
          });
        }
      }
      return counts;
    },
    selector,
    colors,
  );
}
