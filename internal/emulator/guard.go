package emulator

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"

	"github.com/zupy/zupy-cli/internal/wire"
)

// The answers of the request guard (docs/api.md: the emulator's routes need no
// credential, so a web page must not reach them).
var (
	errHostNotAllowed = errorf(http.StatusForbidden, wire.CodePermission, wire.ErrHostNotAllowed,
		"Host not allowed: this emulator answers loopback hosts and those named with --allowed-host")
	errOriginNotAllowed = errorf(http.StatusForbidden, wire.CodePermission, wire.ErrOriginNotAllowed,
		"Origin not allowed: this emulator refuses requests from web pages of other origins")
	errContentType = errorf(http.StatusUnsupportedMediaType, wire.CodeValidation, wire.ErrUnsupportedMediaType,
		"Content-Type: must be application/json", wire.DetailField, "Content-Type")
)

// errDuplicateAuth is the 401 of a request with more than one Authorization
// header, worded as the route's credential would be.
func errDuplicateAuth(keyRoute bool) *apiError {
	msg := wire.MsgInvalidSessionToken
	if keyRoute {
		msg = wire.MsgInvalidAPIKeyFormat
	}
	return errorf(http.StatusUnauthorized, wire.CodeAuthentication, wire.ErrDuplicateAuthorization, msg)
}

// guard refuses what no route may answer, before routing: a Host that is not
// loopback nor allowed (DNS rebinding), a browser Origin that is not
// loopback nor allowed (cross-site requests, Origin: null included), and a
// path that is not in its clean form ("//", "/./", "/../": ServeMux would
// answer those with an HTML redirect).
func (s *Server) guard(r *http.Request) *apiError {
	if !s.hostAllowed(hostOnly(r.Host)) {
		return errHostNotAllowed
	}
	if o, ok := r.Header["Origin"]; ok && !s.originAllowed(o) {
		return errOriginNotAllowed
	}
	if !cleanPath(r.URL.Path) {
		return errNotFoundRoute
	}
	return nil
}

// guardRouted applies the rules that depend on the route matched: a body
// must be JSON (a cross-site form posts text/plain, urlencoded or multipart),
// and more than one Authorization header is a 401 on every route.
func (s *Server) guardRouted(r *http.Request, pattern string) *apiError {
	if len(r.Header["Authorization"]) > 1 {
		return errDuplicateAuth(s.keyRoutes[pattern])
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return errContentType
		}
	}
	return nil
}

// hostOnly is the host of a Host header value, without port or brackets,
// lower case.
func hostOnly(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

// isLoopbackHost reports whether h (from hostOnly) names this machine:
// localhost, a *.localhost name (RFC 6761), or a loopback address.
func isLoopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

func (s *Server) hostAllowed(h string) bool {
	return h != "" && (isLoopbackHost(h) || s.allowedHosts[h])
}

// originAllowed: one Origin, an http(s) URL of an allowed host. "null" (a
// sandboxed page, a file: URL, a redirect) is refused.
func (s *Server) originAllowed(values []string) bool {
	if len(values) != 1 {
		return false
	}
	u, err := url.Parse(values[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return s.hostAllowed(hostOnly(u.Host))
}

// cleanPath reports whether p is in the form path.Clean gives it (a trailing
// slash kept).
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean == p
}

// NormalizeAllowedHost checks one --allowed-host value, a host name or IP
// address without port or scheme, and returns it as the guard compares it.
func NormalizeAllowedHost(h string) (string, bool) {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
	if strings.HasPrefix(n, "[") && strings.HasSuffix(n, "]") {
		n = n[1 : len(n)-1]
		return n, isIPv6(n)
	}
	if _, err := netip.ParseAddr(n); err == nil {
		return n, !strings.Contains(n, "%")
	}
	if n == "" || len(n) > 253 {
		return "", false
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return "", false
		}
	}
	return n, true
}

func isIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}
