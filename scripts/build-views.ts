/**
 * Builds each MCP Apps view (views/<name>/) into one self-contained HTML file, dist/views/<name>.html:
 * esbuild bundles main.ts with ext-apps and lightweight-charts, and the script and the styles are
 * inlined, so the frame that shows it never loads anything. Run by `npm run build`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { build } from "esbuild";

const VIEWS = ["price", "spending"] as const;
const root = new URL("../", import.meta.url);
const out = new URL("dist/views/", root);

await mkdir(out, { recursive: true });
for (const view of VIEWS) {
  const dir = new URL(`views/${view}/`, root);
  const bundle = await build({
    entryPoints: [new URL("main.ts", dir).pathname],
    bundle: true,
    write: false,
    minify: true,
    format: "iife",
    target: "es2022",
    platform: "browser",
    outdir: "out",
    legalComments: "none",
    logLevel: "warning",
  });
  const output = (ext: string) => bundle.outputFiles.find((file) => file.path.endsWith(ext))?.text ?? "";
  // "</script" or "</style" inside the code would end the inline element early.
  const script = output(".js").replaceAll("</script", "<\\/script");
  const style = output(".css").replaceAll("</style", "<\\/style");
  const template = await readFile(new URL("index.html", dir), "utf8");
  // Function replacers: the bundle contains "$&"-like sequences a string replacement would expand.
  // The placeholders as the formatter lays them out, on one line or three.
  const placeholders = { style: /<style>\s*\/\* styles \*\/\s*<\/style>/, script: /<script>\s*\/\* script \*\/\s*<\/script>/ };
  if (!placeholders.style.test(template) || !placeholders.script.test(template))
    throw new Error(`views/${view}/index.html lacks the style or script placeholder`);
  const html = template.replace(placeholders.style, () => `<style>${style}</style>`).replace(placeholders.script, () => `<script>${script}</script>`);
  await writeFile(new URL(`${view}.html`, out), html);
  process.stderr.write(`views: dist/views/${view}.html (${Math.round(html.length / 1024)} KB)\n`);
}
