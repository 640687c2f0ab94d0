module hello-go

go 1.27.1

require go.bytecodealliance.org/pkg v0.4.0

// Written by `raisfast plugin build` (the runtime of the generated bindings).
replace go.bytecodealliance.org/pkg => ./sdk/go-pkg
