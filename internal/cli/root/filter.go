package root

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/itchyny/gojq"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// outputFilter is --jq or --template (docs/production-and-staging.md, `zupy help environment`): the command writes its JSON
// into a buffer, and the filter's result goes to the real stdout once the
// command is done. Both are checked before any command runs.
type outputFilter struct {
	jq     *gojq.Code
	tmpl   *template.Template
	out    io.Writer // the real stdout
	tty    bool      // whether it is a terminal
	buffer bytes.Buffer
}

// newOutputFilter compiles --jq or --template; a bad one is a usage error.
func newOutputFilter(jqExpr, tmpl string) (*outputFilter, error) {
	if jqExpr != "" && tmpl != "" {
		return nil, cmdutil.Usagef("--jq and --template cannot be used together")
	}
	f := &outputFilter{}
	if jqExpr != "" {
		q, err := gojq.Parse(jqExpr)
		if err != nil {
			return nil, cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("invalid --jq expression: %v", err)}, "Example: --jq '.[].key_id'")
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, &cmdutil.UsageError{Err: fmt.Errorf("invalid --jq expression: %v", err)}
		}
		f.jq = code
	} else {
		t, err := template.New("output").Funcs(templateFuncs).Option("missingkey=zero").Parse(tmpl)
		if err != nil {
			return nil, cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("invalid --template: %v", err)}, "Example: --template '{{range .}}{{.key_id}}{{\"\\n\"}}{{end}}'")
		}
		f.tmpl = t
	}
	return f, nil
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join": func(sep string, list []any) string {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, sep)
	},
}

// capture sends the command's stdout into the filter's buffer. The command
// then sees a stdout that is not a terminal, so it writes plain JSON.
func (f *outputFilter) capture(s *ui.IOStreams) {
	f.out, f.tty = s.Out, s.IsStdoutTTY()
	s.Out = &f.buffer
	s.SetTTY(s.IsStdinTTY(), false, s.IsStderrTTY())
}

// flush applies the filter to what the command wrote and prints the result
// as it comes, so that a filter with no end (repeat(1)) neither fills the
// memory nor outlives Ctrl-C: gojq stops when ctx is cancelled. Nothing
// written is nothing printed.
func (f *outputFilter) flush(ctx context.Context) error {
	data := bytes.TrimSpace(f.buffer.Bytes())
	if len(data) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("--jq/--template: the output is not JSON: %v", err)
	}
	if f.tmpl != nil {
		var b bytes.Buffer
		if err := f.tmpl.Execute(&b, doc); err != nil {
			return fmt.Errorf("--template: %v", err)
		}
		_, err := f.out.Write(b.Bytes())
		return err
	}
	w := bufio.NewWriter(f.out)
	defer w.Flush()
	iter := f.jq.RunWithContext(ctx, normalizeNumbers(doc))
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			if h, ok := err.(interface{ IsHaltError() bool }); ok && h.IsHaltError() {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_ = w.Flush()
			return fmt.Errorf("--jq: %v", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s, ok := v.(string); ok {
			w.WriteString(s)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
			continue
		}
		var enc []byte
		var err error
		if f.tty {
			enc, err = json.MarshalIndent(v, "", "  ")
		} else {
			enc, err = json.Marshal(v)
		}
		if err != nil {
			return fmt.Errorf("--jq: %v", err)
		}
		w.Write(enc)
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return w.Flush()
}

// normalizeNumbers turns json.Number into the int or float64 gojq works on.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}
