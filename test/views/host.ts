/**
 * A minimal MCP Apps host for the browser tests, on ext-apps' own host-side bridge: it puts a
 * view's HTML in a sandboxed iframe (scripts only, opaque origin, as hosts do), speaks the
 * postMessage protocol through AppBridge, hands the view a tool's input and result, and passes
 * the view's tool calls to the test (window.hostCallTool), which makes them on a real MCP client.
 */
import { AppBridge, type McpUiHostContext, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import "./window.js";

const context: McpUiHostContext = { theme: "light", displayMode: "inline", platform: "web" };
let bridge: AppBridge | undefined;

/** The user switched the host's theme: the bridge tells the view what changed. */
window.setTheme = (theme) => bridge?.setHostContext({ ...context, theme });

window.showView = async (html, input, result) => {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.id = "view";
  frame.style.cssText = "width: 900px; height: 420px; border: 0; display: block";
  frame.srcdoc = html;
  document.body.replaceChildren(frame);
  const view = new AppBridge(null, { name: "views-test-host", version: "1.0.0" }, { serverTools: {} }, { hostContext: context });
  bridge = view;
  view.oncalltool = (params) => window.hostCallTool(params.name, params.arguments ?? {});
  view.onsizechange = ({ height }) => {
    if (height !== undefined) frame.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => (view.oninitialized = () => resolve()));
  // Listening before the frame's script runs: it says ui/initialize as soon as it loads.
  await view.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
  await initialized;
  await view.sendToolInput({ arguments: input });
  await view.sendToolResult(result);
};
