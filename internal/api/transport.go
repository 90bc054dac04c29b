package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// classifyTransport names a transport failure for a person, with the host,
// and says whether it is permanent (docs/api.md): a refused connection, an
// unknown host and a TLS failure do not heal in the seconds a retry waits,
// so they are reported at once. Anything else (a reset, a timeout, a
// connection closed mid-answer) is transient and cause is "".
func classifyTransport(err error, host string) (cause string, permanent bool) {
	var dnsErr *net.DNSError
	var recordErr tls.RecordHeaderError
	var verifyErr *tls.CertificateVerificationError
	var alertErr tls.AlertError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case strings.HasPrefix(err.Error(), "net/http: invalid"), strings.HasPrefix(err.Error(), "net/http: nil"):
		// The request could not be written (a bad header, method or URL):
		// sending it again cannot help.
		return "the request could not be built: " + err.Error(), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + host + ": nothing is listening there", true
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout && !dnsErr.IsTemporary:
		return "unknown host " + hostOnly(host) + ": " + dnsErr.Err, true
	case errors.As(err, &verifyErr), errors.As(err, &unknownAuthority), errors.As(err, &hostnameErr), errors.As(err, &invalidCert):
		return "TLS failure with " + host + ": its certificate was not accepted (" + tlsReason(err) + ")", true
	case errors.As(err, &recordErr), errors.As(err, &alertErr),
		strings.Contains(err.Error(), "tls: "),
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS failure with " + host + ": " + tlsReason(err), true
	}
	return "", false
}

// tlsReason is the failure's text without the "tls: " or "x509: " prefix
// repeated by the wrapping errors.
func tlsReason(err error) string {
	msg := err.Error()
	for _, p := range []string{"tls: ", "x509: "} {
		if i := strings.Index(msg, p); i >= 0 {
			return msg[i:]
		}
	}
	return msg
}

// hostOf is the host[:port] of a URL, for messages.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Host
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
