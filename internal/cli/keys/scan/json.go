package scan

import (
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
)

func init() { register(writer{name: "json", write: writeJSON}) }

// writeJSON prints the findings as one array of zscan.JSONRecord, with
// what --verify learned.
func writeJSON(io *ui.IOStreams, r *report) error {
	return ui.WriteJSON(io.Out, each(r, func(res result) zscan.JSONRecord {
		rec := zscan.NewJSONRecord(res.Finding)
		if v := res.verdict; v != nil {
			rec.Status, rec.KeyID, rec.Environment, rec.Permissions, rec.Revoked, rec.Note = v.status, v.keyID, v.environment, v.scopes, v.revoked, v.note
		}
		return rec
	}))
}
