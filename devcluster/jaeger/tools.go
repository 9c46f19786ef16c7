//go:build tools

// Package jaeger pins the Jaeger v2 all-in-one binary that the operator's OTLP export test runs
// against (OtlpExportIT); `make -C devcluster jaeger` builds it into the cache.
package jaeger

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
