package tests

import (
	"testing"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
)

// BenchmarkPreview measures a full offline preview of each stack: reading
// the stack file, validating the configuration and running the program
// under mocks.
func BenchmarkPreview(b *testing.B) {
	for _, stack := range stackNames {
		b.Run(stack, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				g, _, err := offline.Preview("..", stack, "")
				if err != nil {
					b.Fatal(err)
				}
				if len(g.Resources) == 0 {
					b.Fatal("empty graph")
				}
			}
		})
	}
}
