package scan

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0 (OASIS), the subset code-scanning dashboards read: one rule per
// kind of secret, one result per finding with its line and column.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool       sarifTool     `json:"tool"`
		ColumnKind string        `json:"columnKind"`
		Results    []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		Name                 string       `json:"name"`
		ShortDescription     sarifMessage `json:"shortDescription"`
		FullDescription      sarifMessage `json:"fullDescription"`
		Help                 sarifMessage `json:"help"`
		DefaultConfiguration struct {
			Level string `json:"level"`
		} `json:"defaultConfiguration"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID     string            `json:"ruleId"`
		RuleIndex  int               `json:"ruleIndex"`
		Level      string            `json:"level"`
		Message    sarifMessage      `json:"message"`
		Locations  []sarifLocation   `json:"locations"`
		Properties map[string]string `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *sarifRegion `json:"region,omitempty"`
		} `json:"physicalLocation"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndColumn   int `json:"endColumn"`
	}
)

// SARIFSchema is the schema the document names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// SARIFResult adds to a finding what SARIF shows besides the location: a
// status line (from --verify), and extra properties (key id, commit).
type SARIFResult struct {
	Finding    Finding
	Note       string
	Properties map[string]string
}

// WriteSARIF writes the results as one SARIF 2.1.0 log. Secrets appear
// only masked, in the messages.
func WriteSARIF(w io.Writer, version string, results []SARIFResult) error {
	driver := sarifDriver{Name: "zupy", Version: version, InformationURI: "https://github.com/zupy/zupy-cli"}
	index := map[Kind]int{}
	for i, k := range Kinds {
		r := sarifRule{ID: ruleID(k), Name: ruleName(k)}
		r.ShortDescription.Text = k.Description() + " in the code"
		r.FullDescription.Text = "A " + k.Description() + " is committed or written to a file. Anyone who reads the file can use it."
		r.Help.Text = "Remove the secret from the file and its history, and revoke it: `zupy keys scan --verify --revoke` revokes live API keys; `zupy logout` ends a session."
		r.DefaultConfiguration.Level = "error"
		driver.Rules = append(driver.Rules, r)
		index[k] = i
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, ColumnKind: "unicodeCodePoints", Results: []sarifResult{}}
	for _, res := range results {
		f := res.Finding
		msg := f.Kind.Description() + " " + f.Secret.String()
		if f.InPath() {
			msg += " in the file name"
		}
		if res.Note != "" {
			msg += " (" + res.Note + ")"
		}
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = artifactURI(f.Path)
		if !f.InPath() { // a secret in the file (or folder) name has no region
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column, EndColumn: f.EndColumn()}
		}
		props := map[string]string{}
		for k, v := range res.Properties {
			props[k] = v
		}
		if f.Commit != "" {
			props["commit"] = f.Commit
		}
		if len(props) == 0 {
			props = nil
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: ruleID(f.Kind), RuleIndex: index[f.Kind], Level: "error",
			Message: sarifMessage{Text: msg}, Locations: []sarifLocation{loc}, Properties: props,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func ruleID(k Kind) string { return "zupy/" + strings.ReplaceAll(string(k), "_", "-") }

func ruleName(k Kind) string {
	switch k {
	case LiveKey:
		return "ZupyLiveAPIKey"
	case TestKey:
		return "ZupyTestAPIKey"
	}
	return "ZupySessionToken"
}

// artifactURI is a relative URI reference of a path, as SARIF wants
// (forward slashes, percent-encoded).
func artifactURI(p string) string {
	p = filepath.ToSlash(p)
	if p == "-" {
		return "stdin"
	}
	u := url.URL{Path: strings.TrimPrefix(p, "./")}
	return u.EscapedPath()
}
