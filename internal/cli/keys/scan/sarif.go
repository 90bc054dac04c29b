package scan

import (
	"github.com/zupy/zupy-cli/internal/build"
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
)

func init() { register(writer{name: "sarif", write: writeSARIF}) }

// writeSARIF prints the findings as one SARIF 2.1.0 log (zscan.WriteSARIF),
// each result's message carrying its --verify status and its properties
// the key id.
func writeSARIF(io *ui.IOStreams, r *report) error {
	return zscan.WriteSARIF(io.Out, build.Current().Version, each(r, func(res result) zscan.SARIFResult {
		out := zscan.SARIFResult{Finding: res.Finding}
		if v := res.verdict; v != nil {
			out.Note = statusText(v)
			if v.keyID != "" {
				out.Properties = map[string]string{"key_id": v.keyID}
			}
		}
		return out
	}))
}
