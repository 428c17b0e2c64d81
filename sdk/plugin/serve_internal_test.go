package plugin

import (
	"testing"

	"google.golang.org/grpc"
)

func TestNegotiate(t *testing.T) {
	none := func(*grpc.Server) {}
	tests := []struct {
		name     string
		versions []int
		base     uint
		offered  string
		want     int
		wantErr  bool
	}{
		{name: "the only version", versions: []int{1}, base: 1, offered: "1", want: 1},
		{name: "highest common", versions: []int{1, 2, 3}, base: 1, offered: "1,2", want: 2},
		{name: "host lists in any order", versions: []int{1, 2}, base: 1, offered: "2, 1", want: 2},
		{name: "junk in the list is skipped", versions: []int{1}, base: 1, offered: "x,1", want: 1},
		{name: "no list: the base version", versions: []int{1, 2}, base: 2, want: 2},
		{name: "no list, base not served: the lowest", versions: []int{2, 3}, base: 1, want: 2},
		{name: "nothing in common", versions: []int{2}, base: 1, offered: "1", wantErr: true},
		{name: "nothing to serve", base: 1, offered: "1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := map[int]Services{}
			for _, v := range tc.versions {
				vs[v] = none
			}
			got, s, err := negotiate(vs, tc.base, tc.offered)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("negotiate = %d, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want || s == nil {
				t.Fatalf("negotiate = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}
