package scan

// JSONRecord is a finding as `zupy keys scan -o json` prints it, one element
// of an array: where it is, its kind, the secret masked under the API's name
// for a masked secret (key_hint), and what --verify and --revoke learned.
type JSONRecord struct {
	Path        string   `json:"path"`
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	Kind        Kind     `json:"kind"`
	KeyHint     Secret   `json:"key_hint"`
	Commit      string   `json:"commit,omitempty"`
	Status      string   `json:"status,omitempty"`
	KeyID       string   `json:"key_id,omitempty"`
	Environment string   `json:"environment,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	Revoked     bool     `json:"revoked,omitempty"`
	Note        string   `json:"note,omitempty"`
}

// NewJSONRecord is f's record, before --verify adds to it.
func NewJSONRecord(f Finding) JSONRecord {
	return JSONRecord{Path: f.Path, Line: f.Line, Column: f.Column, Kind: f.Kind, KeyHint: f.Secret, Commit: f.Commit}
}
