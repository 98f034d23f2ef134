package controller

import (
	"errors"
	"fmt"
	"net/url"

	"mediapush/cluster"
	"mediapush/rooms"
)

// checkLiveForward checks a worker node's controller URL and that the node has the token the
// controller's live route asks for. An empty URL is valid: live viewing is off.
func checkLiveForward(controllerURL, token string) error {
	if controllerURL == "" {
		return nil
	}
	if err := checkControllerURL(controllerURL); err != nil {
		return err
	}
	if token == "" {
		return fmt.Errorf("--controller-url needs %s: the controller takes the live streams of sessions only from nodes that present it", cluster.TokenEnv)
	}
	return nil
}

// liveForward sends a session's live stream from node's hub to the controller at
// controllerURL; nil when controllerURL is empty.
func liveForward(hub *rooms.Hub, node, controllerURL, token string) func(streamID string) (*rooms.Push, error) {
	if controllerURL == "" {
		return nil
	}
	return func(streamID string) (*rooms.Push, error) {
		// The operator named the controller; the destination policy judges callers' targets.
		return hub.PushToOperatorTarget(streamID, ClusterLiveURL(controllerURL, node, streamID), token)
	}
}

// checkControllerURL accepts http(s)://host[:port] with nothing else: credentials go in the
// environment (a URL's show in logs and ps), and the live route's path is the node's to add.
func checkControllerURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		// Not quoted: a malformed URL may still hold credentials.
		return errors.New("--controller-url must be the controller's address as a URL like http://10.0.0.5:5080")
	case u.User != nil:
		return fmt.Errorf("--controller-url: the URL must not carry credentials; set %s instead", cluster.TokenEnv)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("--controller-url: give the controller's address only, like %s://%s, with no path or query", u.Scheme, u.Host)
	}
	return nil
}
