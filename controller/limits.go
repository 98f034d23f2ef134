package controller

import (
	"errors"
	"net/http"

	"mediapush/worker"
)

// Limits bound what one node takes on (see worker.Limits). The conference server's own limits
// (publishers per room, viewers per stream) are in Config.Rooms, the webhook outbox's size in
// Config.Webhook.
type Limits = worker.Limits

// limitError turns a refusal by a limit into an Error: 503 for what the whole node lacks (a
// session slot, disk space), so that clients try again later or elsewhere; 429 for what
// one session, room or stream has too many of.
func limitError(err error, perResource bool) (error, bool) {
	var le *worker.LimitError
	if !errors.As(err, &le) {
		return err, false
	}
	code := http.StatusServiceUnavailable
	if perResource {
		code = http.StatusTooManyRequests
	}
	return &Error{Code: code, Message: le.Message}, true
}
