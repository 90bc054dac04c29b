package apikey

import "testing"

// BenchmarkParse measures the key parser on a well-formed key, the path of
// every verification.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(validLive); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAuthorization measures stage 1 of verification: the
// Authorization header to a key.
func BenchmarkParseAuthorization(b *testing.B) {
	h := "Bearer " + validLive
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAuthorization(h); err != nil {
			b.Fatal(err)
		}
	}
}
