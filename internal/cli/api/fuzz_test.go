package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// FuzzFields parses -f and -F arguments (one per line of each input) as
// `zupy api` does: they are refused with a usage error (exit 2, nothing
// sent), or they give a JSON body holding every top-level field name and a
// query string; a -F number is a JSON number of the same value.
func FuzzFields(f *testing.F) {
	for _, seed := range [][2]string{
		{"name=ci", "rate_limit=100\nenabled=true\ndescription=null"},
		{"", "permissions[]=loyalty:read\npermissions[]=keys:rotate"},
		{"", "a[b][c]=1\na[b][d]=x"},
		{"", "n=1.5\nm=-2e3\nh=0x10\ni=Inf\nj=NaN\nk=1_000"},
		{"", "x=+1\ny=01\nz=.5\nw=5."},
		{"name=a\nname=b", ""},
		{"a=1", "a[]=2"},
		{"a[]=1", "a[x]=2"},
		{"", "a[]x=1\n[x]=1\na[=1\na[][]=1\n=1\nnoequals"},
		{"q=a&b=c d", "body=@-"},
		{"", "f=@/nonexistent"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, raw, typed string) {
		o := &APIOptions{
			IO:       ui.Test(strings.NewReader("from stdin"), &bytes.Buffer{}, &bytes.Buffer{}),
			ReadFile: func(context.Context, string, int64) ([]byte, error) { return nil, os.ErrNotExist },
		}
		if raw != "" {
			o.RawFields = strings.Split(raw, "\n")
		}
		if typed != "" {
			o.TypedFields = strings.Split(typed, "\n")
		}
		usage := func(stage string, err error) {
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("-f %q -F %q: %s error %v is not a usage error", o.RawFields, o.TypedFields, stage, err)
			}
		}
		fields, err := o.fields(context.Background())
		if err != nil {
			usage("parse", err)
			return
		}
		_ = encodeQuery(fields)
		body, err := encodeBody(fields)
		if err != nil {
			usage("body", err)
			return
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("-f %q -F %q: body %q is not a JSON object: %v", o.RawFields, o.TypedFields, body, err)
		}
		for _, fl := range fields {
			segs, _ := parseKey(fl.key)
			if _, ok := obj[segs[0]]; !ok {
				t.Fatalf("-f %q -F %q: body %s lacks %q", o.RawFields, o.TypedFields, body, segs[0])
			}
			n, isNum := fl.value.(json.Number)
			if !isNum || len(segs) != 1 {
				continue
			}
			got, ok := obj[segs[0]].(json.Number)
			if !ok {
				t.Fatalf("-F %s: body %s holds %v, not a number", fl.key, body, obj[segs[0]])
			}
			a, okA := new(big.Float).SetString(string(n))
			b, okB := new(big.Float).SetString(string(got))
			if !okA || !okB || a.Cmp(b) != 0 {
				t.Fatalf("-F %s=%s: body %s holds %s", fl.key, n, body, got)
			}
		}
	})
}
