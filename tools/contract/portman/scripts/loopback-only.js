// Collection pre-request script of the contract suite (tools/contract/README.md):
// the suite creates, rotates and revokes keys, so it refuses to send a request
// anywhere but to a loopback address. run-newman.js checks the base URLs before
// the run; this checks every request as it is about to go, variables resolved,
// skips it and fails the run. (A script's error alone would not stop Newman
// from sending the request.)
(function () {
  const url = pm.variables.replaceIn(pm.request.url.toString());
  const loopback = /^http:\/\/(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]+)?(\/|$)/i;
  if (!loopback.test(url)) {
    console.warn('contract suite: refusing ' + pm.request.method + ' ' + url.replace(/[?#].*$/, '') +
      ': only a zupy emulator on a loopback address may be tested');
    pm.execution.skipRequest();
  }
})();
