package api

import (
	"reflect"
	"testing"
)

// TestEveryRouteMethodHasOneShape keeps the client's methods in go-github's
// shape: a route's method returns its value (if it has one), the *Response
// and the error, so no caller needs a second method for the Response.
func TestEveryRouteMethodHasOneShape(t *testing.T) {
	notRoutes := map[string]bool{"BaseURL": true, "Origin": true, "Do": true, "Raw": true}
	respType, errType := reflect.TypeOf((*Response)(nil)), reflect.TypeOf((*error)(nil)).Elem()
	ct := reflect.TypeOf((*Client)(nil))
	routes := 0
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if notRoutes[m.Name] {
			continue
		}
		routes++
		out := m.Type.NumOut()
		if out < 2 || out > 3 || m.Type.Out(out-1) != errType || m.Type.Out(out-2) != respType {
			t.Errorf("%s returns %v: want (value, *Response, error) or (*Response, error)", m.Name, m.Type)
		}
	}
	if routes < 15 {
		t.Errorf("only %d route methods seen", routes)
	}
}
