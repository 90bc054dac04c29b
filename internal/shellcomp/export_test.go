package shellcomp

// For main_test.go (package shellcomp_test, which may import the command
// tree that imports this package).
var (
	DemoRoot     = demoRoot
	ActAsProgram = actAsProgram
)
