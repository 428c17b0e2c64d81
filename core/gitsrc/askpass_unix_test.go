//go:build unix

package gitsrc

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The askpass helper is a /bin/sh script.

func TestAskpassScript(t *testing.T) {
	t.Parallel()
	s := newTestSession(t)
	helper, err := writeAskpass(s)
	if err != nil {
		t.Fatal(err)
	}
	assertSecretFile(t, helper, askpassScript, 0o700)
	const user, secret = "deploy", "s3cr3t 'quoted' $HOME"
	for name, tc := range map[string]struct {
		arg, stdin string
		want       string
		wantErr    bool
	}{
		"git credential get":   {arg: "get", stdin: "protocol=https\nhost=example.com\n\n", want: "username=" + user + "\npassword=" + secret + "\n"},
		"git credential store": {arg: "store", stdin: "protocol=https\n\n"},
		"ssh key passphrase":   {arg: "Enter passphrase for key '/tmp/x/id_key': ", want: secret + "\n"},
		"ssh password":         {arg: "deploy@example.com's password: ", want: secret + "\n"},
		"ssh host key question is refused": {
			arg: "Are you sure you want to continue connecting (yes/no/[fingerprint])? ", wantErr: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(helper, tc.arg)
			cmd.Env = append(os.Environ(), envUsername+"="+user, envSecret+"="+secret)
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.Output()
			if (err != nil) != tc.wantErr || string(out) != tc.want {
				t.Errorf("askpass %q = %q, %v; want %q, error %v", tc.arg, out, err, tc.want, tc.wantErr)
			}
		})
	}
}
