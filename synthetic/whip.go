package synthetic

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds what is read of a WHIP response: an SDP answer is a few kilobytes, and an
// error page is only quoted.
const maxBody = 1 << 20

// parseEndpoint checks that a WHIP URL is one an HTTP client can post to.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("synthetic: bad WHIP URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("synthetic: bad WHIP URL %q: want http:// or https:// and a host", raw)
	}
	return u, nil
}

// postOffer sends the SDP offer to the WHIP endpoint and returns the server's answer and the
// session's URL (its Location header, resolved against the endpoint).
func postOffer(ctx context.Context, client *http.Client, endpoint *url.URL, token, offer string) (string, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(offer))
	if err != nil {
		return "", nil, fmt.Errorf("synthetic: WHIP offer: %w", err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	authorize(req, token)
	resp, err := client.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("synthetic: WHIP offer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", nil, fmt.Errorf("synthetic: WHIP offer to %s: reading the answer: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", nil, fmt.Errorf("synthetic: WHIP offer to %s: %s: %s", endpoint, resp.Status, quote(body))
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", nil, fmt.Errorf("synthetic: WHIP offer to %s: the answer has no Location header", endpoint)
	}
	session, err := endpoint.Parse(loc)
	if err != nil {
		return "", nil, fmt.Errorf("synthetic: WHIP offer to %s: bad Location %q: %w", endpoint, loc, err)
	}
	if len(body) == 0 {
		return "", session, fmt.Errorf("synthetic: WHIP offer to %s: empty answer", endpoint)
	}
	return string(body), session, nil
}

// deleteSession ends the WHIP session. Any 2xx status is success: the draft asks for 200,
// and some servers answer 204.
func deleteSession(ctx context.Context, client *http.Client, session *url.URL, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, session.String(), nil)
	if err != nil {
		return fmt.Errorf("synthetic: WHIP delete: %w", err)
	}
	authorize(req, token)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("synthetic: WHIP delete: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("synthetic: WHIP delete %s: %s: %s", session, resp.Status, quote(body))
	}
	return nil
}

func authorize(req *http.Request, token string) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
}

// quote is a response body for an error message: trimmed, on one line, at most 500 bytes.
func quote(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
