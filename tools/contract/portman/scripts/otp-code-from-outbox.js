// Setup of POST /auth/otp/verify: read the code that POST /auth/otp "sent"
// from the emulator's outbox (docs/api.md, "Emulator-only routes").
(function () {
  const origin = pm.variables.get('emulatorOrigin');
  const destination = pm.collectionVariables.get('otpDestination');
  pm.sendRequest({
    url: origin + '/_emulator/outbox?destination=' + encodeURIComponent(destination),
    method: 'GET',
    header: { Accept: 'application/json' }
  }, function (err, res) {
    if (err) {
      console.error('contract suite: reading the outbox failed: ' + err.message);
      return;
    }
    const valid = (res.json().messages || []).filter(function (m) { return m.status === 'valid'; });
    if (valid.length === 0) {
      console.error('contract suite: the outbox has no valid code for ' + destination);
      return;
    }
    pm.collectionVariables.set('otpCode', valid[valid.length - 1].code);
  });
})();
