// The sandbox proxy of the test host (MCP Apps: a web host puts the view behind a proxy on another origin). Served
// with the extension's default CSP as an HTTP header; the view's HTML is written into an inner iframe, which
// inherits that policy, and messages are relayed both ways except the proxy's own.
const inner = document.createElement('iframe');
inner.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms');
inner.style.cssText = 'border:0;width:100%;height:100%';
document.body.append(inner);
const hostOrigin = new URL(document.referrer).origin;
window.addEventListener('message', (e) => {
  if (e.source === window.parent) {
    if (e.origin !== hostOrigin) return;
    if (e.data?.method === 'ui/notifications/sandbox-resource-ready') {
      const doc = inner.contentDocument;
      doc.open();
      doc.write(e.data.params.html);
      doc.close();
    } else inner.contentWindow?.postMessage(e.data, '*');
  } else if (e.source === inner.contentWindow) {
    window.parent.postMessage(e.data, hostOrigin);
  }
});
window.parent.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/sandbox-proxy-ready', params: {} }, hostOrigin);
