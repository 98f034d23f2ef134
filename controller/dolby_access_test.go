package controller

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// TestDolbyRefusalsInDolbysShape checks that a Dolby client reads a refusal of access or of
// its body as it reads the routes' other failures.
func TestDolbyRefusalsInDolbysShape(t *testing.T) {
	open := openNode(t)
	secured := openNode(t, func(c *Config) { c.APIToken = "a-token-0123456789abcdef" })
	start := "/v2/conferences/mix/c1/recording/start"
	for _, tc := range []struct {
		name string
		node *Controller
		r    request
		code int
	}{
		{"another host, no token configured", open, request{method: "POST", path: start, remote: remote, body: "{}",
			header: map[string]string{"Content-Type": "application/json"}}, http.StatusForbidden},
		{"no token where one is configured", secured, request{method: "GET", path: "/v2/monitor/recordings", remote: local},
			http.StatusUnauthorized},
		{"a body that is not JSON", open, request{method: "POST", path: start, remote: local, body: "layoutUrl=x",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.node.serve(tc.r)
			var body struct {
				Code        string `json:"error_code"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(got.Body.Bytes(), &body); err != nil || got.Code != tc.code ||
				body.Code != strconv.Itoa(tc.code) || body.Description == "" {
				t.Errorf("%s %s: %d %s, want %d with Dolby's error_code and error_description", tc.r.method, tc.r.path,
					got.Code, got.Body, tc.code)
			}
		})
	}
}
