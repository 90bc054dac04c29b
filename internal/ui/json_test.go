package ui

import (
	"bytes"
	"testing"
)

func TestWriteJSONIndentsAndDoesNotEscapeHTML(t *testing.T) {
	var b bytes.Buffer
	v := struct {
		Name   string   `json:"name"`
		Scopes []string `json:"scopes"`
	}{"Loja <A&B>", []string{"loyalty:read"}}
	if err := WriteJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"name\": \"Loja <A&B>\",\n  \"scopes\": [\n    \"loyalty:read\"\n  ]\n}\n"
	if b.String() != want {
		t.Errorf("WriteJSON wrote\n%s\nwant\n%s", b.String(), want)
	}
}
