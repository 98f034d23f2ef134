package controller

import (
	"strings"
	"testing"
)

func TestCheckLiveForward(t *testing.T) {
	for _, tc := range []struct{ url, token, wantErr string }{
		{"", "", ""},
		{"http://10.0.0.5:5080", "t", ""},
		{"https://ctl.example.com/", "t", ""},
		{"http://10.0.0.5:5080", "", "needs MEDIAPUSH_CLUSTER_TOKEN"},
		{"10.0.0.5:5080", "t", "a URL like"},
		{"ftp://10.0.0.5", "t", "a URL like"},
		{"http://user:secret@10.0.0.5", "t", "must not carry credentials"},
		{"http://10.0.0.5/live?token=secret", "t", "no path or query"},
	} {
		err := checkLiveForward(tc.url, tc.token)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: %v, want it accepted", tc.url, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: %v, want an error saying %q", tc.url, err, tc.wantErr)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("%q: the error quotes a secret: %v", tc.url, err)
		}
	}
}
