package migrations

import (
	"regexp"
	"testing"
)

func TestAll(t *testing.T) {
	t.Run("ids start at 1 and increase by one", func(t *testing.T) {
		for i, m := range All() {
			if m.ID != i+1 {
				t.Errorf("All()[%d].ID = %d, want %d", i, m.ID, i+1)
			}
		}
	})
	t.Run("names are snake_case and every migration has an Up", func(t *testing.T) {
		snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
		for _, m := range All() {
			if !snake.MatchString(m.Name) {
				t.Errorf("migration %d name %q is not snake_case", m.ID, m.Name)
			}
			if m.Up == nil {
				t.Errorf("migration %d has no Up", m.ID)
			}
		}
	})
}

func TestColumnTypes(t *testing.T) {
	t.Run("every dialect replaces the same placeholders", func(t *testing.T) {
		keys := func(pairs []string) map[string]bool {
			m := map[string]bool{}
			for i := 0; i < len(pairs); i += 2 {
				m[pairs[i]] = true
			}
			return m
		}
		want := keys(columnTypes[SQLite])
		for dialect, pairs := range columnTypes {
			if len(pairs)%2 != 0 {
				t.Fatalf("%s: odd number of entries", dialect)
			}
			got := keys(pairs)
			if len(got) != len(want) {
				t.Errorf("%s has %d placeholders, sqlite has %d", dialect, len(got), len(want))
			}
			for k := range want {
				if !got[k] {
					t.Errorf("%s lacks placeholder %s", dialect, k)
				}
			}
		}
	})
}
